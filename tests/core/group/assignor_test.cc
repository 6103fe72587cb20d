// Assignors: disjoint, complete, balanced, deterministic; sticky keeps.
#include "core/group/assignor.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

namespace gafka {
namespace {

AssignmentInput Homogeneous(int members, int32_t partitions, const std::string& topic = "t") {
  AssignmentInput input;
  for (int i = 0; i < members; ++i) input.subscriptions["m" + std::to_string(i)] = {topic};
  input.partition_counts[topic] = partitions;
  return input;
}

std::vector<int32_t> Ids(const std::vector<TopicPartition>& partitions) {
  std::vector<int32_t> out;
  for (const TopicPartition& tp : partitions) out.push_back(tp.partition.value());
  return out;
}

size_t Spread(const Assignment& a) {
  size_t lo = SIZE_MAX, hi = 0;
  for (const auto& [member, partitions] : a) {
    lo = std::min(lo, partitions.size());
    hi = std::max(hi, partitions.size());
  }
  return a.empty() ? 0 : hi - lo;
}

TEST(Assignor, RoundRobinDealsPartitionsInTurn) {
  Assignment a = AssignRoundRobin(Homogeneous(3, 7));
  EXPECT_EQ(Ids(a["m0"]), (std::vector<int32_t>{0, 3, 6}));
  EXPECT_EQ(Ids(a["m1"]), (std::vector<int32_t>{1, 4}));
  EXPECT_EQ(Ids(a["m2"]), (std::vector<int32_t>{2, 5}));
}

TEST(Assignor, RangeGivesContiguousRangesFirstMembersOneMore) {
  Assignment a = AssignRange(Homogeneous(3, 7));
  EXPECT_EQ(Ids(a["m0"]), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(Ids(a["m1"]), (std::vector<int32_t>{3, 4}));
  EXPECT_EQ(Ids(a["m2"]), (std::vector<int32_t>{5, 6}));
}

TEST(Assignor, RoundRobinSkipsMembersNotSubscribed) {
  AssignmentInput input;
  input.subscriptions = {{"a", {"t"}}, {"b", {"u"}}, {"c", {"t", "u"}}};
  input.partition_counts = {{"t", 2}, {"u", 2}};
  Assignment a = AssignRoundRobin(input);
  EXPECT_EQ(ValidateAssignment(input, a), "");
  for (const TopicPartition& tp : a["a"]) EXPECT_EQ(tp.topic, "t");
  for (const TopicPartition& tp : a["b"]) EXPECT_EQ(tp.topic, "u");
}

TEST(Assignor, UnknownTopicsAndNoMembersAssignNothing) {
  AssignmentInput input;
  input.subscriptions = {{"a", {"missing"}}, {"b", {}}};
  for (AssignorKind kind :
       {AssignorKind::kRoundRobin, AssignorKind::kRange, AssignorKind::kSticky}) {
    Assignment a = Assign(kind, input);
    EXPECT_EQ(a.size(), 2u);
    EXPECT_TRUE(a["a"].empty() && a["b"].empty());
    EXPECT_TRUE(Assign(kind, AssignmentInput{}).empty());
  }
}

TEST(Assignor, StickyMovesOnlyWhatTheNewMemberNeeds) {
  AssignmentInput input = Homogeneous(2, 6);
  Assignment first = AssignSticky(input);
  input.previous = first;
  input.subscriptions["m2"] = {"t"};
  Assignment second = AssignSticky(input);
  EXPECT_EQ(ValidateAssignment(input, second), "");
  EXPECT_EQ(second["m2"].size(), 2u);
  for (const char* m : {"m0", "m1"}) {
    EXPECT_EQ(second[m].size(), 2u);
    for (const TopicPartition& tp : second[m]) {
      EXPECT_TRUE(std::binary_search(first[m].begin(), first[m].end(), tp)) << m;
    }
  }
}

TEST(Assignor, StickyHandsADepartedMembersPartitionsToTheLeastLoaded) {
  AssignmentInput input = Homogeneous(3, 9);
  input.previous = AssignSticky(input);
  const Assignment before = input.previous;
  input.subscriptions.erase("m1");
  Assignment after = AssignSticky(input);
  EXPECT_EQ(ValidateAssignment(input, after), "");
  EXPECT_LE(Spread(after), 1u);
  for (const char* m : {"m0", "m2"}) {
    for (const TopicPartition& tp : before.at(m)) {
      EXPECT_TRUE(std::binary_search(after[m].begin(), after[m].end(), tp)) << m;
    }
  }
}

TEST(Assignor, ValidateReportsDoubleOwnersAndGaps) {
  AssignmentInput input = Homogeneous(2, 2);
  Assignment twice{{"m0", {{"t", PartitionId(0)}}}, {"m1", {{"t", PartitionId(0)}}}};
  EXPECT_NE(ValidateAssignment(input, twice).find("two owners"), std::string::npos);
  Assignment gap{{"m0", {{"t", PartitionId(0)}}}, {"m1", {}}};
  EXPECT_NE(ValidateAssignment(input, gap).find("unassigned"), std::string::npos);
}

// ---- properties ---------------------------------------------------------------

rc::Gen<AssignmentInput> GenInput() {
  return rc::gen::exec([] {
    AssignmentInput input;
    const int topics = *rc::gen::inRange(1, 4);
    for (int t = 0; t < topics; ++t) {
      input.partition_counts["t" + std::to_string(t)] = *rc::gen::inRange(0, 13);
    }
    const int members = *rc::gen::inRange(0, 9);
    for (int m = 0; m < members; ++m) {
      std::set<std::string> subscribed;
      for (int t = 0; t < topics; ++t) {
        if (*rc::gen::inRange(0, 3) > 0) subscribed.insert("t" + std::to_string(t));
      }
      input.subscriptions["m" + std::to_string(m)] = subscribed;
    }
    return input;
  });
}

RC_GTEST_PROP(AssignorProperty, EveryAssignorIsDisjointCompleteAndDeterministic, ()) {
  AssignmentInput input = *GenInput();
  const auto kind =
      *rc::gen::element(AssignorKind::kRoundRobin, AssignorKind::kRange, AssignorKind::kSticky);
  if (kind == AssignorKind::kSticky) {
    // Any earlier valid assignment, even of other members.
    input.previous = AssignRoundRobin(*GenInput());
  }
  const Assignment a = Assign(kind, input);
  RC_ASSERT(ValidateAssignment(input, a) == "");
  RC_ASSERT(Assign(kind, input) == a);
}

RC_GTEST_PROP(AssignorProperty, HomogeneousSubscriptionsAreBalanced, ()) {
  const int members = *rc::gen::inRange(1, 12);
  const int32_t partitions = *rc::gen::inRange(0, 40);
  AssignmentInput input = Homogeneous(members, partitions);
  RC_ASSERT(Spread(AssignRoundRobin(input)) <= 1u);
  RC_ASSERT(Spread(AssignRange(input)) <= 1u);
  input.previous = AssignRange(Homogeneous(*rc::gen::inRange(1, 12), partitions));
  RC_ASSERT(Spread(AssignSticky(input)) <= 1u);
}

// Sticky after one member joins or leaves: every surviving member keeps at
// least min(what it had, floor(P / M)) of its previous partitions.
RC_GTEST_PROP(AssignorProperty, StickyKeepsAsMuchAsBalanceAllows, ()) {
  const int members = *rc::gen::inRange(1, 10);
  const int32_t partitions = *rc::gen::inRange(1, 40);
  AssignmentInput input = Homogeneous(members, partitions);
  input.previous = AssignSticky(input);
  if (members > 1 && *rc::gen::arbitrary<bool>()) {
    input.subscriptions.erase("m" + std::to_string(*rc::gen::inRange(0, members)));
  } else {
    input.subscriptions["new"] = {"t"};
  }
  const Assignment after = AssignSticky(input);
  RC_ASSERT(ValidateAssignment(input, after) == "");
  RC_ASSERT(Spread(after) <= 1u);
  const size_t floor = static_cast<size_t>(partitions) / input.subscriptions.size();
  for (const auto& [member, owned] : after) {
    auto before = input.previous.find(member);
    if (before == input.previous.end()) continue;
    size_t kept = 0;
    for (const TopicPartition& tp : before->second) {
      kept += std::binary_search(owned.begin(), owned.end(), tp) ? 1 : 0;
    }
    RC_ASSERT(kept >= std::min(before->second.size(), floor));
  }
}

}  // namespace
}  // namespace gafka
