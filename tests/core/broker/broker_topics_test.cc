// Topic administration through Broker::Execute: create, list, describe,
// delete, persistence across restarts and crashes, orphan cleanup.
#include <gtest/gtest.h>

#include "core/protocol/errors.h"
#include "tests/core/broker/broker_harness.h"

namespace gafka::testing {
namespace {

TEST(BrokerTopics, CreateListDescribe) {
  BrokerHarness h;
  h.OpenOrDie();
  auto created = As<TopicResponse>(h.CreateTopic("orders", 3));
  EXPECT_TRUE(created.created);
  EXPECT_EQ(created.topic.name, "orders");
  EXPECT_EQ(created.topic.partitions, 3);
  ASSERT_EQ(created.topic.partition_info.size(), 3u);
  for (int p = 0; p < 3; ++p) {
    const PartitionInfo& info = created.topic.partition_info[p];
    EXPECT_EQ(info.partition, PartitionId(p));
    EXPECT_EQ(info.log_start_offset, Offset(0));
    EXPECT_EQ(info.log_end_offset, Offset(0));
    EXPECT_EQ(info.high_watermark, Offset(0));
    EXPECT_EQ(info.status, "ok");
    EXPECT_EQ(info.leader, NodeId(1));
  }
  As<TopicResponse>(h.CreateTopic("audit", 1));

  auto list = As<TopicListResponse>(h.Call(ListTopicsRequest{}));
  ASSERT_EQ(list.topics.size(), 2u);
  EXPECT_EQ(list.topics[0].name, "audit");  // sorted by name
  EXPECT_EQ(list.topics[1].name, "orders");
  EXPECT_EQ(list.topics[1].partitions, 3);

  auto described = As<TopicResponse>(h.Call(DescribeTopicRequest{"orders"}));
  EXPECT_FALSE(described.created);
  EXPECT_EQ(described.topic.partition_info.size(), 3u);
  EXPECT_TRUE(h.disk().Exists("broker-1/orders-0"));
  EXPECT_TRUE(h.disk().Exists("broker-1/orders-2"));
  EXPECT_TRUE(h.disk().Exists("broker-1/topics.json"));
}

TEST(BrokerTopics, DescribeShowsOffsetsAfterProduce) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  for (int i = 0; i < 3; ++i)
    As<ProduceResponse>(h.Call(h.ProduceOne("t", std::nullopt, "v", Acks::kLeader, 1)));
  auto described = As<TopicResponse>(h.Call(DescribeTopicRequest{"t"}));
  ASSERT_EQ(described.topic.partition_info.size(), 2u);
  const PartitionInfo& p1 = described.topic.partition_info[1];
  EXPECT_EQ(p1.log_end_offset, Offset(3));
  EXPECT_EQ(p1.high_watermark, Offset(3));
  EXPECT_GT(p1.size_bytes, 0u);
  EXPECT_EQ(described.topic.partition_info[0].log_end_offset, Offset(0));

  auto offsets = As<PartitionOffsetsResponse>(h.Call(PartitionOffsetsRequest{"t", PartitionId(1)}));
  EXPECT_EQ(offsets.topic, "t");
  EXPECT_EQ(offsets.info.log_end_offset, Offset(3));
  EXPECT_EQ(ErrorCode(h.Call(PartitionOffsetsRequest{"t", PartitionId(2)})),
            api_errors::kPartitionNotFound);
  EXPECT_EQ(ErrorCode(h.Call(PartitionOffsetsRequest{"nope", PartitionId(0)})),
            api_errors::kTopicNotFound);
}

TEST(BrokerTopics, CreatingAnExistingTopicIsAConflict) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  auto again = h.CreateTopic("t", 5);
  EXPECT_EQ(ErrorCode(again), api_errors::kAlreadyExists);
  EXPECT_EQ(std::get<ApiError>(again).http_status, 409);
  EXPECT_EQ(As<TopicResponse>(h.Call(DescribeTopicRequest{"t"})).topic.partitions, 2);
}

TEST(BrokerTopics, InvalidCreatesAreRejectedWithoutTouchingTheDisk) {
  BrokerHarness h;
  h.OpenOrDie();
  EXPECT_EQ(ErrorCode(h.CreateTopic("bad name", 1)), api_errors::kBadTopicName);
  EXPECT_EQ(ErrorCode(h.CreateTopic("..", 1)), api_errors::kBadTopicName);
  EXPECT_EQ(ErrorCode(h.CreateTopic("t", 0)), api_errors::kBadPartition);
  EXPECT_EQ(ErrorCode(h.CreateTopic("t", 101)), api_errors::kBadPartition);
  TopicConfig huge;
  huge.max_message_bytes = (1 << 20) + 1;
  EXPECT_EQ(std::get<ApiError>(h.CreateTopic("t", 1, huge)).http_status, 400);
  EXPECT_TRUE(As<TopicListResponse>(h.Call(ListTopicsRequest{})).topics.empty());
  EXPECT_FALSE(h.disk().Exists("broker-1/t-0"));
}

