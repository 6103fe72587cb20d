// Group commit: appends are written at once and made durable together by a
// chain of syncs; a failed sync fails the log for good.
#include <gtest/gtest.h>

#include "core/log/partition_log.h"
#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::Input;
using testing_log::SimWorld;
using testing_log::SmallConfig;

std::span<const RecordInput> One(const RecordInput& in) { return {&in, 1}; }

TEST(LogGroupCommit, ManyAppendsBeforeTheSyncCompletesShareOneSync) {
  SimWorld world;
  auto log = world.Open();
  const uint64_t syncs_before = world.disk().stats().syncs;
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) {
    const RecordInput in = Input(i);
    ASSERT_TRUE(log->Append(One(in), Epoch(1),
                            [&order, i](Status s) {
                              EXPECT_TRUE(s.ok());
                              order.push_back(i);
                            })
                    .ok());
  }
  EXPECT_TRUE(order.empty()) << "no callback inside Append";
  EXPECT_EQ(log->durable_offset(), Offset(0));
  world.clock().RunAll();
  // The first append started a sync; the nine that arrived during it share
  // the next one.
  EXPECT_EQ(world.disk().stats().syncs - syncs_before, 2u);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(log->durable_offset(), Offset(10));
}

TEST(LogGroupCommit, DurableCallbackFiresOnlyAfterTheSyncCompletes) {
  sim::DiskFaults faults = SimWorld::QuietFaults();
  faults.sync_latency_min_ms = faults.sync_latency_max_ms = 5;
  SimWorld world(1, faults);
  auto log = world.Open();
  bool called = false;
  const Millis start_ms = world.clock().NowMs();
  ASSERT_TRUE(log->Append(One(Input(0)), Epoch(1),
                          [&](Status s) {
                            EXPECT_TRUE(s.ok());
                            called = true;
                          })
                  .ok());
  world.clock().RunUntil(start_ms + 4);
  EXPECT_FALSE(called);
  EXPECT_EQ(log->durable_offset(), Offset(0));
  EXPECT_EQ(log->end_offset(), Offset(1));
  world.clock().RunUntil(start_ms + 5);
  EXPECT_TRUE(called);
  EXPECT_EQ(log->durable_offset(), Offset(1));
}

TEST(LogGroupCommit, AppendFromInsideADurableCallbackRidesTheNextSync) {
  SimWorld world;
  auto log = world.Open();
  bool second_durable = false;
  ASSERT_TRUE(log->Append(One(Input(0)), Epoch(1),
                          [&](Status) {
                            ASSERT_TRUE(log->Append(One(Input(1)), Epoch(1),
                                                    [&](Status s) { second_durable = s.ok(); })
                                            .ok());
                          })
                  .ok());
  world.clock().RunAll();
  EXPECT_TRUE(second_durable);
  EXPECT_EQ(log->durable_offset(), Offset(2));
}

TEST(LogGroupCommit, RolledSegmentIsSyncedBeforeTheActiveOneAndThenSealed) {
  SimWorld world;
  auto log = world.Open();
  std::vector<RecordInput> batch;
  for (int i = 0; i < 15; ++i) batch.push_back(Input(i));  // spans two segments
  bool durable = false;
  ASSERT_TRUE(log->Append(batch, Epoch(1), [&](Status s) { durable = s.ok(); }).ok());
  ASSERT_EQ(log->segment_count(), 2u);
  const std::string index = std::string(testing_log::kDir) + "/00000000000000000000.index";
  EXPECT_FALSE(world.disk().Exists(index)) << "sealed only after its data is synced";
  world.clock().RunAll();
  EXPECT_TRUE(durable);
  EXPECT_TRUE(world.disk().Exists(index));
}

TEST(LogGroupCommit, FailedSyncFailsPendingAndFutureAppendsAndReads) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 2);
  world.disk().faults().sync_eio = 1.0;
  std::vector<Status> results;
  for (int i = 2; i < 5; ++i) {
    ASSERT_TRUE(log->Append(One(Input(i)), Epoch(1), [&](Status s) { results.push_back(s); }).ok());
  }
  world.clock().RunAll();
  ASSERT_EQ(results.size(), 3u);
  for (const Status& s : results) EXPECT_EQ(s.code(), Code::kIoError) << s.ToString();
  EXPECT_EQ(log->failed().code(), Code::kIoError);
  EXPECT_NE(log->failed().message().find(".log"), std::string::npos) << log->failed().message();
  EXPECT_EQ(log->durable_offset(), Offset(2));
  world.disk().faults().sync_eio = 0;  // the disk "recovers": the log stays failed
  bool called = false;
  auto again = log->Append(One(Input(5)), Epoch(1), [&](Status) { called = true; });
  EXPECT_EQ(again.status().code(), Code::kIoError);
  world.clock().RunAll();
  EXPECT_FALSE(called) << "a refused append never calls its callback";
  EXPECT_EQ(log->Read(Offset(0), 1, 100).status().code(), Code::kIoError);
  EXPECT_EQ(log->Truncate(Offset(1)).code(), Code::kIoError);
}

TEST(LogGroupCommit, AppendErrorBeforeAnyByteIsWrittenLeavesTheLogUsable) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 2);
  world.disk().faults().append_enospc = 1.0;
  auto refused = log->Append(One(Input(2)), Epoch(1), [](Status) { FAIL(); });
  EXPECT_EQ(refused.status().code(), Code::kNoSpace);
  EXPECT_TRUE(log->failed().ok());
  EXPECT_EQ(log->end_offset(), Offset(2));
  world.disk().faults().append_enospc = 0;
  world.AppendN(*log, 2, 1);
  EXPECT_EQ(log->end_offset(), Offset(3));
  EXPECT_EQ(testing_log::ReadAll(*log)->size(), 3u);
}

TEST(LogGroupCommit, DestroyingTheLogWithASyncInFlightIsSafe) {
  SimWorld world;
  auto log = world.Open();
  bool called = false;
  ASSERT_TRUE(log->Append(One(Input(0)), Epoch(1), [&](Status) { called = true; }).ok());
  log.reset();
  world.clock().RunAll();
  EXPECT_FALSE(called);
  auto reopened = world.Open();
  EXPECT_EQ(reopened->end_offset(), Offset(1));
}

}  // namespace
}  // namespace gafka
