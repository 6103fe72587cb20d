// Membership: join, heartbeat, leave, expiry on virtual time, generations.
#include <gtest/gtest.h>

#include "tests/core/group/group_test_util.h"

namespace gafka::testing {
namespace {

class Membership : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.topics().AddTopic("t", 4);
    world_.OpenOrDie();
  }
  MemberView Join(const std::string& member, std::optional<Millis> session_ms = std::nullopt,
                  const std::string& topic = "t") {
    Result<MemberView> view = world_->Join("g", member, JoinOptions{topic, session_ms});
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    return view.ok() ? *view : MemberView{};
  }
  GroupWorld world_;
};

TEST_F(Membership, FirstJoinOwnsEveryPartitionInGenerationOne) {
  MemberView a = Join("a");
  EXPECT_TRUE(a.joined);
  EXPECT_EQ(a.generation, Generation(1));
  EXPECT_EQ(PartitionsOf(a), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(a.session_timeout_ms, 10'000);
  EXPECT_EQ(a.session_expires_in_ms, 10'000);
  EXPECT_EQ(a.heartbeat_interval_ms, 3'000);
  EXPECT_EQ(a.state, GroupState::kStable);
}

TEST_F(Membership, SecondJoinBumpsGenerationAndSplitsDisjointly) {
  Join("a");
  MemberView b = Join("b");
  EXPECT_EQ(b.generation, Generation(2));
  std::map<TopicPartition, std::string> owners = Owners(world_.coordinator(), "g");
  EXPECT_EQ(owners.size(), 4u);
  EXPECT_EQ(PartitionsOf(b).size(), 2u);
  // a has not heard of generation 2 yet.
  EXPECT_EQ(world_->Describe("g")->state, GroupState::kRebalancing);
  MemberView a = *world_->Heartbeat("g", "a");
  EXPECT_EQ(a.generation, Generation(2));
  EXPECT_EQ(PartitionsOf(a).size(), 2u);
  EXPECT_EQ(world_->Describe("g")->state, GroupState::kStable);
}

TEST_F(Membership, RejoinOfAMemberIsNotARebalance) {
  Join("a");
  MemberView again = Join("a");
  EXPECT_FALSE(again.joined);
  EXPECT_EQ(again.generation, Generation(1));
}

TEST_F(Membership, SubscribingToAnotherTopicRebalances) {
  world_.topics().AddTopic("u", 2);
  Join("a");
  MemberView a = Join("a", std::nullopt, "u");
  EXPECT_EQ(a.generation, Generation(2));
  EXPECT_EQ(a.topics, (std::vector<std::string>{"t", "u"}));
  EXPECT_EQ(a.assignment.size(), 6u);
}

TEST_F(Membership, SessionTimeoutOutsideTheBoundsIsRefused) {
  EXPECT_EQ(world_->Join("g", "a", JoinOptions{"t", 999}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(world_->Join("g", "a", JoinOptions{"t", 300'001}).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(world_->Join("g", "a", JoinOptions{"t", 1'000}).ok());
  EXPECT_FALSE(world_->Join("", "a", JoinOptions{}).ok());
  EXPECT_FALSE(world_->Join("g", "", JoinOptions{}).ok());
}

TEST_F(Membership, HeartbeatIntervalIsAtMostAThirdOfTheSession) {
  EXPECT_EQ(Join("a", 3'000).heartbeat_interval_ms, 1'000);
  EXPECT_EQ(Join("b", 60'000).heartbeat_interval_ms, 3'000);
}

TEST_F(Membership, MemberWithoutHeartbeatExpiresAfterItsSession) {
  Join("a");
  Join("b");
  world_.Advance(9'000);
  ASSERT_TRUE(world_->Heartbeat("g", "a").ok());
  world_.Advance(1'000);  // b's session ends now
  EXPECT_EQ(world_->Heartbeat("g", "b").status().detail(), kDetailMemberNotFound);
  MemberView a = *world_->Heartbeat("g", "a");
  EXPECT_EQ(a.generation, Generation(3));
  EXPECT_EQ(PartitionsOf(a), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(a.session_expires_in_ms, 10'000);
}

TEST_F(Membership, HeartbeatsKeepAMemberAliveIndefinitely) {
  Join("a", 2'000);
  for (int i = 0; i < 100; ++i) {
    world_.Advance(1'999);
    Result<MemberView> view = world_->Heartbeat("g", "a");
    ASSERT_TRUE(view.ok()) << "round " << i;
    EXPECT_EQ(view->generation, Generation(1));
  }
  world_.Advance(2'000);
  EXPECT_FALSE(world_->Heartbeat("g", "a").ok());
}

TEST_F(Membership, SessionDeadlineCountsDown) {
  Join("a");
  world_.Advance(4'000);
  EXPECT_EQ(world_->FindMember("g", "a")->session_expires_in_ms, 6'000);
  EXPECT_EQ(world_->Describe("g")->members[0].session_expires_in_ms, 6'000);
}

TEST_F(Membership, HeartbeatOfUnknownGroupSays40403AndToJoin) {
  Status status = world_->Heartbeat("nobody", "a").status();
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_EQ(status.detail(), kDetailGroupNotFound);
  EXPECT_NE(status.message().find("join"), std::string::npos) << status.message();
}

TEST_F(Membership, HeartbeatOfUnknownMemberSays40404AndToJoin) {
  Join("a");
  Status status = world_->Heartbeat("g", "b").status();
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_EQ(status.detail(), kDetailMemberNotFound);
  EXPECT_NE(status.message().find("/members/b/join"), std::string::npos) << status.message();
}

TEST_F(Membership, LeaveRebalancesAndTheSurvivorOwnsEverything) {
  Join("a");
  Join("b");
  Result<Generation> left = world_->Leave("g", "b");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, Generation(3));
  EXPECT_EQ(PartitionsOf(*world_->Heartbeat("g", "a")), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(world_->Leave("g", "b").status().detail(), kDetailMemberNotFound);
}

TEST_F(Membership, LastLeaveEmptiesTheGroupButKeepsItsGeneration) {
  Join("a");
  ASSERT_TRUE(world_->Leave("g", "a").ok());
  Result<GroupStatus> status = world_->Describe("g");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, GroupState::kEmpty);
  EXPECT_EQ(status->generation, Generation(2));
  EXPECT_EQ(Join("a").generation, Generation(3));
}

TEST_F(Membership, AFullGroupRefusesNewMembers) {
  world_.Close();
  world_.config().max_members_per_group = 2;
  world_.OpenOrDie();
  Join("a");
  Join("b");
  EXPECT_EQ(world_->Join("g", "c", JoinOptions{"t", {}}).status().code(), Code::kUnavailable);
  EXPECT_TRUE(world_->Join("g", "a", JoinOptions{"t", {}}).ok());
}

TEST_F(Membership, MoreMembersThanPartitionsLeavesSomeIdle) {
  for (const char* m : {"a", "b", "c", "d", "e", "f"}) Join(m);
  std::map<TopicPartition, std::string> owners = Owners(world_.coordinator(), "g");
  EXPECT_EQ(owners.size(), 4u);
  std::set<std::string> distinct;
  for (const auto& [tp, owner] : owners) distinct.insert(owner);
  EXPECT_EQ(distinct.size(), 4u);
}

TEST_F(Membership, MemberOfUnknownTopicOwnsNothingUntilTheTopicExists) {
  MemberView a = Join("a", std::nullopt, "later");
  EXPECT_TRUE(a.assignment.empty());
  world_.topics().AddTopic("later", 3);
  world_->OnTopicsChanged();
  MemberView after = *world_->Heartbeat("g", "a");
  EXPECT_EQ(after.generation, Generation(2));
  EXPECT_EQ(PartitionsOf(after, "later"), (std::vector<int32_t>{0, 1, 2}));
  world_->OnTopicsChanged();  // nothing changed: no new generation
  EXPECT_EQ(world_->generation("g"), Generation(2));
}

TEST_F(Membership, RebalanceListenerHearsEveryGeneration) {
  std::vector<int32_t> heard;
  world_->SetRebalanceListener([&](const std::string& group, Generation g) {
    EXPECT_EQ(group, "g");
    heard.push_back(g.value());
    // The state is consistent when the listener runs: it may call back in.
    EXPECT_EQ(world_->generation("g"), g);
  });
  Join("a");
  Join("b");
  world_.Advance(10'000);  // both expire
  EXPECT_EQ(heard, (std::vector<int32_t>{1, 2, 3, 4}));
}

TEST_F(Membership, GenerationsKeepIncreasingAcrossRestarts) {
  Join("a");
  Join("b");
  const Generation before = *world_->generation("g");
  world_.Reopen();
  EXPECT_EQ(world_->Heartbeat("g", "a").status().detail(), kDetailGroupNotFound);
  MemberView a = Join("a");
  EXPECT_GT(a.generation, before);
  EXPECT_EQ(a.generation, Generation((1 << 16) + 1));
  world_.Crash();
  world_.OpenOrDie();
  EXPECT_EQ(Join("a").generation, Generation((2 << 16) + 1));
}

TEST(MembershipSticky, AJoiningMemberTakesOnlyItsShareAndPositionsStay) {
  GroupConfig config = TestGroupConfig();
  config.assignor = AssignorKind::kSticky;
  GroupWorld world(7, QuietDisk(), config);
  world.topics().AddTopic("t", 6, 100);
  world.OpenOrDie();
  ASSERT_TRUE(world->Join("g", "a", JoinOptions{"t", {}}).ok());
  ASSERT_TRUE(world->Join("g", "b", JoinOptions{"t", {}}).ok());
  const std::map<TopicPartition, std::string> before = Owners(world.coordinator(), "g");
  Result<PollPlan> plan = world->BeginPoll(PollStart{"g", "a", "t", OffsetSpec::kEarliest, false});
  ASSERT_TRUE(plan.ok());
  std::vector<PollDelivery> delivered;
  for (const PollSource& s : plan->sources) delivered.push_back({s.partition, Offset(9)});
  ASSERT_TRUE(world->EndPoll("g", "a", plan->poll_id, delivered).ok());

  ASSERT_TRUE(world->Join("g", "c", JoinOptions{"t", {}}).ok());
  const std::map<TopicPartition, std::string> after = Owners(world.coordinator(), "g");
  int moved = 0;
  for (const auto& [tp, owner] : after) moved += before.at(tp) != owner ? 1 : 0;
  EXPECT_EQ(moved, 2);  // exactly c's share
  Result<PollPlan> next = world->BeginPoll(PollStart{"g", "a", "t", OffsetSpec::kEarliest, false});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->sources.size(), 2u);
  for (const PollSource& s : next->sources)
    EXPECT_EQ(s.from, Offset(9));  // kept partitions keep positions
}

}  // namespace
}  // namespace gafka::testing
