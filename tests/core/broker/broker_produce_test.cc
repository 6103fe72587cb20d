// The produce path: acks, offsets, routing, batches, per-message errors.
#include <gtest/gtest.h>

#include <map>

#include "core/broker/partitioner.h"
#include "core/protocol/errors.h"
#include "tests/core/broker/broker_harness.h"

namespace gafka::testing {
namespace {

class BrokerProduce : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.OpenOrDie();
    As<TopicResponse>(h_.CreateTopic("t", 1));
  }
  BrokerHarness h_;
};

TEST_F(BrokerProduce, AcksOneAnswersOnlyAfterTheSyncRan) {
  const Millis start_ms = h_.clock().NowMs();
  auto slot = h_.Start(h_.ProduceOne("t", "k", "hello", Acks::kLeader));
  EXPECT_FALSE(slot->has_value()) << "answered before anything was synced";
  EXPECT_GT(h_.clock().pending(), 0u);
  auto response = As<ProduceResponse>(h_.Wait(slot));
  EXPECT_GE(h_.clock().NowMs(), start_ms + 1) << "the sync takes virtual time";
  ASSERT_EQ(response.results.size(), 1u);
  EXPECT_EQ(response.topic, "t");
  EXPECT_EQ(response.results[0].partition, PartitionId(0));
  EXPECT_EQ(response.results[0].offset, Offset(0));
  EXPECT_FALSE(response.results[0].error.has_value());
  // Acked means readable: the high watermark covers it.
  auto fetched = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 0)));
  EXPECT_EQ(Values(fetched), std::vector<std::string>{"hello"});
}

TEST_F(BrokerProduce, AcksAllEqualsAcksOneWithoutReplicas) {
  auto slot = h_.Start(h_.ProduceOne("t", "k", "v", Acks::kAll));
  EXPECT_FALSE(slot->has_value());
  EXPECT_EQ(Only(h_.Wait(slot)).offset, Offset(0));
}

TEST_F(BrokerProduce, AcksZeroAnswersAtOnce) {
  auto slot = h_.Start(h_.ProduceOne("t", "k", "v", Acks::kNone));
  ASSERT_TRUE(slot->has_value()) << "acks=0 waits for nothing";
  EXPECT_EQ(Only(**slot).offset, Offset(0));
  // Not yet durable, so not yet readable.
  auto before = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 0)));
  EXPECT_TRUE(before.records.empty());
  h_.clock().RunUntil(h_.clock().NowMs() + 10);
  auto after = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 0)));
  EXPECT_EQ(after.records.size(), 1u);
}

TEST_F(BrokerProduce, OffsetsAreDenseAndTimestampsSet) {
  for (int i = 0; i < 5; ++i) {
    const Millis wall_at_append_ms = h_.clock().WallMs();
    const ProduceResult result = Only(h_.Call(h_.ProduceOne("t", std::nullopt, "m")));
    EXPECT_EQ(result.offset, Offset(i));
    EXPECT_EQ(result.timestamp_ms, wall_at_append_ms) << "the broker's wall clock";
  }
  ProduceRequest stamped = h_.ProduceOne("t", std::nullopt, "m");
  stamped.messages[0].timestamp_ms = 42;
  EXPECT_EQ(Only(h_.Call(stamped)).timestamp_ms, 42);
  auto fetched = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 5)));
  ASSERT_EQ(fetched.records.size(), 1u);
  EXPECT_EQ(fetched.records[0].record.timestamp_ms, 42);
}

TEST_F(BrokerProduce, KeysValuesAndHeadersRoundTrip) {
  ProduceRequest request =
      h_.ProduceOne("t", std::string("user\0x", 6), std::string("\x00\xff", 2));
  request.messages[0].headers.push_back(RecordHeader{"trace", "abc"});
  As<ProduceResponse>(h_.Call(request));
  As<ProduceResponse>(h_.Call(h_.ProduceOne("t", std::nullopt, "")));
  auto fetched = As<FetchResponse>(h_.Call(h_.FetchAt("t", 0, 0)));
  ASSERT_EQ(fetched.records.size(), 2u);
  EXPECT_EQ(fetched.records[0].topic, "t");
  EXPECT_EQ(fetched.records[0].partition, PartitionId(0));
  EXPECT_EQ(fetched.records[0].record.key, std::optional<std::string>(std::string("user\0x", 6)));
  EXPECT_EQ(fetched.records[0].record.value, std::string("\x00\xff", 2));
  ASSERT_EQ(fetched.records[0].record.headers.size(), 1u);
  EXPECT_EQ(fetched.records[0].record.headers[0].key, "trace");
  EXPECT_FALSE(fetched.records[1].record.key.has_value());
  EXPECT_EQ(fetched.records[1].record.value, "");
}

