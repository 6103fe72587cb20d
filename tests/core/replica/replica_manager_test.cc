// ReplicaManager through real Brokers on the simulated runtime: two nodes,
// node 1 the leader and node 2 its follower, on one SimNetwork.
#include "core/replica/replica_manager.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/protocol/errors.h"
#include "tests/core/replica/replica_harness.h"

namespace gafka::testing {
namespace {

class ReplicaTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<ReplicaCluster>(GetParam());
    leader().OpenOrDie();
    follower().OpenOrDie();
  }
  ReplicaNode& leader() { return cluster_->node(1); }
  ReplicaNode& follower() { return cluster_->node(2); }
  void Run(Millis ms) { cluster_->Run(ms); }

  void CreateAndWaitInSync(const std::string& topic) {
    CreateTopicRequest create;
    create.name = topic;
    create.partitions = 1;
    ASSERT_EQ(ErrorCode(leader().Call(create)), 0);
    Run(500);  // the follower mirrors the topic and catches up
  }
  ApiResponse Produce(ReplicaNode& node, const std::string& value, Acks acks) {
    return node.Call(BrokerHarness::ProduceOne("t", std::nullopt, value, acks, 0));
  }

  std::unique_ptr<ReplicaCluster> cluster_;
};

TEST_P(ReplicaTest, FollowerMirrorsTopicsAndRecords) {
  CreateAndWaitInSync("t");
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    sent.push_back("v" + std::to_string(i));
    ASSERT_EQ(ErrorCode(Produce(leader(), sent.back(), Acks::kLeader)), 0);
  }
  Run(1'000);
  EXPECT_EQ(ValuesOf(leader().ReadAll("t", 0)), sent);
  const std::vector<Record> copied = follower().ReadAll("t", 0);
  EXPECT_EQ(copied, leader().ReadAll("t", 0)) << "offsets, epochs and bytes identical";
  EXPECT_EQ(follower().Offsets("t", 0).high_watermark, Offset(50));
}

TEST_P(ReplicaTest, AcksAllIsDurableOnTheFollowerWhenAnswered) {
  CreateAndWaitInSync("t");
  int64_t last = -1;
  for (int i = 0; i < 20; ++i) {
    auto response = Produce(leader(), "a" + std::to_string(i), Acks::kAll);
    ASSERT_EQ(ErrorCode(response), 0);
    last = Only(response).offset.value();
  }
  // Power loss on the follower right after the last ack: what it synced stays.
  follower().Crash();
  follower().OpenOrDie();
  EXPECT_GE(follower().Offsets("t", 0).log_end_offset.value(), last + 1);
}

