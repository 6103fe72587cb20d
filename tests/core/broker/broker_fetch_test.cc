// Direct fetch: offsets, budgets, the high watermark and long polling.
#include <gtest/gtest.h>

#include "core/log/record.h"
#include "core/protocol/errors.h"
#include "tests/core/broker/broker_harness.h"

namespace gafka::testing {
namespace {

class BrokerFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.OpenOrDie();
    As<TopicResponse>(h_.CreateTopic("t", 2));
  }
  void ProduceValues(int count, const std::string& prefix = "m", int32_t partition = 0) {
    std::vector<ProduceMessage> batch;
    for (int i = 0; i < count; ++i) {
      batch.push_back(h_.Message(std::nullopt, prefix + std::to_string(i), partition));
    }
    As<ProduceResponse>(h_.Call(h_.ProduceBatch("t", batch)));
  }
  FetchRequest Fetch(OffsetSpec spec, int32_t max_count = 100, Millis timeout_ms = 0) {
    FetchRequest request = h_.FetchAt("t", 0, 0, max_count, timeout_ms);
    request.offset_spec = spec;
    return request;
  }
  BrokerHarness h_;
};

TEST_F(BrokerFetch, ExplicitOffsetReadsFromThere) {
  ProduceValues(5);
  auto response = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 2)));
  ASSERT_EQ(Values(response), (std::vector<std::string>{"m2", "m3", "m4"}));
  EXPECT_EQ(response.records[0].record.offset, Offset(2));
  EXPECT_EQ(response.next_offset, Offset(5));
  EXPECT_EQ(response.high_watermark, Offset(5));
  EXPECT_EQ(response.log_start_offset, Offset(0));
  EXPECT_EQ(response.topic, "t");
  EXPECT_EQ(response.partition, PartitionId(0));
}

TEST_F(BrokerFetch, EarliestAndLatest) {
  ProduceValues(3);
  auto earliest = As<FetchResponse>(h_.Call(Fetch(OffsetSpec::kEarliest)));
  EXPECT_EQ(Values(earliest), (std::vector<std::string>{"m0", "m1", "m2"}));
  auto latest = As<FetchResponse>(h_.Call(Fetch(OffsetSpec::kLatest)));
  EXPECT_TRUE(latest.records.empty());
  EXPECT_EQ(latest.next_offset, Offset(3));
  // A long poll at "latest" sees only what is produced after it.
  auto poll = h_.Start(Fetch(OffsetSpec::kLatest, 100, 5000));
  EXPECT_FALSE(poll->has_value());
  As<ProduceResponse>(h_.Call(h_.ProduceOne("t", std::nullopt, "new", Acks::kLeader, 0)));
  auto woken = As<FetchResponse>(h_.Wait(poll));
  ASSERT_EQ(Values(woken), std::vector<std::string>{"new"});
  EXPECT_EQ(woken.records[0].record.offset, Offset(3));
}

TEST_F(BrokerFetch, OffsetOutOfRangeNamesTheValidRange) {
  ProduceValues(3);
  auto beyond = h_.Call(h_.FetchAt("t", 0, 4));
  ASSERT_EQ(ErrorCode(beyond), api_errors::kOffsetOutOfRange);
  EXPECT_NE(std::get<ApiError>(beyond).message.find("[0, 3]"), std::string::npos)
      << std::get<ApiError>(beyond).message;
  EXPECT_EQ(ErrorCode(h_.Call(h_.FetchAt("t", 0, -1))), api_errors::kOffsetOutOfRange);
  // The end itself is a valid place to wait.
  auto at_end = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 3)));
  EXPECT_TRUE(at_end.records.empty());
  EXPECT_EQ(at_end.next_offset, Offset(3));
}

TEST_F(BrokerFetch, UnknownPartitionIs404) {
  EXPECT_EQ(ErrorCode(h_.Call(h_.FetchAt("t", 2, 0))), api_errors::kPartitionNotFound);
  EXPECT_EQ(ErrorCode(h_.Call(h_.FetchAt("t", -1, 0))), api_errors::kPartitionNotFound);
}

TEST_F(BrokerFetch, MaxCountLimitsRecords) {
  ProduceValues(10);
  auto response = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 0, /*max_count=*/4)));
  EXPECT_EQ(Values(response), (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
  EXPECT_EQ(response.next_offset, Offset(4));
}

TEST_F(BrokerFetch, ByteBudgetLimitsRecordsButServesAtLeastOne) {
  std::vector<ProduceMessage> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(h_.Message(std::nullopt, std::string(100, 'a' + i), 0));
  As<ProduceResponse>(h_.Call(h_.ProduceBatch("t", batch)));
  Record sample;
  sample.value = std::string(100, 'a');
  const size_t record_bytes = wal::EncodedSize(sample);

  FetchRequest request = h_.FetchAt("t", 0, 0);
  request.max_bytes = static_cast<int64_t>(2 * record_bytes + record_bytes / 2);
  auto two = As<FetchResponse>(h_.Call(request));
  EXPECT_EQ(two.records.size(), 2u);
  EXPECT_EQ(two.next_offset, Offset(2));

  request.max_bytes = 1;
  auto one = As<FetchResponse>(h_.Call(request));
  ASSERT_EQ(one.records.size(), 1u) << "a record larger than the budget still comes alone";
  EXPECT_EQ(one.records[0].record.value, std::string(100, 'a'));
}

TEST_F(BrokerFetch, ReadersNeverSeePastTheHighWatermark) {
  auto produce = h_.Start(h_.ProduceOne("t", std::nullopt, "pending", Acks::kNone, 0));
  ASSERT_TRUE(produce->has_value());
  auto before = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 0)));
  EXPECT_TRUE(before.records.empty()) << "the record is not durable yet";
  EXPECT_EQ(before.high_watermark, Offset(0));
  auto info = As<PartitionOffsetsResponse>(h_.Call(PartitionOffsetsRequest{"t", PartitionId(0)}));
  EXPECT_EQ(info.info.log_end_offset, Offset(1));
  EXPECT_EQ(info.info.high_watermark, Offset(0));
  // Explicitly between the high watermark and the log end: valid, empty.
  auto between = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 1)));
  EXPECT_TRUE(between.records.empty());
  h_.clock().RunUntil(h_.clock().NowMs() + 10);
  EXPECT_EQ(Values(As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 0)))),
            std::vector<std::string>{"pending"});
}

