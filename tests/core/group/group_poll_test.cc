// Group polls: implicit join, positions, one poll in flight, revocation.
#include <gtest/gtest.h>

#include "tests/core/group/group_test_util.h"

namespace gafka::testing {
namespace {

class Polls : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.topics().AddTopic("t", 2, /*end=*/100, /*start=*/10);
    world_.OpenOrDie();
  }
  PollPlan Begin(const std::string& member, OffsetSpec reset = OffsetSpec::kEarliest,
                 bool auto_commit = false) {
    Result<PollPlan> plan = world_->BeginPoll(PollStart{"g", member, "t", reset, auto_commit});
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? *plan : PollPlan{};
  }
  PollEnd End(const std::string& member, const PollPlan& plan,
              std::vector<PollDelivery> delivered = {}) {
    Result<PollEnd> end = world_->EndPoll("g", member, plan.poll_id, delivered);
    EXPECT_TRUE(end.ok()) << end.status().ToString();
    return end.ok() ? *end : PollEnd{};
  }
  static std::map<int32_t, int64_t> Sources(const PollPlan& plan) {
    std::map<int32_t, int64_t> out;
    for (const PollSource& s : plan.sources) out[s.partition.value()] = s.from.value();
    return out;
  }
  GroupWorld world_;
};

TEST_F(Polls, FirstPollJoinsAndStartsAtAutoOffsetReset) {
  PollPlan plan = Begin("a", OffsetSpec::kEarliest);
  EXPECT_TRUE(plan.member.joined);
  EXPECT_EQ(plan.member.generation, Generation(1));
  EXPECT_EQ(Sources(plan), (std::map<int32_t, int64_t>{{0, 10}, {1, 10}}));
  End("a", plan);
  PollPlan latest = Begin("b", OffsetSpec::kLatest);
  for (const PollSource& s : latest.sources) EXPECT_EQ(s.from, Offset(100));
}

TEST_F(Polls, LatestIsResolvedOnceSoLaterDataIsNotSkipped) {
  PollPlan first = Begin("a", OffsetSpec::kLatest);
  End("a", first);
  world_.topics().SetEnd(TP("t", 0), 150);
  PollPlan second = Begin("a", OffsetSpec::kLatest);
  EXPECT_EQ(Sources(second)[0], 100);
}

TEST_F(Polls, ASecondPollInFlightIs40904) {
  PollPlan plan = Begin("a");
  Result<PollPlan> second =
      world_->BeginPoll(PollStart{"g", "a", "t", OffsetSpec::kEarliest, false});
  EXPECT_EQ(second.status().code(), Code::kConflict);
  EXPECT_EQ(second.status().detail(), kDetailPollInFlight);
  End("a", plan);
  EXPECT_TRUE(world_->BeginPoll(PollStart{"g", "a", "t", OffsetSpec::kEarliest, false}).ok());
}

TEST_F(Polls, DeliveriesAdvanceThePositionAndNeverMoveItBack) {
  PollPlan plan = Begin("a");
  End("a", plan, {{PartitionId(0), Offset(25)}});
  PollPlan next = Begin("a");
  EXPECT_EQ(Sources(next), (std::map<int32_t, int64_t>{{0, 25}, {1, 10}}));
  End("a", next, {{PartitionId(0), Offset(20)}});
  EXPECT_EQ(Sources(Begin("a"))[0], 25);
}

// Regression (gafka-sim group-crashes): a client that crashed mid-batch and
// restarts under the same consumer id joins explicitly before its session
// expired. It must read from the committed offsets again, not from the
// in-session positions its lost batch reached (that would skip records it
// never processed, then commit past them: an at-least-once gap).
TEST_F(Polls, AnExplicitJoinOfAnExistingMemberRestartsAtTheCommittedOffsets) {
  PollPlan plan = Begin("a");
  End("a", plan, {{PartitionId(0), Offset(60)}, {PartitionId(1), Offset(70)}});
  ASSERT_TRUE(world_.CommitOne("g", "a", plan.member.generation, "t", 0, 40).ok());
  // An implicit join (the next poll) keeps the in-session positions.
  PollPlan next = Begin("a");
  EXPECT_EQ(Sources(next), (std::map<int32_t, int64_t>{{0, 60}, {1, 70}}));
  End("a", next);
  // The restarted client's explicit join forgets them: committed, else reset.
  Result<MemberView> joined = world_->Join("g", "a", JoinOptions{"t", std::nullopt, true});
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_FALSE(joined->joined);  // the same member, no rebalance
  EXPECT_EQ(Sources(Begin("a")), (std::map<int32_t, int64_t>{{0, 40}, {1, 10}}));
}

// A parked poll of a member that rejoins explicitly delivers nothing (its
// sources are revoked): its records would go to a client that is gone.
TEST_F(Polls, AnExplicitJoinRevokesTheParkedPollOfTheSameMember) {
  PollPlan plan = Begin("a");
  ASSERT_TRUE(world_->Join("g", "a", JoinOptions{"t", std::nullopt, true}).ok());
  PollEnd end = End("a", plan, {{PartitionId(0), Offset(30)}});
  EXPECT_EQ(end.revoked.size(), 2u);
  EXPECT_EQ(Sources(Begin("a"))[0], 10);
}