TEST(BrokerTopics, UnknownTopicsAre404) {
  BrokerHarness h;
  h.OpenOrDie();
  EXPECT_EQ(ErrorCode(h.Call(DescribeTopicRequest{"ghost"})), api_errors::kTopicNotFound);
  EXPECT_EQ(ErrorCode(h.Call(DeleteTopicRequest{"ghost"})), api_errors::kTopicNotFound);
  EXPECT_EQ(ErrorCode(h.Call(h.ProduceOne("ghost", "k", "v"))), api_errors::kTopicNotFound);
  EXPECT_EQ(ErrorCode(h.Call(h.FetchAt("ghost", 0, 0))), api_errors::kTopicNotFound);
}

TEST(BrokerTopics, BrokerDefaultsApplyToUnsetTopicConfig) {
  BrokerHarness h;
  h.config().default_topic_config.max_message_bytes = 64;
  h.OpenOrDie();
  auto created = As<TopicResponse>(h.CreateTopic("t", 1));
  EXPECT_EQ(created.topic.config.max_message_bytes, 64);
  EXPECT_EQ(ErrorCode(h.Call(h.ProduceOne("t", std::nullopt, std::string(65, 'x')))),
            api_errors::kMessageTooLarge);
}

TEST(BrokerTopics, TopicsSurviveRestartAndCrash) {
  BrokerHarness h;
  h.OpenOrDie();
  TopicConfig config;
  config.retention_ms = 5000;
  As<TopicResponse>(h.CreateTopic("a", 2, config));
  As<TopicResponse>(h.CreateTopic("b", 1));
  h.Reopen();
  auto list = As<TopicListResponse>(h.Call(ListTopicsRequest{}));
  ASSERT_EQ(list.topics.size(), 2u);
  EXPECT_EQ(list.topics[0].partitions, 2);
  EXPECT_EQ(list.topics[0].config.retention_ms, 5000);
  As<TopicResponse>(h.CreateTopic("c", 3));
  h.Crash();  // create returned only after the registry and directories were synced
  h.OpenOrDie();
  list = As<TopicListResponse>(h.Call(ListTopicsRequest{}));
  ASSERT_EQ(list.topics.size(), 3u);
  EXPECT_EQ(list.topics[2].name, "c");
  EXPECT_EQ(As<TopicResponse>(h.Call(DescribeTopicRequest{"c"})).topic.partition_info.size(), 3u);
}

TEST(BrokerTopics, DeleteRemovesRegistryEntryAndFiles) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  As<TopicResponse>(h.CreateTopic("keep", 1));
  As<ProduceResponse>(h.Call(h.ProduceOne("t", "k", "v")));
  auto deleted = As<DeletedResponse>(h.Call(DeleteTopicRequest{"t"}));
  EXPECT_EQ(deleted.what, "t");
  EXPECT_EQ(ErrorCode(h.Call(DescribeTopicRequest{"t"})), api_errors::kTopicNotFound);
  EXPECT_EQ(ErrorCode(h.Call(h.ProduceOne("t", "k", "v"))), api_errors::kTopicNotFound);
  h.clock().RunUntil(h.clock().NowMs() + 10);  // the reaper runs as its own task
  EXPECT_FALSE(h.disk().Exists("broker-1/t-0"));
  EXPECT_FALSE(h.disk().Exists("broker-1/t-1"));
  EXPECT_TRUE(h.disk().Exists("broker-1/keep-0"));

  // Re-created, it starts empty.
  As<TopicResponse>(h.CreateTopic("t", 1));
  auto fetched = As<FetchResponse>(h.Call(h.FetchAt("t", 0, 0)));
  EXPECT_TRUE(fetched.records.empty());
  EXPECT_EQ(fetched.high_watermark, Offset(0));
}

TEST(BrokerTopics, DeleteIsDurableAcrossACrash) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  As<TopicResponse>(h.CreateTopic("keep", 1));
  As<DeletedResponse>(h.Call(DeleteTopicRequest{"t"}));
  h.Crash();  // possibly before the partition directories were removed
  h.OpenOrDie();
  auto list = As<TopicListResponse>(h.Call(ListTopicsRequest{}));
  ASSERT_EQ(list.topics.size(), 1u);
  EXPECT_EQ(list.topics[0].name, "keep");
  EXPECT_FALSE(h.disk().Exists("broker-1/t-0"));
  EXPECT_FALSE(h.disk().Exists("broker-1/t-1"));
}