TEST_F(BrokerFetch, LongPollIsWokenByADurableProduce) {
  auto poll = h_.Start(h_.FetchAt("t", 0, 0, 100, /*timeout_ms=*/10'000));
  h_.clock().RunUntil(h_.clock().NowMs() + 1000);
  ASSERT_FALSE(poll->has_value());
  EXPECT_EQ(h_.broker().parked_waiters(), 1u);
  const Millis produced_at_ms = h_.clock().NowMs();
  auto produce = h_.Start(h_.ProduceOne("t", std::nullopt, "wake", Acks::kNone, 0));
  ASSERT_TRUE(produce->has_value());
  EXPECT_FALSE(poll->has_value()) << "appended is not yet readable";
  auto response = As<FetchResponse>(h_.Wait(poll));
  EXPECT_EQ(Values(response), std::vector<std::string>{"wake"});
  EXPECT_LE(h_.clock().NowMs(), produced_at_ms + 3) << "woken by the sync, not the timeout";
  EXPECT_EQ(h_.broker().parked_waiters(), 0u);
  h_.clock().RunUntil(h_.clock().NowMs() + 20'000);  // the cancelled timer never answers again
}

TEST_F(BrokerFetch, LongPollOnAnotherPartitionKeepsWaiting) {
  auto poll = h_.Start(h_.FetchAt("t", 1, 0, 100, /*timeout_ms=*/500));
  As<ProduceResponse>(h_.Call(h_.ProduceOne("t", std::nullopt, "p0", Acks::kLeader, 0)));
  EXPECT_FALSE(poll->has_value());
  auto response = As<FetchResponse>(h_.Wait(poll));
  EXPECT_TRUE(response.records.empty());
}

TEST_F(BrokerFetch, LongPollTimesOutEmptyAtExactlyTheTimeout) {
  h_.clock().RunUntil(1234);
  auto poll = h_.Start(h_.FetchAt("t", 0, 0, 100, /*timeout_ms=*/2500));
  auto response = As<FetchResponse>(h_.Wait(poll));
  EXPECT_EQ(h_.clock().NowMs(), 1234 + 2500);
  EXPECT_TRUE(response.records.empty());
  EXPECT_EQ(response.next_offset, Offset(0));
  EXPECT_EQ(h_.broker().parked_waiters(), 0u);
}

TEST_F(BrokerFetch, ZeroTimeoutNeverParks) {
  auto slot = h_.Start(h_.FetchAt("t", 0, 0, 100, 0));
  ASSERT_TRUE(slot->has_value());
  EXPECT_TRUE(As<FetchResponse>(**slot).records.empty());
}

TEST_F(BrokerFetch, DataAlreadyReadableAnswersWithoutWaiting) {
  ProduceValues(2);
  auto slot = h_.Start(h_.FetchAt("t", 0, 0, 100, 30'000));
  ASSERT_TRUE(slot->has_value());
  EXPECT_EQ(As<FetchResponse>(**slot).records.size(), 2u);
}

TEST(BrokerFetchWaiters, TheWaiterCapAnswers503AndFreesUp) {
  BrokerHarness h;
  h.config().max_waiters = 2;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  auto first = h.Start(h.FetchAt("t", 0, 0, 100, 1000));
  auto second = h.Start(h.FetchAt("t", 0, 0, 100, 5000));
  auto third = h.Start(h.FetchAt("t", 0, 0, 100, 5000));
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ(std::get<ApiError>(**third).http_status, 503);
  EXPECT_EQ(h.broker().parked_waiters(), 2u);
  h.Wait(first);  // times out at 1000
  auto fourth = h.Start(h.FetchAt("t", 0, 0, 100, 5000));
  EXPECT_FALSE(fourth->has_value()) << "a slot was freed";
  // One produce wakes both remaining waiters.
  As<ProduceResponse>(h.Call(h.ProduceOne("t", std::nullopt, "x")));
  EXPECT_EQ(Values(As<FetchResponse>(h.Wait(second))), std::vector<std::string>{"x"});
  EXPECT_EQ(Values(As<FetchResponse>(h.Wait(fourth))), std::vector<std::string>{"x"});
  EXPECT_EQ(h.broker().parked_waiters(), 0u);
}

TEST(BrokerFetchWaiters, ManyWaitersWakeInArrivalOrder) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) {
    h.broker().Execute(h.FetchAt("t", 0, 0, 100, 10'000), [&order, i](ApiResponse response) {
      EXPECT_EQ(As<FetchResponse>(response).records.size(), 1u);
      order.push_back(i);
    });
  }
  As<ProduceResponse>(h.Call(h.ProduceOne("t", std::nullopt, "x")));
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace gafka::testing