TEST(BrokerProduceRouting, KeyedMessagesLandWhereKafkaPutsThem) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("k", 5));
  for (const std::string key : {"21", "foobar", "abc", "user123", "a-little-bit-long-string", ""}) {
    const PartitionId expected = PartitionForKey(key, 5);
    for (int round = 0; round < 3; ++round) {
      EXPECT_EQ(Only(h.Call(h.ProduceOne("k", key, "v"))).partition, expected)
          << "key '" << key << "'";
    }
  }
  // toPositive(murmur2("foobar")) % 5, from Kafka's vector -790332482.
  EXPECT_EQ(Only(h.Call(h.ProduceOne("k", "foobar", "v"))).partition,
            PartitionId((-790332482 & 0x7fffffff) % 5));
}

TEST(BrokerProduceRouting, MessagesWithoutKeySpreadEvenly) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("rr", 4));
  std::map<int32_t, int> per_partition;
  for (int i = 0; i < 40; ++i) {
    ++per_partition[Only(h.Call(h.ProduceOne("rr", std::nullopt, "v", Acks::kNone)))
                        .partition.value()];
  }
  std::vector<ProduceMessage> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(h.Message(std::nullopt, "v"));
  auto response = As<ProduceResponse>(h.Call(h.ProduceBatch("rr", batch)));
  for (const auto& result : response.results) ++per_partition[result.partition.value()];
  EXPECT_EQ(per_partition, (std::map<int32_t, int>{{0, 20}, {1, 20}, {2, 20}, {3, 20}}));
}

TEST(BrokerProduceRouting, ExplicitPartitionWinsOverTheKey) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("e", 3));
  const int32_t by_key = PartitionForKey("foobar", 3).value();
  const int32_t other = (by_key + 1) % 3;
  EXPECT_EQ(Only(h.Call(h.ProduceOne("e", "foobar", "v", Acks::kLeader, other))).partition,
            PartitionId(other));
}

