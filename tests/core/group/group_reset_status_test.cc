// Offset resets and group status / list.
#include <gtest/gtest.h>

#include "tests/core/group/group_test_util.h"

namespace gafka::testing {
namespace {

class ResetAndStatus : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.topics().AddTopic("t", 3, /*end=*/100, /*start=*/5);
    world_.topics().set_timestamp_base(1'000);
    world_.OpenOrDie();
  }
  ResetArgs Args(OffsetSpec to, bool force = false) {
    ResetArgs args;
    args.group_id = "g";
    args.topic = "t";
    args.to = to;
    args.force = force;
    return args;
  }
  std::vector<int64_t> CommittedAll() {
    std::vector<int64_t> out;
    for (int p = 0; p < 3; ++p) out.push_back(world_.Committed("g", "t", p));
    return out;
  }
  GroupWorld world_;
};

TEST_F(ResetAndStatus, ResetToEarliestLatestOffsetAndTimestamp) {
  ASSERT_TRUE(world_.ResetAndWait(Args(OffsetSpec::kLatest)).ok());
  EXPECT_EQ(CommittedAll(), (std::vector<int64_t>{100, 100, 100}));
  // Resets may move offsets backwards.
  ASSERT_TRUE(world_.ResetAndWait(Args(OffsetSpec::kEarliest)).ok());
  EXPECT_EQ(CommittedAll(), (std::vector<int64_t>{5, 5, 5}));
  ResetArgs explicit_offset = Args(OffsetSpec::kExplicit);
  explicit_offset.offset = Offset(42);
  Result<ResetOutcome> outcome = world_.ResetAndWait(explicit_offset);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->offsets.size(), 3u);
  EXPECT_EQ(CommittedAll(), (std::vector<int64_t>{42, 42, 42}));
  explicit_offset.offset = Offset(5000);  // clamped to the log end
  ASSERT_TRUE(world_.ResetAndWait(explicit_offset).ok());
  EXPECT_EQ(CommittedAll(), (std::vector<int64_t>{100, 100, 100}));
  ResetArgs by_time = Args(OffsetSpec::kExplicit);
  by_time.timestamp_ms = 1'000 + 10 * 33;
  ASSERT_TRUE(world_.ResetAndWait(by_time).ok());
  EXPECT_EQ(CommittedAll(), (std::vector<int64_t>{33, 33, 33}));
}

TEST_F(ResetAndStatus, ResetIsRefusedWhileMembersAreActiveUnlessForced) {
  MemberView a = *world_->Join("g", "a", JoinOptions{"t", {}});
  ASSERT_TRUE(world_.CommitOne("g", "a", a.generation, "t", 0, 60).ok());
  Result<ResetOutcome> refused = world_.ResetAndWait(Args(OffsetSpec::kEarliest));
  EXPECT_EQ(refused.status().code(), Code::kConflict);
  EXPECT_NE(refused.status().message().find("force"), std::string::npos);
  EXPECT_EQ(world_.Committed("g", "t", 0), 60);

  Result<ResetOutcome> forced = world_.ResetAndWait(Args(OffsetSpec::kEarliest, /*force=*/true));
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_TRUE(forced->rebalanced);
  EXPECT_EQ(forced->generation, Generation(2));
  EXPECT_EQ(world_.Committed("g", "t", 0), 5);
  // The member's commit made from its old generation is fenced.
  EXPECT_EQ(world_.CommitOne("g", "a", a.generation, "t", 0, 70).status().detail(),
            kDetailStaleGeneration);
  EXPECT_EQ(world_.Committed("g", "t", 0), 5);
}

TEST_F(ResetAndStatus, AForcedResetRestartsPositionsAndRevokesParkedPolls) {
  Result<PollPlan> plan = world_->BeginPoll(PollStart{"g", "a", "t", OffsetSpec::kLatest, false});
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(world_.ResetAndWait(Args(OffsetSpec::kEarliest, true)).ok());
  std::vector<PollDelivery> delivered{{PartitionId(0), Offset(100)}};
  Result<PollEnd> end = world_->EndPoll("g", "a", plan->poll_id, delivered);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->revoked.size(), 3u);
  Result<PollPlan> next = world_->BeginPoll(PollStart{"g", "a", "t", OffsetSpec::kLatest, false});
  ASSERT_TRUE(next.ok());
  for (const PollSource& s : next->sources) EXPECT_EQ(s.from, Offset(5));
}

TEST_F(ResetAndStatus, ResetOfUnknownTopicIs40401AndBadSpecsAreRefused) {
  ResetArgs args = Args(OffsetSpec::kEarliest);
  args.topic = "nope";
  EXPECT_EQ(world_.ResetAndWait(args).status().detail(), kDetailTopicNotFound);
  ResetArgs both = Args(OffsetSpec::kExplicit);
  both.offset = Offset(1);
  both.timestamp_ms = 1;
  EXPECT_EQ(world_.ResetAndWait(both).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(world_.ResetAndWait(Args(OffsetSpec::kExplicit)).status().code(),
            Code::kInvalidArgument);
}

TEST_F(ResetAndStatus, StatusShowsMembersPartitionsOffsetsAndLag) {
  world_.topics().AddTopic("t", 3, 100, 0);
  MemberView a = *world_->Join("g", "a", JoinOptions{"t", {}});
  ASSERT_TRUE(world_.CommitOne("g", "a", a.generation, "t", 1, 40).ok());
  world_->Join("g", "b", JoinOptions{"t", {}}).status().IgnoreError();
  world_.Advance(2'000);
  Result<GroupStatus> status = world_->Describe("g");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, GroupState::kRebalancing);  // a has not seen generation 2
  EXPECT_EQ(status->generation, Generation(2));
  ASSERT_EQ(status->members.size(), 2u);
  EXPECT_EQ(status->members[0].consumer_id, "a");
  EXPECT_EQ(status->members[1].session_expires_in_ms, 8'000);
  ASSERT_EQ(status->partitions.size(), 3u);
  const PartitionStatus& p1 = status->partitions[1];
  EXPECT_EQ(p1.tp, TP("t", 1));
  EXPECT_EQ(p1.committed, Offset(40));
  EXPECT_EQ(p1.log_end, Offset(100));
  EXPECT_EQ(p1.lag, 60);
  EXPECT_EQ(p1.owner, "b");
  EXPECT_FALSE(status->partitions[0].committed.has_value());
  EXPECT_FALSE(status->partitions[0].lag.has_value());
  EXPECT_EQ(status->total_lag, 60);
}

TEST_F(ResetAndStatus, StatusOfAnUnknownGroupIs40403) {
  EXPECT_EQ(world_->Describe("nobody").status().detail(), kDetailGroupNotFound);
}

TEST_F(ResetAndStatus, TheGroupListCoversMembersAndOffsetsOnlyGroups) {
  ASSERT_TRUE(world_->Join("live", "a", JoinOptions{"t", {}}).ok());
  ResetArgs args = Args(OffsetSpec::kEarliest);
  args.group_id = "archived";
  ASSERT_TRUE(world_.ResetAndWait(args).ok());
  std::vector<GroupSummary> groups = world_->ListGroups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].group_id, "archived");
  EXPECT_EQ(groups[0].state, GroupState::kEmpty);
  EXPECT_EQ(groups[0].members, 0u);
  EXPECT_EQ(groups[1].group_id, "live");
  EXPECT_EQ(groups[1].state, GroupState::kStable);
  EXPECT_EQ(groups[1].members, 1u);
  EXPECT_EQ(groups[1].generation, Generation(1));
}

}  // namespace
}  // namespace gafka::testing