TEST_F(Polls, NewOwnerStartsFromTheCommittedOffset) {
  PollPlan plan = Begin("a");
  End("a", plan, {{PartitionId(0), Offset(60)}, {PartitionId(1), Offset(70)}});
  ASSERT_TRUE(world_.CommitOne("g", "a", plan.member.generation, "t", 0, 40).ok());
  ASSERT_TRUE(world_.CommitOne("g", "a", plan.member.generation, "t", 1, 50).ok());
  // b takes one partition; a keeps its in-session position on the other.
  PollPlan b = Begin("b");
  ASSERT_EQ(b.sources.size(), 1u);
  const int32_t moved = b.sources[0].partition.value();
  EXPECT_EQ(b.sources[0].from, Offset(moved == 0 ? 40 : 50));
  PollPlan a = Begin("a");
  ASSERT_EQ(a.sources.size(), 1u);
  EXPECT_EQ(a.sources[0].from, Offset(moved == 0 ? 70 : 60));
}

TEST_F(Polls, RecordsOfAPartitionThatMovedDuringThePollAreRevoked) {
  PollPlan plan = Begin("a");
  ASSERT_EQ(plan.sources.size(), 2u);
  PollPlan b = Begin("b");  // takes one of a's partitions while a's poll is parked
  const PartitionId moved = b.sources.at(0).partition;
  PollEnd end = End("a", plan, {{PartitionId(0), Offset(30)}, {PartitionId(1), Offset(30)}});
  EXPECT_EQ(end.revoked, std::vector<PartitionId>{moved});
  EXPECT_EQ(end.member.generation, Generation(2));
  EXPECT_EQ(end.member.assignment.size(), 1u);
  const PartitionId kept(1 - moved.value());
  EXPECT_EQ(Sources(Begin("a"))[kept.value()], 30);
}

TEST_F(Polls, AMemberWithAPollInFlightDoesNotExpire) {
  PollPlan plan = Begin("a");
  world_.Advance(60'000);
  EXPECT_TRUE(world_->FindMember("g", "a").has_value());
  PollEnd end = End("a", plan);
  EXPECT_EQ(end.member.session_expires_in_ms, 10'000);
  EXPECT_EQ(end.member.generation, Generation(1));
  world_.Advance(10'000);
  EXPECT_FALSE(world_->FindMember("g", "a").has_value());
}

TEST_F(Polls, EndPollOfAMemberThatLeftSaysNotFound) {
  PollPlan plan = Begin("a");
  ASSERT_TRUE(world_->Leave("g", "a").ok());
  std::vector<PollDelivery> delivered{{PartitionId(0), Offset(20)}};
  EXPECT_EQ(world_->EndPoll("g", "a", plan.poll_id, delivered).status().code(), Code::kNotFound);
  // Rejoined meanwhile: the old poll still cannot end the new session's poll.
  PollPlan fresh = Begin("a");
  EXPECT_EQ(world_->EndPoll("g", "a", plan.poll_id, delivered).status().code(), Code::kNotFound);
  EXPECT_TRUE(world_->EndPoll("g", "a", fresh.poll_id, delivered).ok());
}

TEST_F(Polls, PollOfAnUnknownTopicIs40401AndJoinsNothing) {
  Result<PollPlan> plan =
      world_->BeginPoll(PollStart{"g", "a", "nope", OffsetSpec::kLatest, false});
  EXPECT_EQ(plan.status().detail(), kDetailTopicNotFound);
  EXPECT_FALSE(world_->FindMember("g", "a").has_value());
}

TEST_F(Polls, AutoOffsetResetMustBeEarliestOrLatest) {
  EXPECT_EQ(
      world_->BeginPoll(PollStart{"g", "a", "t", OffsetSpec::kExplicit, false}).status().code(),
      Code::kInvalidArgument);
}

TEST_F(Polls, PositionsAreClampedIntoTheLog) {
  PollPlan plan = Begin("a");
  End("a", plan, {{PartitionId(0), Offset(50)}});
  world_.topics().SetStart(TP("t", 0), 80);  // retention removed 50..79
  EXPECT_EQ(Sources(Begin("a"))[0], 80);
}

TEST_F(Polls, AutoCommitCommitsThePreviousPollsPositions) {
  PollPlan plan = Begin("a", OffsetSpec::kEarliest, /*auto_commit=*/true);
  EXPECT_EQ(world_.Committed("g", "t", 0), -1);
  End("a", plan, {{PartitionId(0), Offset(33)}});
  PollPlan next = Begin("a", OffsetSpec::kEarliest, true);
  world_.Advance(10);
  EXPECT_EQ(world_.Committed("g", "t", 0), 33);
  EXPECT_EQ(world_.Committed("g", "t", 1), 10);
  End("a", next);
}

TEST_F(Polls, APartitionCountChangeIsNoticedByThePoll) {
  PollPlan plan = Begin("a");
  End("a", plan);
  world_.topics().AddTopic("t", 3, 100, 10);
  PollPlan next = Begin("a");
  EXPECT_EQ(next.member.generation, Generation(2));
  EXPECT_EQ(next.sources.size(), 3u);
}

TEST_F(Polls, AFailedPartitionIsLeftOutOfThePlan) {
  world_.topics().Fail(TP("t", 1));
  PollPlan plan = Begin("a");
  EXPECT_EQ(Sources(plan), (std::map<int32_t, int64_t>{{0, 10}}));
  EXPECT_EQ(plan.member.assignment.size(), 2u);
}

TEST_F(Polls, DeliveryOfAPartitionOutsideThePollIsRevoked) {
  PollPlan plan = Begin("a");
  PollEnd end = End("a", plan, {{PartitionId(7), Offset(3)}});
  EXPECT_EQ(end.revoked, std::vector<PartitionId>{PartitionId(7)});
}

}  // namespace
}  // namespace gafka::testing