TEST(BrokerProduceBatch, SpansPartitionsWithResultsInRequestOrder) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("b", 3));
  std::vector<ProduceMessage> batch = {
      h.Message(std::nullopt, "a", 2), h.Message(std::nullopt, "b", 0),
      h.Message(std::nullopt, "c", 2), h.Message(std::nullopt, "d", 1),
      h.Message(std::nullopt, "e", 0)};
  auto slot = h.Start(h.ProduceBatch("b", batch));
  EXPECT_FALSE(slot->has_value());
  auto response = As<ProduceResponse>(h.Wait(slot));
  EXPECT_TRUE(response.batch_form);
  ASSERT_EQ(response.results.size(), 5u);
  const std::vector<std::pair<int32_t, int64_t>> expected = {
      {2, 0}, {0, 0}, {2, 1}, {1, 0}, {0, 1}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(response.results[i].partition, PartitionId(expected[i].first)) << i;
    EXPECT_EQ(response.results[i].offset, Offset(expected[i].second)) << i;
    EXPECT_FALSE(response.results[i].error.has_value()) << i;
  }
  EXPECT_EQ(Values(As<FetchResponse>(h.Call(h.FetchAt("b", 2, 0)))),
            (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(Values(As<FetchResponse>(h.Call(h.FetchAt("b", 0, 0)))),
            (std::vector<std::string>{"b", "e"}));
}

TEST(BrokerProduceBatch, PerMessageErrorsDoNotStopTheOthers) {
  BrokerHarness h;
  h.OpenOrDie();
  TopicConfig config;
  config.max_message_bytes = 10;
  As<TopicResponse>(h.CreateTopic("b", 2, config));
  std::vector<ProduceMessage> batch = {h.Message(std::nullopt, "ok1", 0),
                                       h.Message(std::nullopt, "x", 7),       // no partition 7
                                       h.Message("k", std::string(11, 'x')),  // too large
                                       h.Message(std::nullopt, "ok2", 0)};
  auto response = As<ProduceResponse>(h.Call(h.ProduceBatch("b", batch)));
  ASSERT_EQ(response.results.size(), 4u);
  EXPECT_FALSE(response.results[0].error.has_value());
  EXPECT_EQ(response.results[0].offset, Offset(0));
  ASSERT_TRUE(response.results[1].error.has_value());
  EXPECT_EQ(response.results[1].error->error_code, api_errors::kPartitionNotFound);
  EXPECT_EQ(response.results[1].error->http_status, 404);
  ASSERT_TRUE(response.results[2].error.has_value());
  EXPECT_EQ(response.results[2].error->error_code, api_errors::kMessageTooLarge);
  EXPECT_EQ(response.results[2].error->http_status, 413);
  EXPECT_FALSE(response.results[3].error.has_value());
  EXPECT_EQ(response.results[3].offset, Offset(1));
  // Exactly the two good messages were appended.
  EXPECT_EQ(
      As<TopicResponse>(h.Call(DescribeTopicRequest{"b"})).topic.partition_info[0].log_end_offset,
      Offset(2));
}

TEST_F(BrokerProduce, SingleMessageErrorsUseTheErrorEnvelope) {
  auto unknown = h_.Call(h_.ProduceOne("t", std::nullopt, "v", Acks::kLeader, 3));
  EXPECT_EQ(ErrorCode(unknown), api_errors::kPartitionNotFound);
  EXPECT_EQ(ErrorCode(h_.Call(h_.ProduceOne("t", std::nullopt, "v", Acks::kLeader, -1))),
            api_errors::kPartitionNotFound);
  auto too_large = h_.Call(h_.ProduceOne("t", std::nullopt, std::string((1 << 20) + 1, 'x')));
  EXPECT_EQ(ErrorCode(too_large), api_errors::kMessageTooLarge);
}

TEST_F(BrokerProduce, EmptyBatchIsABadRequest) {
  EXPECT_EQ(std::get<ApiError>(h_.Call(h_.ProduceBatch("t", {}))).http_status, 400);
}

TEST(BrokerProduceDurability, AFailedSyncIsNeverAnAck) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  sim::DiskFaults faults = QuietDisk();
  faults.sync_eio = 1.0;
  h.disk().set_faults(faults);
  auto response = h.Call(h.ProduceOne("t", "k", "lost"));
  ASSERT_EQ(ErrorCode(response), api_errors::kPartitionFailed);
  EXPECT_EQ(std::get<ApiError>(response).http_status, 503);
  h.disk().set_faults(QuietDisk());
  // The log is failed for good (fsyncgate): further produces and fetches 503.
  EXPECT_EQ(ErrorCode(h.Call(h.ProduceOne("t", "k", "v"))), api_errors::kPartitionFailed);
  EXPECT_EQ(ErrorCode(h.Call(h.FetchAt("t", 0, 0))), api_errors::kPartitionFailed);
  EXPECT_NE(As<TopicResponse>(h.Call(DescribeTopicRequest{"t"})).topic.partition_info[0].status,
            "ok");
}

TEST(BrokerProduceDurability, BatchAcrossPartitionsReportsTheFailedSyncPerMessage) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  sim::DiskFaults faults = QuietDisk();
  faults.sync_eio = 1.0;
  h.disk().set_faults(faults);
  std::vector<ProduceMessage> batch = {h.Message(std::nullopt, "a", 0),
                                       h.Message(std::nullopt, "b", 1)};
  auto response = As<ProduceResponse>(h.Call(h.ProduceBatch("t", batch)));
  ASSERT_EQ(response.results.size(), 2u);
  for (const auto& result : response.results) {
    ASSERT_TRUE(result.error.has_value());
    EXPECT_EQ(result.error->http_status, 503);
  }
}

}  // namespace
}  // namespace gafka::testing
