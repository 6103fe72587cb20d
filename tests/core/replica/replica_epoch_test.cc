// Leader epochs across restarts, the follower's view of the leader, group
// offsets and retention, through real Brokers on the simulated runtime
// (node 1 the leader, node 2 its follower).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/protocol/errors.h"
#include "core/replica/epoch_store.h"
#include "tests/core/replica/replica_harness.h"

namespace gafka::testing {
namespace {

class ReplicaEpochTest : public LeaderFollowerTest {
 protected:
  // The epoch `node` stamps on a new record (it must lead).
  Epoch WriteEpoch(ReplicaNode& node, const std::string& value) {
    EXPECT_EQ(ErrorCode(Produce(node, value, Acks::kLeader)), 0);
    return node.Offsets("t", 0).leader_epoch;
  }
};

// The old leader dies, the follower is promoted, and the old leader is
// restarted as leader (an operator mistake the broker must survive): the two
// leaders never share an epoch (epochs are per-broker ballots), and once they
// talk the higher epoch leads and the other one converges to its log.
TEST_P(ReplicaEpochTest, OldLeaderRestartedAsLeaderNeverTakesThePromotedEpoch) {
  ASSERT_EQ(ErrorCode(Produce(leader(), "a", Acks::kAll)), 0);
  const Epoch first = leader().Offsets("t", 0).leader_epoch;
  cluster_->network().Isolate(NodeId(1));
  leader().Crash();
  auto promoted = follower().broker().Promote();
  ASSERT_TRUE(promoted.ok());
  EXPECT_GT(*promoted, first);
  ASSERT_EQ(ErrorCode(Produce(follower(), "b", Acks::kLeader)), 0);
  leader().OpenOrDie();  // as leader again, still cut off
  const Epoch restarted = WriteEpoch(leader(), "stale");
  EXPECT_NE(restarted, *promoted) << "two leaders in one epoch";
  EXPECT_GT(restarted, first) << "a restart as leader is a new epoch";
  EXPECT_EQ(restarted.value() % kEpochStride, 1) << "node 1's ballot";
  EXPECT_EQ(promoted->value() % kEpochStride, 2) << "node 2's ballot";
  // Once they can talk, the lower epoch is fenced and follows the higher.
  cluster_->network().Heal();
  Run(3'000);
  ReplicaNode& winner = restarted > *promoted ? leader() : follower();
  ReplicaNode& loser = restarted > *promoted ? follower() : leader();
  EXPECT_EQ(ErrorCode(Produce(loser, "x", Acks::kLeader)), api_errors::kNotLeader);
  ASSERT_EQ(ErrorCode(Produce(winner, "y", Acks::kAll)), 0);
  Run(1'000);
  EXPECT_EQ(loser.ReadAll("t", 0), winner.ReadAll("t", 0)) << "the loser truncated its own tail";
  EXPECT_EQ(loser.Offsets("t", 0).log_end_offset, winner.Offsets("t", 0).log_end_offset);
}

// A leader fenced by a promotion knows the new epoch without having led it:
// restarted as leader, it takes a new epoch above it, never the same one.
TEST_P(ReplicaEpochTest, FencedLeaderRestartedAsLeaderTakesAHigherEpoch) {
  auto promoted = follower().broker().Promote();
  ASSERT_TRUE(promoted.ok());
  Run(500);  // the notice fences node 1, which stores the new epoch
  ASSERT_EQ(ErrorCode(Produce(leader(), "x", Acks::kLeader)), api_errors::kNotLeader);
  cluster_->network().Isolate(NodeId(1));
  leader().Crash();
  leader().OpenOrDie();
  EXPECT_GT(WriteEpoch(leader(), "y"), *promoted);
}

// A leader that loses an unsynced tail in a crash and restarts as leader:
// it takes a new epoch, so whatever of that tail the follower holds is
// truncated (the epoch check) and both logs end up identical.
TEST_P(ReplicaEpochTest, LeaderCrashRestartKeepsFollowerAPrefix) {
  std::vector<std::string> sent;
  for (int i = 0; i < 5; ++i) {
    sent.push_back("c" + std::to_string(i));
    ASSERT_EQ(ErrorCode(Produce(leader(), sent.back(), Acks::kAll)), 0);
  }
  const Epoch before = leader().Offsets("t", 0).leader_epoch;
  // acks=0 writes, then power loss at a seed-dependent point while they are
  // being synced and replicated.
  for (int i = 0; i < 5; ++i) {
    leader().Start(BrokerHarness::ProduceOne("t", std::nullopt, "u", Acks::kNone, 0));
  }
  for (uint64_t step = 0; step < GetParam() * 3; ++step) cluster_->clock().RunOne();
  leader().Crash();
  Run(200);
  leader().OpenOrDie();
  EXPECT_GT(WriteEpoch(leader(), "d0"), before);
  ASSERT_EQ(ErrorCode(Produce(leader(), "d1", Acks::kAll)), 0);
  Run(2'000);
  EXPECT_EQ(follower().ReadAll("t", 0), leader().ReadAll("t", 0));
  EXPECT_EQ(follower().Offsets("t", 0).log_end_offset, leader().Offsets("t", 0).log_end_offset);
  const std::vector<std::string> values = ValuesOf(follower().ReadAll("t", 0));
  ASSERT_GE(values.size(), 7u);
  EXPECT_EQ(std::vector<std::string>(values.begin(), values.begin() + 5), sent);
  EXPECT_EQ(values.back(), "d1");
}

TEST_P(ReplicaEpochTest, FollowerDescribesTheLeaderItFollows) {
  auto described = follower().Call(DescribeTopicRequest{"t"});
  ASSERT_EQ(ErrorCode(described), 0);
  const auto& info = As<TopicResponse>(described).topic;
  ASSERT_EQ(info.partition_info.size(), 1u);
  EXPECT_EQ(info.partition_info[0].leader, NodeId(1));
  auto on_leader = leader().Call(DescribeTopicRequest{"t"});
  EXPECT_EQ(As<TopicResponse>(on_leader).topic.partition_info[0].leader, NodeId(1));
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplicaEpochTest, ::testing::Values(1, 2, 3));

// Every record of t-0 from its log start up to the HW.
std::vector<Record> ReadFromStart(ReplicaNode& node, const std::string& topic) {
  std::vector<Record> out;
  for (int64_t offset = node.Offsets(topic, 0).log_start_offset.value();;) {
    auto response = node.Call(BrokerHarness::FetchAt(topic, 0, offset, 1000));
    const auto& fetched = As<FetchResponse>(response);
    if (fetched.records.empty()) return out;
    for (const auto& consumed : fetched.records) out.push_back(consumed.record);
    offset = fetched.next_offset.value();
  }
}

// A follower cut off while the leader's retention deletes what it would
// fetch next gets an explicit "out of range" and restarts its log at the
// leader's log start (Kafka's OffsetOutOfRange), then catches up.
class ReplicaRetentionTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ReplicaRetentionTest, FollowerBehindLeaderRetentionResetsToTheLeaderLogStart) {
  ReplicaCluster cluster(GetParam());
  ReplicaNode& leader = cluster.node(1);
  ReplicaNode& follower = cluster.node(2);
  leader.config().retention_check_interval_ms = 100;
  leader.OpenOrDie();
  follower.OpenOrDie();
  CreateTopicRequest create;
  create.name = "r";
  create.partitions = 1;
  create.overrides.segment_bytes = 1024;
  create.overrides.retention_bytes = 2048;
  create.config = create.overrides.ApplyTo(TopicConfig{});
  ASSERT_EQ(ErrorCode(leader.Call(create)), 0);
  cluster.Run(500);
  ASSERT_EQ(
      ErrorCode(leader.Call(BrokerHarness::ProduceOne("r", std::nullopt, "first", Acks::kAll, 0))),
      0);
  cluster.network().Isolate(NodeId(2));
  for (int i = 0; i < 200; ++i) {
    const std::string value = "v" + std::to_string(i) + std::string(100, 'x');
    ASSERT_EQ(ErrorCode(leader.Call(
                  BrokerHarness::ProduceOne("r", std::nullopt, value, Acks::kLeader, 0))),
              0);
  }
  cluster.Run(1'000);  // retention deletes the oldest segments
  ASSERT_GT(leader.Offsets("r", 0).log_start_offset.value(), 1) << "retention ran";
  ASSERT_EQ(follower.Offsets("r", 0).log_end_offset, Offset(1));
  cluster.network().Heal();
  cluster.Run(3'000);
  const PartitionInfo on_leader = leader.Offsets("r", 0);
  const PartitionInfo on_follower = follower.Offsets("r", 0);
  EXPECT_EQ(on_follower.log_end_offset, on_leader.log_end_offset) << "caught up";
  EXPECT_GE(on_follower.log_start_offset, on_leader.log_start_offset);
  const std::vector<Record> copied = ReadFromStart(follower, "r");
  ASSERT_FALSE(copied.empty());
  EXPECT_EQ(copied.back(), ReadFromStart(leader, "r").back());
  bool reset = false;
  for (const std::string& line : follower.logger().lines()) {
    reset = reset || line.find("restarting the log at the leader's log start") != std::string::npos;
  }
  EXPECT_TRUE(reset);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplicaRetentionTest, ::testing::Values(1, 2));

}  // namespace
}  // namespace gafka::testing
