// Commits: fencing by generation and ownership, monotonic offsets, the log
// end, durability before the answer; fetch of committed offsets.
#include <gtest/gtest.h>

#include "tests/core/group/group_test_util.h"

namespace gafka::testing {
namespace {

class Commits : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.topics().AddTopic("t", 2, /*end=*/100);
    world_.OpenOrDie();
  }
  MemberView Join(const std::string& member) {
    Result<MemberView> view = world_->Join("g", member, JoinOptions{"t", {}});
    EXPECT_TRUE(view.ok()) << view.status().ToString();
    return view.ok() ? *view : MemberView{};
  }
  GroupWorld world_;
};

TEST_F(Commits, OwnerCommitIsAnsweredOnlyOnceDurable) {
  MemberView a = Join("a");
  CommitArgs args{"g", "a", a.generation, {CommitEntry{"t", PartitionId(0), Offset(42), "m"}}};
  std::optional<Result<CommitOutcome>> answer;
  ASSERT_TRUE(
      world_->Commit(args, [&](Result<CommitOutcome> r) { answer.emplace(std::move(r)); }).ok());
  EXPECT_FALSE(answer.has_value());
  EXPECT_EQ(world_.Committed("g", "t", 0), -1);  // appended, not yet durable
  world_.clock().RunUntilCondition([&] { return answer.has_value(); });
  ASSERT_TRUE(answer.has_value() && answer->ok()) << answer->status().ToString();
  const CommitOutcome& outcome = answer->value();
  ASSERT_EQ(outcome.entries.size(), 1u);
  EXPECT_TRUE(outcome.entries[0].applied);
  EXPECT_EQ(outcome.entries[0].committed, Offset(42));
  ASSERT_TRUE(outcome.member.has_value());
  EXPECT_EQ(outcome.member->session_expires_in_ms, 10'000 - world_.clock().NowMs());
  EXPECT_EQ(world_.Committed("g", "t", 0), 42);
  Result<GroupOffsets> fetched = world_->FetchOffsets("g");
  ASSERT_TRUE(fetched.ok());
  ASSERT_EQ(fetched->offsets.size(), 1u);
  EXPECT_EQ(fetched->offsets[0].first, TP("t", 0));
  EXPECT_EQ(fetched->offsets[0].second.metadata, "m");
}

TEST_F(Commits, StaleGenerationIs40902AndNothingIsApplied) {
  MemberView a = Join("a");
  Join("b");
  Result<CommitOutcome> stale = world_.CommitOne("g", "a", a.generation, "t", 0, 5);
  EXPECT_EQ(stale.status().code(), Code::kConflict);
  EXPECT_EQ(stale.status().detail(), kDetailStaleGeneration);
  EXPECT_NE(stale.status().message().find("generation 2"), std::string::npos);
  world_.Advance(10);
  EXPECT_EQ(world_.Committed("g", "t", 0), -1);
}

TEST_F(Commits, NonOwnerIs40901AndNoEntryOfTheRequestIsApplied) {
  Join("a");
  MemberView b = Join("b");
  std::map<TopicPartition, std::string> owners = Owners(world_.coordinator(), "g");
  ASSERT_EQ(owners[TP("t", 0)], "a");
  ASSERT_EQ(owners[TP("t", 1)], "b");
  CommitArgs args{"g",
                  "b",
                  b.generation,
                  {CommitEntry{"t", PartitionId(1), Offset(7), ""},
                   CommitEntry{"t", PartitionId(0), Offset(9), ""}}};
  Result<CommitOutcome> result = world_.CommitAndWait(args);
  EXPECT_EQ(result.status().code(), Code::kConflict);
  EXPECT_EQ(result.status().detail(), kDetailNotOwner);
  EXPECT_NE(result.status().message().find("owner: a"), std::string::npos);
  world_.Advance(10);
  EXPECT_EQ(world_.Committed("g", "t", 0), -1);
  EXPECT_EQ(world_.Committed("g", "t", 1), -1);
}

TEST_F(Commits, ExpiredMemberCannotCommit) {
  MemberView a = Join("a");
  world_.Advance(10'000);
  Result<CommitOutcome> result = world_.CommitOne("g", "a", a.generation, "t", 0, 5);
  EXPECT_EQ(result.status().detail(), kDetailNotOwner);
  EXPECT_NE(result.status().message().find("join again"), std::string::npos);
  EXPECT_EQ(world_.Committed("g", "t", 0), -1);
}

TEST_F(Commits, WithoutGenerationTheCurrentOwnershipDecides) {
  Join("a");
  EXPECT_TRUE(world_.CommitOne("g", "a", std::nullopt, "t", 1, 3).ok());
  Join("b");
  EXPECT_EQ(world_.CommitOne("g", "a", std::nullopt, "t", 1, 4).status().detail(), kDetailNotOwner);
  EXPECT_EQ(world_.Committed("g", "t", 1), 3);
}

TEST_F(Commits, OffsetsNeverMoveBackwards) {
  MemberView a = Join("a");
  ASSERT_TRUE(world_.CommitOne("g", "a", a.generation, "t", 0, 50).ok());
  Result<CommitOutcome> back = world_.CommitOne("g", "a", a.generation, "t", 0, 20);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->entries[0].applied);
  EXPECT_EQ(back->entries[0].committed, Offset(50));
  EXPECT_EQ(world_.Committed("g", "t", 0), 50);
  Result<CommitOutcome> same = world_.CommitOne("g", "a", a.generation, "t", 0, 50);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->entries[0].applied);
}

