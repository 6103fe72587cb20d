// Regression (found by gafka-sim, scenarios/replication-failover.json seeds
// 25, 36, 80): a follower whose fetch timeout was not longer than the
// leader's long-poll wait resent its fetch before the parked one could be
// answered; the leader then answered the superseded fetch (ignored as stale)
// and parked the new one, forever. While the leader was idle the follower
// never learned the final high watermark.
#include <gtest/gtest.h>

#include "core/protocol/errors.h"
#include "tests/core/replica/replica_harness.h"

namespace gafka::testing {
namespace {

class ReplicaFetchTimeout : public ::testing::TestWithParam<Millis> {};

TEST_P(ReplicaFetchTimeout, IdleFollowerLearnsTheHighWatermark) {
  ReplicaCluster cluster(7);
  for (int id : {1, 2}) {
    ReplicaConfig& r = cluster.node(id).config().replication;
    r.fetch_max_wait_ms = 250;
    r.fetch_timeout_ms = GetParam();  // shorter than, equal to, longer than the wait
  }
  cluster.OpenWithTopic("t", 1);
  cluster.Run(1'000);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(ErrorCode(cluster.node(1).Call(BrokerHarness::ProduceOne(
                  "t", std::nullopt, "v" + std::to_string(i), Acks::kAll, 0))),
              0);
  }
  // No more writes: the follower must still learn that all 5 are committed.
  cluster.Run(5'000);
  EXPECT_EQ(cluster.node(1).Offsets("t", 0).high_watermark, Offset(5));
  EXPECT_EQ(cluster.node(2).Offsets("t", 0).high_watermark, Offset(5));
}

INSTANTIATE_TEST_SUITE_P(Timeouts, ReplicaFetchTimeout, ::testing::Values(200, 250, 400));

}  // namespace
}  // namespace gafka::testing
