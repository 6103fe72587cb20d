// Regression (found by gafka-sim, scenarios/replication-chaos.json seeds 30,
// 70, 71, 76, 77, 90): a follower that the leader had dropped from the ISR
// (its fetches and replies lost) still believed it was in sync, as the
// leader last said; promoted after the leader died, it lacked acks=all
// records the leader had committed with an ISR of itself alone. Promotion
// now needs a fetch the leader saw as caught up within the lag time.
#include <gtest/gtest.h>

#include "core/protocol/errors.h"
#include "tests/core/replica/replica_harness.h"

namespace gafka::testing {
namespace {

class ReplicaPromotionLease : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ReplicaPromotionLease, FollowerDroppedFromTheIsrIsNotPromoted) {
  ReplicaCluster cluster(GetParam());
  cluster.OpenWithTopic("t", 1);
  cluster.Run(1'000);
  ASSERT_EQ(ErrorCode(cluster.node(1).Call(
                BrokerHarness::ProduceOne("t", std::nullopt, "a", Acks::kAll, 0))),
            0);
  cluster.Run(300);
  // The follower is cut off; the leader drops it after the lag time (1 s)
  // and commits an acks=all write alone.
  cluster.network().Isolate(NodeId(2));
  cluster.Run(3'000);
  ASSERT_EQ(ErrorCode(cluster.node(1).Call(
                BrokerHarness::ProduceOne("t", std::nullopt, "b", Acks::kAll, 0))),
            0);
  cluster.node(1).Crash();
  cluster.network().Heal();
  auto promoted = cluster.node(2).broker().Promote("node-2");
  ASSERT_FALSE(promoted.ok()) << "promoting would lose the committed acks=all write \"b\"";
  EXPECT_EQ(promoted.status().code(), Code::kConflict);
}

TEST_P(ReplicaPromotionLease, FollowerInContactIsPromoted) {
  ReplicaCluster cluster(GetParam());
  cluster.OpenWithTopic("t", 1);
  cluster.Run(1'000);
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(ErrorCode(cluster.node(1).Call(BrokerHarness::ProduceOne(
                  "t", std::nullopt, "v" + std::to_string(i), Acks::kAll, 0))),
              0);
  }
  cluster.node(1).Crash();
  cluster.Run(200);  // the operator notices (well within the lag time)
  auto promoted = cluster.node(2).broker().Promote("node-2");
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString();
  EXPECT_EQ(cluster.node(2).ReadAll("t", 0).size(), 10u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplicaPromotionLease, ::testing::Values(1, 2, 3, 4, 5));

}  // namespace
}  // namespace gafka::testing