TEST(BrokerTopics, DeleteCompletesParkedPollsWith404) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  auto poll = h.Start(h.FetchAt("t", 0, 0, 10, /*timeout_ms=*/10'000));
  h.clock().RunUntil(h.clock().NowMs() + 5);
  ASSERT_FALSE(poll->has_value());
  EXPECT_EQ(h.broker().parked_waiters(), 1u);
  As<DeletedResponse>(h.Call(DeleteTopicRequest{"t"}));
  ASSERT_TRUE(poll->has_value());
  EXPECT_EQ(ErrorCode(**poll), api_errors::kTopicNotFound);
  EXPECT_EQ(h.broker().parked_waiters(), 0u);
  h.clock().RunUntil(h.clock().NowMs() + 20'000);  // its timer was cancelled: no second answer
}

TEST(BrokerTopics, DeleteWithAppendsInFlightAnswersThemAndThenRemovesFiles) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  auto produce = h.Start(h.ProduceOne("t", "k", "v"));
  ASSERT_FALSE(produce->has_value());
  As<DeletedResponse>(h.Call(DeleteTopicRequest{"t"}));
  // Its files cannot be reused before the append's sync ran.
  EXPECT_EQ(ErrorCode(h.CreateTopic("t", 1)), api_errors::kUnavailable);
  // The delete is committed; the in-flight append still gets its answer.
  h.Wait(produce);
  h.clock().RunUntil(h.clock().NowMs() + 10);
  EXPECT_FALSE(h.disk().Exists("broker-1/t-0"));
  // Re-creating right away works once the old files are gone.
  As<TopicResponse>(h.CreateTopic("t", 1));
}

TEST(BrokerTopics, AFailedCreateLeavesNothingBehind) {
  BrokerHarness h;
  h.OpenOrDie();
  sim::DiskFaults faults = QuietDisk();
  faults.append_eio = 1.0;  // the registry write fails
  h.disk().set_faults(faults);
  auto failed = h.CreateTopic("t", 2);
  EXPECT_EQ(std::get<ApiError>(failed).http_status, 503);
  h.disk().set_faults(QuietDisk());
  EXPECT_FALSE(h.disk().Exists("broker-1/t-0"));
  EXPECT_FALSE(h.disk().Exists("broker-1/t-1"));
  EXPECT_TRUE(As<TopicListResponse>(h.Call(ListTopicsRequest{})).topics.empty());
  As<TopicResponse>(h.CreateTopic("t", 2));
  h.Reopen();
  EXPECT_EQ(As<TopicListResponse>(h.Call(ListTopicsRequest{})).topics.size(), 1u);
}

TEST(BrokerTopics, OrphanPartitionDirectoriesAreRemovedOnOpen) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  h.Close();
  // A crash mid-create of "ghost", and a partition beyond t's count; plus a
  // directory that is not a partition directory and must be left alone.
  ASSERT_TRUE(h.disk().MakeDirs("broker-1/ghost-0").ok());
  ASSERT_TRUE(h.disk().WriteWhole("broker-1/ghost-0/00000000000000000000.log", "junk").ok());
  ASSERT_TRUE(h.disk().MakeDirs("broker-1/t-2").ok());
  ASSERT_TRUE(h.disk().MakeDirs("broker-1/groups").ok());
  ASSERT_TRUE(h.disk().WriteWhole("broker-1/groups/offsets", "x").ok());
  h.OpenOrDie();
  EXPECT_FALSE(h.disk().Exists("broker-1/ghost-0"));
  EXPECT_FALSE(h.disk().Exists("broker-1/t-2"));
  EXPECT_TRUE(h.disk().Exists("broker-1/t-0"));
  EXPECT_TRUE(h.disk().Exists("broker-1/t-1"));
  EXPECT_TRUE(h.disk().Exists("broker-1/groups/offsets"));
  EXPECT_EQ(As<TopicListResponse>(h.Call(ListTopicsRequest{})).topics.size(), 1u);
}

TEST(BrokerTopics, CorruptRegistryFailsOpenWithAClearError) {
  BrokerHarness h;
  ASSERT_TRUE(h.disk().MakeDirs("broker-1").ok());
  ASSERT_TRUE(h.disk().WriteWhole("broker-1/topics.json", "{garbage").ok());
  Status status = h.Open();
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_NE(status.message().find("topics.json"), std::string::npos);
}

}  // namespace
}  // namespace gafka::testing
