// Pipelined replication: the leader ships records to followers before it has
// made them durable, so the two fsyncs of an acks=all write overlap. What
// keeps that safe (docs/replication.md): the HW never passes the leader's own
// durable offset, and a restart as leader is a new epoch (a per-broker
// ballot), so a follower holding a tail the leader lost in a crash truncates
// it. Real Brokers on the simulated runtime (node 1 leader, node 2 follower).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/base/coding.h"
#include "core/base/crc32c.h"
#include "core/protocol/errors.h"
#include "core/replica/epoch_store.h"
#include "core/replica/hw_checkpoint.h"
#include "tests/core/replica/replica_harness.h"

namespace gafka::testing {
namespace {

// Every sync takes exactly `ms`; a crash loses every unsynced byte.
sim::DiskFaults SlowSync(Millis ms) {
  sim::DiskFaults faults = QuietDisk();
  faults.sync_latency_min_ms = ms;
  faults.sync_latency_max_ms = ms;
  faults.crash_drop_tail = 1;
  faults.crash_keep_tail = 0;
  faults.crash_lose_dir_change = 0;
  return faults;
}

class ReplicaPipelineTest : public LeaderFollowerTest {
 protected:
  std::string LeaderStatus() {
    return As<StatusResponse>(leader().Call(StatusRequest{})).json_extra;
  }
};

// (b) The follower holds a write durably before the leader does: the HW (and
// the acks=all answer) still waits for the leader's own fsync.
TEST_P(ReplicaPipelineTest, HighWatermarkNeverPassesTheLeadersDurableOffset) {
  ASSERT_EQ(ErrorCode(Produce(leader(), "a", Acks::kAll)), 0);
  const Offset hw = leader().Offsets("t", 0).high_watermark;
  ASSERT_EQ(hw, Offset(1));
  leader().disk().set_faults(SlowSync(400));
  auto pending = leader().Start(BrokerHarness::ProduceOne("t", std::nullopt, "b", Acks::kAll, 0));
  Run(150);
  // Shipped before it was durable on the leader, and durable on the follower,
  // which said so.
  EXPECT_EQ(follower().Offsets("t", 0).log_end_offset, Offset(2));
  EXPECT_NE(LeaderStatus().find("\"durable_offset\":2"), std::string::npos) << LeaderStatus();
  EXPECT_FALSE(pending->has_value()) << "acks=all answered before the leader's fsync";
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, hw);
  EXPECT_EQ(leader().Offsets("t", 0).log_end_offset, Offset(2));
  EXPECT_TRUE(follower().ReadAll("t", 0).size() == 1) << "follower reads stop at the HW too";
  ApiResponse answered = leader().Wait(pending, 1'000);
  EXPECT_EQ(ErrorCode(answered), 0);
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, Offset(2));
}

// A pipelined follower fetches again while the records of the last reply
// sync: writes the leader takes meanwhile reach it before that sync ends —
// and still no acks=all write is answered, nor the HW moved, before the
// follower's fsync covers it.
TEST_P(ReplicaPipelineTest, FollowerFetchesAgainWhileItsRecordsSyncAndAcksStillWaitForTheSync) {
  ASSERT_EQ(ErrorCode(Produce(leader(), "warm", Acks::kAll)), 0);
  ASSERT_EQ(leader().Offsets("t", 0).high_watermark, Offset(1));
  follower().disk().set_faults(SlowSync(300));
  std::vector<std::shared_ptr<std::optional<ApiResponse>>> pending;
  for (int i = 0; i < 50; ++i) {  // one write every 2 ms for 100 ms
    pending.push_back(leader().Start(
        BrokerHarness::ProduceOne("t", std::nullopt, "w" + std::to_string(i), Acks::kAll, 0)));
    Run(2);
  }
  Run(50);  // 150 ms in: the follower's first sync (300 ms) has not ended
  EXPECT_GT(follower().Offsets("t", 0).log_end_offset, Offset(2))
      << "the follower fetched nothing while its first sync ran";
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, Offset(1));
  for (const auto& p : pending) EXPECT_FALSE(p->has_value()) << "acks=all before the follower's fsync";
  for (const auto& p : pending) EXPECT_EQ(ErrorCode(leader().Wait(p, 5'000)), 0);
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, Offset(51));
  EXPECT_EQ(follower().Offsets("t", 0).log_end_offset, Offset(51));
}

// A reply to a pipelined fetch that carries more than records (here: the
// leader restarted, a new epoch, and the follower's tail to truncate) is
// dropped while appends sync, and applied from the regular fetch after: the
// logs converge and nothing acknowledged is lost.
TEST_P(ReplicaPipelineTest, APipelinedReplyWithANewEpochWaitsForTheRegularFetch) {
  std::vector<std::string> acked;
  acked.push_back("a");
  ASSERT_EQ(ErrorCode(Produce(leader(), "a", Acks::kAll)), 0);
  follower().disk().set_faults(SlowSync(300));
  std::vector<std::shared_ptr<std::optional<ApiResponse>>> before_crash;
  for (int i = 0; i < 20; ++i) {
    before_crash.push_back(leader().Start(BrokerHarness::ProduceOne(
        "t", std::nullopt, "s" + std::to_string(i), Acks::kLeader, 0)));
    Run(2);
  }
  for (size_t i = 0; i < before_crash.size(); ++i) {
    if (before_crash[i]->has_value() && ErrorCode(**before_crash[i]) == 0) {
      acked.push_back("s" + std::to_string(i));
    }
  }
  leader().Crash();  // loses what it had not synced; restarts as leader, a new epoch
  leader().OpenOrDie();
  Run(20);
  for (int i = 0; i < 20; ++i) {
    acked.push_back("n" + std::to_string(i));
    ASSERT_EQ(ErrorCode(Produce(leader(), acked.back(), Acks::kLeader)), 0);
  }
  follower().disk().set_faults(QuietDisk());
  Run(5'000);
  const std::string status = As<StatusResponse>(follower().Call(StatusRequest{})).json_extra;
  const size_t at = status.find("\"pipelined_replies_dropped\":");
  ASSERT_NE(at, std::string::npos) << status;
  EXPECT_GE(std::stoi(status.substr(at + 28)), 1) << status;
  const std::vector<Record> on_leader = leader().ReadAll("t", 0);
  EXPECT_EQ(follower().Offsets("t", 0).log_end_offset, leader().Offsets("t", 0).log_end_offset);
  EXPECT_EQ(follower().ReadAll("t", 0), on_leader);
  std::vector<std::string> values = ValuesOf(on_leader);
  for (const std::string& value : acked) {
    EXPECT_NE(std::find(values.begin(), values.end(), value), values.end()) << value << " lost";
  }
}

// (a) The leader ships un-synced records, the follower makes them durable,
// the leader loses them in a crash and restarts as leader: a new epoch, the
// follower truncates the lost tail, nothing acknowledged is lost, and both
// logs are identical.
TEST_P(ReplicaPipelineTest, LeaderRestartedAfterLosingAShippedTailMakesTheFollowerTruncateIt) {
  std::vector<std::string> acked;
  for (int i = 0; i < 3; ++i) {
    acked.push_back("a" + std::to_string(i));
    ASSERT_EQ(ErrorCode(Produce(leader(), acked.back(), Acks::kAll)), 0);
  }
  const Epoch before = leader().Offsets("t", 0).leader_epoch;
  leader().disk().set_faults(SlowSync(1'000));
  std::vector<std::shared_ptr<std::optional<ApiResponse>>> unacked;
  for (int i = 0; i < 5; ++i) {
    const Acks acks = i % 2 == 0 ? Acks::kLeader : Acks::kAll;
    unacked.push_back(leader().Start(
        BrokerHarness::ProduceOne("t", std::nullopt, "lost" + std::to_string(i), acks, 0)));
  }
  Run(200);
  ASSERT_EQ(follower().Offsets("t", 0).log_end_offset, Offset(8))
      << "the follower holds records the leader has not made durable";
  for (const auto& slot : unacked) EXPECT_FALSE(slot->has_value()) << "acknowledged too early";
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, Offset(3));
  leader().Crash();
  leader().disk().set_faults(QuietDisk());
  leader().OpenOrDie();
  ASSERT_EQ(leader().Offsets("t", 0).log_end_offset, Offset(3)) << "the crash lost the tail";
  ASSERT_EQ(ErrorCode(Produce(leader(), "n0", Acks::kLeader)), 0);
  const Epoch after = leader().Offsets("t", 0).leader_epoch;
  EXPECT_GT(after, before) << "a restart as leader is a new epoch";
  ASSERT_EQ(ErrorCode(Produce(leader(), "n1", Acks::kAll)), 0);
  Run(1'000);
  const std::vector<Record> on_leader = leader().ReadAll("t", 0);
  EXPECT_EQ(follower().ReadAll("t", 0), on_leader);
  EXPECT_EQ(follower().Offsets("t", 0).log_end_offset, Offset(5));
  acked.push_back("n0");
  acked.push_back("n1");
  EXPECT_EQ(ValuesOf(on_leader), acked);
  ASSERT_EQ(on_leader.size(), 5u);
  EXPECT_EQ(on_leader[2].epoch, before);
  EXPECT_EQ(on_leader[3].epoch, after);
  bool truncated = false;
  for (const std::string& line : follower().logger().lines()) {
    truncated = truncated || line.find("truncating divergent tail") != std::string::npos;
  }
  EXPECT_TRUE(truncated);
}

// A follower once told it is in sync holds a promotion lease that outlives a
// restart of the leader. The restarted leader (the follower cut off, so it
// never hears of the restart) commits nothing alone — no HW advance, no
// acks=all answer — until that lease has run out (replica_lag_time_max_ms,
// 1 s here); promoting the follower inside the window loses nothing acked.
TEST_P(ReplicaPipelineTest, RestartedLeaderCommitsNothingAloneWhileAFollowersLeaseMayLast) {
  ASSERT_EQ(ErrorCode(Produce(leader(), "a", Acks::kAll)), 0);
  // The follower is in the ISR now; the reply that ships "b" tells it so.
  ASSERT_EQ(ErrorCode(Produce(leader(), "b", Acks::kAll)), 0);
  Run(100);
  cluster_->network().Isolate(NodeId(2));
  leader().Crash();
  leader().OpenOrDie();
  const Offset hw = leader().Offsets("t", 0).high_watermark;
  auto pending =
      leader().Start(BrokerHarness::ProduceOne("t", std::nullopt, "alone", Acks::kAll, 0));
  ASSERT_EQ(ErrorCode(Produce(leader(), "alone-acks1", Acks::kLeader)), 0);
  Run(800);
  EXPECT_FALSE(pending->has_value()) << "acks=all answered while a follower lease may last";
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, hw) << "the HW advanced alone";
  Run(1'000);
  ASSERT_TRUE(pending->has_value()) << "the hold outlasted the lag time";
  EXPECT_EQ(ErrorCode(**pending), 0);
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, Offset(4));
}

// The hold ends as soon as every follower that may hold a lease from before
// the restart fetched in the new epoch (taking that epoch voided its lease):
// here well before the lag time.
TEST_P(ReplicaPipelineTest, RestartedLeaderCommitsAgainOnceItsFollowersAreBack) {
  ASSERT_EQ(ErrorCode(Produce(leader(), "a", Acks::kAll)), 0);
  ASSERT_EQ(ErrorCode(Produce(leader(), "b", Acks::kAll)), 0);
  Run(100);
  leader().Crash();
  leader().OpenOrDie();
  auto pending = leader().Start(BrokerHarness::ProduceOne("t", std::nullopt, "c", Acks::kAll, 0));
  Run(700);  // < replica_lag_time_max_ms (1,000): the hold alone would still last
  ASSERT_TRUE(pending->has_value()) << "the hold outlasted the followers' return";
  EXPECT_EQ(ErrorCode(**pending), 0);
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, Offset(3));
  EXPECT_EQ(follower().ReadAll("t", 0).size(), 3u);
}

// A topic created while a follower may hold a promotion lease starts with
// that follower in its ISR: neither the creation nor an acks=all write to it
// is answered until the follower has it, or its lease has run out (here:
// cut off, so after the lag time). A promotion inside the lease would
// otherwise lose both (gafka-sim replication-chaos seed 487,
// replication-failover seed 532).
TEST_P(ReplicaPipelineTest, NewTopicCommitsNothingWithoutAFollowerThatMayHoldALease) {
  cluster_->network().Isolate(NodeId(2));
  CreateTopicRequest create;
  create.name = "late";
  create.partitions = 1;
  auto created = leader().Start(create);
  Run(500);  // < replica_lag_time_max_ms (1,000)
  EXPECT_FALSE(created->has_value()) << "the topic was acknowledged without the follower";
  auto write = leader().Start(BrokerHarness::ProduceOne("late", std::nullopt, "v", Acks::kAll, 0));
  Run(200);
  EXPECT_FALSE(write->has_value()) << "acks=all committed alone on the new topic";
  Run(1'000);
  ASSERT_TRUE(created->has_value());
  EXPECT_EQ(ErrorCode(**created), 0);
  ASSERT_TRUE(write->has_value());
  EXPECT_EQ(ErrorCode(**write), 0);
}

TEST_P(ReplicaPipelineTest, NewTopicIsAcknowledgedOnceTheFollowerHasIt) {
  CreateTopicRequest create;
  create.name = "late";
  create.partitions = 2;
  ApiResponse created = leader().Call(create);
  ASSERT_EQ(ErrorCode(created), 0);
  // Answered: the follower holds both partitions (it fetched them).
  EXPECT_EQ(ErrorCode(follower().Call(DescribeTopicRequest{"late"})), 0);
}

// A follower that never had a reply showing it holds every topic of the
// leader has no promotion lease, even with no partitions to be out of sync
// on: the leader may have created (and committed to) a topic it never saw.
TEST(ReplicaPromotion, AFollowerThatNeverHeldEveryTopicOfTheLeaderIsNotPromoted) {
  ReplicaCluster cluster(1);
  cluster.network().Isolate(NodeId(2));
  cluster.OpenWithTopic("t", 1);
  auto promoted = cluster.node(2).broker().Promote(NodeAddress(2));
  EXPECT_FALSE(promoted.ok()) << "promoted without ever holding the leader's topics";
  cluster.network().Heal();
  cluster.Run(1'000);
  auto again = cluster.node(2).broker().Promote(NodeAddress(2));
  EXPECT_TRUE(again.ok()) << "in sync on every topic now, yet: " << again.status().ToString();
}

// What the restarted leader appended alone before its restart, past the HW,
// is not committed: the follower, still within its promotion lease, never
// had it, and promoting the follower truncates it. So the restarted leader's
// HW starts from its checkpoint, and no reader sees those records. Without
// the checkpoint the HW restarted at the durable log end and a reader saw
// "tail", which the promotion then truncated.
TEST_P(ReplicaPipelineTest, RestartedLeaderShowsNoRecordPastTheOldHighWatermark) {
  ASSERT_EQ(ErrorCode(Produce(leader(), "a", Acks::kAll)), 0);
  ASSERT_EQ(ErrorCode(Produce(leader(), "b", Acks::kAll)), 0);
  Run(400);  // an ISR check wrote the checkpoint (every lag time / 4)
  cluster_->network().Isolate(NodeId(2));
  ASSERT_EQ(ErrorCode(Produce(leader(), "tail", Acks::kLeader)), 0);
  ASSERT_EQ(leader().Offsets("t", 0).high_watermark, Offset(2)) << "the follower lacks it";
  leader().Crash();
  leader().OpenOrDie();
  ASSERT_EQ(leader().Offsets("t", 0).log_end_offset, Offset(3)) << "durable before the crash";
  EXPECT_EQ(leader().Offsets("t", 0).high_watermark, Offset(2));
  EXPECT_EQ(ValuesOf(leader().ReadAll("t", 0)), (std::vector<std::string>{"a", "b"}));
  // Within its lease the follower is promoted; the old leader, restarted as
  // its follower, truncates "tail": no reader may ever have seen it.
  auto promoted = follower().broker().Promote(NodeAddress(2));
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString();
  cluster_->network().Heal();
  leader().Crash();
  leader().FollowerOf(2);
  leader().OpenOrDie();
  Run(1'000);
  EXPECT_EQ(ValuesOf(leader().ReadAll("t", 0)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(leader().Offsets("t", 0).log_end_offset, Offset(2)) << "the tail was truncated";
}

// The durable stores of core/replica on a simulated disk with a "/d" dir.
class ReplicaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(disk.MakeDirs("/d").ok()); }
  sim::SimClock clock;
  sim::SimDisk disk{clock, 1};
};
using ReplicaHwCheckpoint = ReplicaStoreTest;
using ReplicaEpochStore = ReplicaStoreTest;

// A topic re-created under a deleted one's name must not start from the old
// topic's checkpointed HW, and the checkpoint file survives a restart and
// rejects corruption.
TEST_F(ReplicaHwCheckpoint, RoundTripsForgetsATopicAndRejectsCorruption) {
  {
    HwCheckpoint checkpoint(disk, "/d");
    ASSERT_TRUE(checkpoint.Load().ok());
    EXPECT_TRUE(checkpoint.entries().empty()) << "no file: nothing known";
    ASSERT_TRUE(
        checkpoint.Store({{{"t", 0}, Offset(7)}, {{"t", 1}, Offset(9)}, {{"u", 0}, Offset(3)}})
            .ok());
    ASSERT_TRUE(checkpoint.Forget("t").ok());
  }
  HwCheckpoint reopened(disk, "/d");
  ASSERT_TRUE(reopened.Load().ok());
  EXPECT_EQ(reopened.entries().size(), 1u);
  EXPECT_EQ(reopened.Find("u", 0), Offset(3));
  EXPECT_EQ(reopened.Find("t", 0), std::nullopt);
  std::string bytes = HwCheckpoint::Encode({{{"topic", 2}, Offset(5)}});
  ASSERT_TRUE(HwCheckpoint::Decode(bytes).ok());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    EXPECT_FALSE(HwCheckpoint::Decode(flipped).ok()) << "byte " << i;
  }
  EXPECT_FALSE(HwCheckpoint::Decode(bytes.substr(0, bytes.size() - 1)).ok());
}

// The "replicated" flag (a follower was told it is in sync) is durable and
// Store keeps it, so a restart as leader knows a lease may be out there.
TEST_F(ReplicaEpochStore, ReplicatedFlagIsDurableStickyAndAbsentFromOlderVersions) {
  {
    EpochStore store(disk, "/d");
    ASSERT_TRUE(store.Load().ok());
    EXPECT_FALSE(store.replicated());
    ASSERT_TRUE(store.Store(Epoch(1), /*led=*/true).ok());
    EXPECT_FALSE(store.replicated());
    ASSERT_TRUE(store.MarkReplicated(NodeId(2)).ok());
    ASSERT_TRUE(store.MarkReplicated(NodeId(3)).ok());
    ASSERT_TRUE(store.Store(Epoch(101), /*led=*/true).ok());
  }
  EpochStore reopened(disk, "/d");
  auto epoch = reopened.Load();
  ASSERT_TRUE(epoch.ok());
  EXPECT_EQ(*epoch, Epoch(101));
  EXPECT_TRUE(reopened.led());
  EXPECT_TRUE(reopened.replicated()) << "Store keeps the flag";
  EXPECT_TRUE(reopened.lease_holders_known());
  EXPECT_EQ(reopened.lease_holders(), (std::set<NodeId>{NodeId(2), NodeId(3)}));
  // A version 3 file (20 bytes) said "replicated" without saying who.
  std::string v3;
  PutFixed32(&v3, 0x4c505247);
  PutFixed32(&v3, 3);
  PutFixed32(&v3, 101);
  PutFixed32(&v3, 3);  // led, replicated
  PutFixed32(&v3, crc32c::Value(v3.data(), 16));
  ASSERT_TRUE(disk.WriteWhole("/d/replica.state", v3).ok());
  EpochStore old(disk, "/d");
  ASSERT_TRUE(old.Load().ok());
  EXPECT_TRUE(old.replicated());
  EXPECT_FALSE(old.lease_holders_known()) << "then the restart hold lasts its whole time";
  v3[9] ^= 1;
  ASSERT_TRUE(disk.WriteWhole("/d/replica.state", v3).ok());
  EXPECT_FALSE(EpochStore(disk, "/d").Load().ok()) << "corruption is detected";
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplicaPipelineTest, ::testing::Values(1, 2, 3));

TEST(ReplicaEpochBallot, EachBrokerLeadsOnlyItsOwnEpochs) {
  EXPECT_EQ(NextLedEpoch(Epoch(0), NodeId(1)), Epoch(1));
  EXPECT_EQ(NextLedEpoch(Epoch(0), NodeId(2)), Epoch(2));
  EXPECT_EQ(NextLedEpoch(Epoch(1), NodeId(1)), Epoch(101));
  EXPECT_EQ(NextLedEpoch(Epoch(1), NodeId(2)), Epoch(2));
  EXPECT_EQ(NextLedEpoch(Epoch(101), NodeId(2)), Epoch(102));
  EXPECT_EQ(NextLedEpoch(Epoch(102), NodeId(1)), Epoch(201));
  EXPECT_EQ(NextLedEpoch(Epoch(0), NodeId(100)), Epoch(100));
  EXPECT_EQ(NextLedEpoch(Epoch(0), NodeId(1001)), Epoch(1));
  for (int known = 0; known < 350; ++known) {
    const Epoch a = NextLedEpoch(Epoch(known), NodeId(1));
    const Epoch b = NextLedEpoch(Epoch(known), NodeId(2));
    EXPECT_GT(a, Epoch(known));
    EXPECT_GT(b, Epoch(known));
    EXPECT_LE(a.value(), known + kEpochStride);
    EXPECT_NE(a, b);
  }
  EXPECT_TRUE(SameEpochLane(NodeId(1), NodeId(101)));
  EXPECT_FALSE(SameEpochLane(NodeId(1), NodeId(2)));
}

// Two brokers whose ids share an epoch lane could lead the same epoch: the
// leader refuses such a follower (and says why) instead of replicating.
TEST(ReplicaEpochBallot, LeaderRefusesAFollowerInItsEpochLane) {
  ReplicaCluster cluster(1);
  cluster.node(2).config().id = NodeId(101);
  cluster.OpenWithTopic("t", 1);
  cluster.Run(500);
  ASSERT_EQ(ErrorCode(cluster.node(1).Call(
                BrokerHarness::ProduceOne("t", std::nullopt, "v", Acks::kLeader, 0))),
            0);
  cluster.Run(500);
  EXPECT_NE(ErrorCode(cluster.node(2).Call(DescribeTopicRequest{"t"})), 0)
      << "the follower got nothing, not even the topic";
  bool refused = false;
  for (const std::string& line : cluster.node(1).logger().lines()) {
    refused = refused || line.find("refusing follower 101") != std::string::npos;
  }
  EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace gafka::testing