TEST_F(Commits, PastTheLogEndIsOutOfRangeAndNothingIsApplied) {
  MemberView a = Join("a");
  CommitArgs args{"g",
                  "a",
                  a.generation,
                  {CommitEntry{"t", PartitionId(0), Offset(100), ""},
                   CommitEntry{"t", PartitionId(1), Offset(101), ""}}};
  Result<CommitOutcome> result = world_.CommitAndWait(args);
  EXPECT_EQ(result.status().code(), Code::kOutOfRange);
  world_.Advance(10);
  EXPECT_EQ(world_.Committed("g", "t", 0), -1);
}

TEST_F(Commits, UnknownTopicOrPartitionIs404) {
  CommitArgs args{"solo", "", std::nullopt, {CommitEntry{"nope", PartitionId(0), Offset(1), ""}}};
  EXPECT_EQ(world_.CommitAndWait(args).status().detail(), kDetailTopicNotFound);
  args.entries[0].topic = "t";
  args.entries[0].partition = PartitionId(2);
  EXPECT_EQ(world_.CommitAndWait(args).status().detail(), kDetailPartitionNotFound);
}

TEST_F(Commits, StandaloneCommitOnlyWhileTheGroupHasNoMembers) {
  CommitArgs args{"g", "", std::nullopt, {CommitEntry{"t", PartitionId(0), Offset(8), ""}}};
  ASSERT_TRUE(world_.CommitAndWait(args).ok());
  EXPECT_EQ(world_.Committed("g", "t", 0), 8);
  Join("a");
  args.entries[0].offset = Offset(9);
  EXPECT_EQ(world_.CommitAndWait(args).status().detail(), kDetailNotOwner);
  EXPECT_EQ(world_.Committed("g", "t", 0), 8);
}

TEST_F(Commits, BadRequestsAreRefused) {
  MemberView a = Join("a");
  CommitArgs empty{"g", "a", a.generation, {}};
  EXPECT_EQ(world_.CommitAndWait(empty).status().code(), Code::kInvalidArgument);
  CommitArgs twice{"g",
                   "a",
                   a.generation,
                   {CommitEntry{"t", PartitionId(0), Offset(1), ""},
                    CommitEntry{"t", PartitionId(0), Offset(2), ""}}};
  EXPECT_EQ(world_.CommitAndWait(twice).status().code(), Code::kInvalidArgument);
  CommitArgs big{"g",
                 "a",
                 a.generation,
                 {CommitEntry{"t", PartitionId(0), Offset(1), std::string(5000, 'm')}}};
  EXPECT_EQ(world_.CommitAndWait(big).status().code(), Code::kInvalidArgument);
}

TEST_F(Commits, CommitExtendsTheSession) {
  MemberView a = Join("a");
  world_.Advance(9'000);
  ASSERT_TRUE(world_.CommitOne("g", "a", a.generation, "t", 0, 1).ok());
  world_.Advance(9'000);
  EXPECT_TRUE(world_->FindMember("g", "a").has_value());
}

TEST_F(Commits, ConcurrentCommitsShareSyncsAndAllComplete) {
  MemberView a = Join("a");
  int answered = 0;
  for (int i = 1; i <= 50; ++i) {
    CommitArgs args{"g", "a", a.generation, {CommitEntry{"t", PartitionId(i % 2), Offset(i), ""}}};
    ASSERT_TRUE(world_
                    ->Commit(args,
                             [&](Result<CommitOutcome> r) {
                               EXPECT_TRUE(r.ok());
                               ++answered;
                             })
                    .ok());
  }
  world_.Advance(100);
  EXPECT_EQ(answered, 50);
  EXPECT_EQ(world_.Committed("g", "t", 0), 50);
  EXPECT_EQ(world_.Committed("g", "t", 1), 49);
  EXPECT_LT(world_.disk().stats().syncs, 40u);
}

TEST_F(Commits, FetchOfUnknownGroupIs40403) {
  EXPECT_EQ(world_->FetchOffsets("nobody").status().detail(), kDetailGroupNotFound);
  Join("a");
  Result<GroupOffsets> offsets = world_->FetchOffsets("g");
  ASSERT_TRUE(offsets.ok());
  EXPECT_TRUE(offsets->offsets.empty());
}

}  // namespace
}  // namespace gafka::testing
