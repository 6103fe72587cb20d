#include "core/client/produce_batcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime-sim/sim_clock.h"

namespace gafka {
namespace {

ProduceMessage Message(int i) {
  ProduceMessage m;
  m.key = "k" + std::to_string(i);
  m.value = "v" + std::to_string(i);
  return m;
}

struct Flushed {
  Millis at_ms;
  ProduceBatch batch;
};

class ProduceBatcherTest : public ::testing::Test {
 protected:
  std::unique_ptr<ProduceBatcher> Make(ProduceBatcherConfig config) {
    return std::make_unique<ProduceBatcher>(clock_, config, [this](ProduceBatch b) {
      flushed_.push_back(Flushed{clock_.NowMs(), std::move(b)});
    });
  }
  sim::SimClock clock_;
  std::vector<Flushed> flushed_;
};

TEST_F(ProduceBatcherTest, FlushesAtOnceWhenBatchReachesMaxMessages) {
  auto batcher = Make({.max_messages = 3, .linger_ms = 1000});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(batcher->Add(Message(i)).ok());
  ASSERT_EQ(flushed_.size(), 1u);  // inside the third Add, no time passed
  EXPECT_EQ(flushed_[0].at_ms, 0);
  ASSERT_EQ(flushed_[0].batch.messages.size(), 3u);
  EXPECT_EQ(flushed_[0].batch.messages[2].value, "v2");
  EXPECT_EQ(batcher->open_messages(), 0u);
  // The full batch disarmed the linger timer: nothing else fires.
  clock_.RunAll();
  EXPECT_EQ(flushed_.size(), 1u);
}

TEST_F(ProduceBatcherTest, FlushesPartialBatchAfterLingerFromFirstMessage) {
  auto batcher = Make({.max_messages = 100, .linger_ms = 10});
  ASSERT_TRUE(batcher->Add(Message(0)).ok());
  clock_.RunUntil(7);
  ASSERT_TRUE(batcher->Add(Message(1)).ok());  // does not restart the linger clock
  clock_.RunUntil(9);
  EXPECT_TRUE(flushed_.empty());
  clock_.RunUntil(10);
  ASSERT_EQ(flushed_.size(), 1u);
  EXPECT_EQ(flushed_[0].at_ms, 10);
  EXPECT_EQ(flushed_[0].batch.messages.size(), 2u);
}

TEST_F(ProduceBatcherTest, NextBatchLingersFromItsOwnFirstMessage) {
  auto batcher = Make({.max_messages = 2, .linger_ms = 10});
  ASSERT_TRUE(batcher->Add(Message(0)).ok());
  clock_.RunUntil(5);
  ASSERT_TRUE(batcher->Add(Message(1)).ok());  // full: flushed at 5
  clock_.RunUntil(8);
  ASSERT_TRUE(batcher->Add(Message(2)).ok());  // new batch starts at 8
  clock_.RunUntil(17);
  ASSERT_EQ(flushed_.size(), 1u);  // the old timer (due at 10) did not flush it
  clock_.RunUntil(18);
  ASSERT_EQ(flushed_.size(), 2u);
  EXPECT_EQ(flushed_[0].at_ms, 5);
  EXPECT_EQ(flushed_[1].at_ms, 18);
  EXPECT_EQ(flushed_[1].batch.messages.size(), 1u);
}

TEST_F(ProduceBatcherTest, KeepsMessageOrderAndNumbersBatches) {
  auto batcher = Make({.max_messages = 7, .linger_ms = 3});
  int next = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < round % 11; ++i) ASSERT_TRUE(batcher->Add(Message(next++)).ok());
    clock_.RunUntil(clock_.NowMs() + 2);
    batcher->Release(batcher->outstanding() - batcher->open_messages());
  }
  batcher->Flush();
  int expect = 0;
  for (size_t b = 0; b < flushed_.size(); ++b) {
    EXPECT_EQ(flushed_[b].batch.sequence, b);
    EXPECT_GE(flushed_[b].batch.messages.size(), 1u);
    EXPECT_LE(flushed_[b].batch.messages.size(), 7u);
    for (const auto& m : flushed_[b].batch.messages) {
      EXPECT_EQ(m.value, "v" + std::to_string(expect++));
    }
  }
  EXPECT_EQ(expect, next);
  EXPECT_EQ(batcher->batches_flushed(), flushed_.size());
}

TEST_F(ProduceBatcherTest, ExplicitFlushSendsOpenBatchAndCancelsTimer) {
  auto batcher = Make({.max_messages = 100, .linger_ms = 10});
  batcher->Flush();  // empty: nothing
  EXPECT_TRUE(flushed_.empty());
  ASSERT_TRUE(batcher->Add(Message(0)).ok());
  batcher->Flush();
  ASSERT_EQ(flushed_.size(), 1u);
  EXPECT_EQ(clock_.pending(), 0u);
  clock_.RunAll();
  EXPECT_EQ(flushed_.size(), 1u);
}

TEST_F(ProduceBatcherTest, RefusesBeyondOutstandingLimitUntilReleased) {
  auto batcher = Make({.max_messages = 2, .linger_ms = 10, .max_outstanding_messages = 4});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(batcher->Add(Message(i)).ok());
  EXPECT_EQ(batcher->outstanding(), 4u);
  Status full = batcher->Add(Message(4));
  EXPECT_EQ(full.code(), Code::kUnavailable);
  EXPECT_EQ(batcher->outstanding(), 4u);  // the refused message was not queued
  batcher->Release(2);
  EXPECT_TRUE(batcher->Add(Message(4)).ok());
  EXPECT_EQ(batcher->outstanding(), 3u);
  EXPECT_EQ(batcher->open_messages(), 1u);
}

TEST_F(ProduceBatcherTest, ZeroLingerFlushesOnTheNextLoopTurn) {
  auto batcher = Make({.max_messages = 100, .linger_ms = 0});
  ASSERT_TRUE(batcher->Add(Message(0)).ok());
  ASSERT_TRUE(batcher->Add(Message(1)).ok());
  EXPECT_TRUE(flushed_.empty());
  clock_.RunOne();
  ASSERT_EQ(flushed_.size(), 1u);
  EXPECT_EQ(flushed_[0].batch.messages.size(), 2u);
}

TEST_F(ProduceBatcherTest, DestroyingCancelsPendingTimer) {
  auto batcher = Make({.max_messages = 100, .linger_ms = 10});
  ASSERT_TRUE(batcher->Add(Message(0)).ok());
  batcher.reset();
  clock_.RunAll();
  EXPECT_TRUE(flushed_.empty());
}

TEST(ProduceBatcherDeathTest, ReleasingMoreThanFlushedIsABug) {
  sim::SimClock clock;
  ProduceBatcher batcher(clock, {}, [](ProduceBatch) {});
  EXPECT_DEATH(batcher.Release(1), "Release");
}

}  // namespace
}  // namespace gafka