TEST_P(ReplicaTest, AcksAllWaitsForAnIsolatedFollowerUntilItLeavesTheIsr) {
  CreateAndWaitInSync("t");
  ASSERT_EQ(ErrorCode(Produce(leader(), "before", Acks::kAll)), 0);
  cluster_->network().Isolate(NodeId(2));
  auto pending = leader().Start(BrokerHarness::ProduceOne("t", std::nullopt, "x", Acks::kAll, 0));
  Run(300);
  EXPECT_FALSE(pending->has_value()) << "acks=all waits while the follower is in the ISR";
  // A reader does not see the uncommitted record either.
  auto fetched = leader().Call(BrokerHarness::FetchAt("t", 0, 1));
  EXPECT_TRUE(As<FetchResponse>(fetched).records.empty());
  Run(2'000);  // past replica_lag_time_max_ms: the ISR shrinks to the leader
  ASSERT_TRUE(pending->has_value());
  EXPECT_EQ(ErrorCode(**pending), 0);
  EXPECT_EQ(As<FetchResponse>(leader().Call(BrokerHarness::FetchAt("t", 0, 1))).records.size(), 1u);
}

TEST_P(ReplicaTest, MinInsyncReplicasRefusesAcksAllWith503) {
  leader().Crash();
  leader().config().replication.min_insync_replicas = 2;
  cluster_->network().Isolate(NodeId(2));
  leader().OpenOrDie();
  CreateTopicRequest create;
  create.name = "t";
  create.partitions = 1;
  ASSERT_EQ(ErrorCode(leader().Call(create)), 0);
  EXPECT_EQ(ErrorCode(Produce(leader(), "x", Acks::kAll)), api_errors::kNotEnoughReplicas);
  EXPECT_EQ(ErrorCode(Produce(leader(), "y", Acks::kLeader)), 0) << "acks=1 is not refused";
  cluster_->network().Heal();
  Run(2'000);
  EXPECT_EQ(ErrorCode(Produce(leader(), "z", Acks::kAll)), 0) << "the follower is back in sync";
}

TEST_P(ReplicaTest, FollowerRefusesWritesWithTheLeaderHint) {
  CreateAndWaitInSync("t");
  auto response = Produce(follower(), "x", Acks::kLeader);
  ASSERT_EQ(ErrorCode(response), api_errors::kNotLeader);
  EXPECT_EQ(std::get<ApiError>(response).leader_hint, "node-1");
}

TEST_P(ReplicaTest, PromotionBumpsTheEpochAndFencesTheOldLeader) {
  CreateAndWaitInSync("t");
  ASSERT_EQ(ErrorCode(Produce(leader(), "a", Acks::kAll)), 0);
  const Epoch old_epoch = leader().Offsets("t", 0).leader_epoch;
  auto promoted = follower().broker().Promote();
  ASSERT_TRUE(promoted.ok());
  EXPECT_GT(*promoted, old_epoch);
  Run(500);
  auto refused = Produce(leader(), "stale", Acks::kLeader);
  ASSERT_EQ(ErrorCode(refused), api_errors::kNotLeader);
  EXPECT_EQ(std::get<ApiError>(refused).leader_hint, "node-2");
  ASSERT_EQ(ErrorCode(Produce(follower(), "b", Acks::kAll)), 0);
  Run(1'000);
  EXPECT_EQ(ValuesOf(leader().ReadAll("t", 0)), (std::vector<std::string>{"a", "b"}))
      << "the fenced leader follows the new one";
}

TEST_P(ReplicaTest, PromotingAnOutOfSyncFollowerNeedsForce) {
  CreateAndWaitInSync("t");
  cluster_->network().Isolate(NodeId(2));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(ErrorCode(Produce(leader(), "x", Acks::kLeader)), 0);
  Run(2'000);  // the follower leaves the ISR; the records are committed without it
  cluster_->network().Heal();
  // The first reply after the heal carries records and "not in sync".
  for (int i = 0; i < 1'000 && follower().Offsets("t", 0).log_end_offset == Offset(0); ++i) Run(1);
  ASSERT_GT(follower().Offsets("t", 0).log_end_offset, Offset(0));
  leader().Crash();
  auto refused = follower().broker().Promote();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kConflict);
  auto forced = follower().broker().Promote("", /*force=*/true);
  EXPECT_TRUE(forced.ok());
}

TEST_P(ReplicaTest, ReturningLeaderTruncatesItsDivergentTail) {
  CreateAndWaitInSync("t");
  ASSERT_EQ(ErrorCode(Produce(leader(), "a0", Acks::kAll)), 0);
  ASSERT_EQ(ErrorCode(Produce(leader(), "a1", Acks::kAll)), 0);
  cluster_->network().Isolate(NodeId(1));
  // Accepted by the cut-off leader with acks=1 only: never committed.
  for (int i = 0; i < 5; ++i) ASSERT_EQ(ErrorCode(Produce(leader(), "lost", Acks::kLeader)), 0);
  ASSERT_TRUE(follower().broker().Promote().ok());
  ASSERT_EQ(ErrorCode(Produce(follower(), "b0", Acks::kAll)), 0);
  // The old leader dies and comes back as a follower of the new one.
  leader().Crash();
  cluster_->network().Heal();
  leader().FollowerOf(2);
  leader().OpenOrDie();
  Run(1'000);
  ASSERT_EQ(ErrorCode(Produce(follower(), "b1", Acks::kAll)), 0);
  Run(1'000);
  const std::vector<std::string> expected{"a0", "a1", "b0", "b1"};
  EXPECT_EQ(ValuesOf(follower().ReadAll("t", 0)), expected);
  EXPECT_EQ(leader().ReadAll("t", 0), follower().ReadAll("t", 0));
  EXPECT_EQ(leader().Offsets("t", 0).log_end_offset, Offset(4)) << "the divergent tail is gone";
  bool truncated = false;
  for (const std::string& line : leader().logger().lines()) {
    truncated =
        truncated || line.find("truncating divergent tail of t-0 from 7 to 2") != std::string::npos;
  }
  EXPECT_TRUE(truncated) << "the five acks=1 records past offset 2 were cut";
}

TEST_P(ReplicaTest, LostReplicationMessagesAreRetried) {
  cluster_->network().AddDropFilter(
      sim::DropFilter{kReplicationKind, std::nullopt, std::nullopt, 0.3});
  CreateAndWaitInSync("t");
  Run(2'000);
  std::vector<std::string> sent;
  for (int i = 0; i < 30; ++i) {
    sent.push_back("m" + std::to_string(i));
    ASSERT_EQ(ErrorCode(Produce(leader(), sent.back(), Acks::kAll)), 0);
  }
  Run(3'000);
  EXPECT_EQ(ValuesOf(follower().ReadAll("t", 0)), sent);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplicaTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace gafka::testing
