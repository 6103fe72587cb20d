// The broker with its consumer groups wired in (GroupService): group polls
// with long polling, rebalances that wake parked polls, commits, restart and
// graceful shutdown — on the simulated clock and disk.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/core/broker/broker_harness.h"

namespace gafka::testing {
namespace {

using nlohmann::json;

GroupPollRequest GroupPoll(const std::string& topic, const std::string& consumer,
                           Millis timeout_ms = 0, bool auto_commit = false) {
  GroupPollRequest r;
  r.topic = topic;
  r.group_id = "g";
  r.consumer_id = consumer;
  r.timeout_ms = timeout_ms;
  r.auto_offset_reset = OffsetSpec::kEarliest;
  r.auto_commit = auto_commit;
  r.max_count = 1000;
  return r;
}

std::pair<int, json> Group(const ApiResponse& response) {
  if (const auto* e = std::get_if<ApiError>(&response)) {
    return {e->http_status, json{{"error_code", e->error_code}, {"message", e->message}}};
  }
  const auto& g = As<GroupResponse>(response);
  json body = json::parse(g.json, nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << g.json;
  return {g.http_status, body};
}

void ProduceN(BrokerHarness& h, const std::string& topic, int partition, int n) {
  for (int i = 0; i < n; ++i) {
    Only(h.Call(BrokerHarness::ProduceOne(topic, std::nullopt,
                                          "p" + std::to_string(partition) + "-" + std::to_string(i),
                                          Acks::kLeader, partition)));
  }
}

TEST(BrokerGroupPoll, ReadsEveryPartitionOfTheMemberFromTheStart) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 3));
  for (int p = 0; p < 3; ++p) ProduceN(h, "t", p, 4);
  auto polled = As<FetchResponse>(h.Call(GroupPoll("t", "a")));
  EXPECT_EQ(polled.records.size(), 12u);
  ASSERT_TRUE(polled.generation.has_value());
  EXPECT_EQ(polled.assigned.size(), 3u);
  ASSERT_TRUE(polled.session_expires_in_ms.has_value());
  EXPECT_GT(*polled.session_expires_in_ms, 0);
  // The position advanced: the next poll is empty.
  EXPECT_TRUE(As<FetchResponse>(h.Call(GroupPoll("t", "a"))).records.empty());
}

TEST(BrokerGroupPoll, ParkedPollWakesOnDataAndTimesOutEmpty) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  auto first = h.Start(GroupPoll("t", "a", 5000));
  h.clock().RunUntil(h.clock().NowMs() + 100);
  EXPECT_FALSE(first->has_value()) << "an empty topic parks the poll";
  EXPECT_EQ(h.broker().parked_waiters(), 1u);
  // A second poll of the same member meanwhile: 409.
  auto [status, body] = Group(h.Call(GroupPoll("t", "a", 1000)));
  EXPECT_EQ(status, 409);
  EXPECT_EQ(body["error_code"], 40904);
  ProduceN(h, "t", 1, 1);
  auto woken = As<FetchResponse>(h.Wait(first));
  ASSERT_EQ(woken.records.size(), 1u);
  EXPECT_EQ(woken.records[0].partition, PartitionId(1));
  // Nothing more: answered empty at the deadline.
  const Millis start = h.clock().NowMs();
  auto empty = As<FetchResponse>(h.Call(GroupPoll("t", "a", 700)));
  EXPECT_TRUE(empty.records.empty());
  EXPECT_EQ(h.clock().NowMs() - start, 700);
  EXPECT_EQ(h.broker().parked_waiters(), 0u);
}

TEST(BrokerGroupPoll, FirstPollOfANewMemberWaitsForItsAssignmentThenData) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  // "a" owns the only partition; "b" gets nothing and parks.
  As<FetchResponse>(h.Call(GroupPoll("t", "a")));
  auto b = h.Start(GroupPoll("t", "b", 10'000));
  h.clock().RunUntil(h.clock().NowMs() + 50);
  ASSERT_FALSE(b->has_value());
  // "a" leaves: the rebalance re-plans b's parked poll, which now owns
  // partition 0 and keeps waiting for data.
  auto [status, body] = Group(h.Call(LeaveGroupRequest{"g", "a"}));
  ASSERT_EQ(status, 200) << body.dump();
  h.clock().RunUntil(h.clock().NowMs() + 50);
  ASSERT_FALSE(b->has_value()) << "a re-planned poll keeps waiting for data";
  ProduceN(h, "t", 0, 2);
  auto got = As<FetchResponse>(h.Wait(b));
  ASSERT_FALSE(got.records.empty()) << "woken by the first durable record";
  EXPECT_EQ(got.records[0].record.offset, Offset(0));
  EXPECT_EQ(got.assigned, std::vector<PartitionId>{PartitionId(0)});
}

TEST(BrokerGroupPoll, TwoMembersSplitPartitionsDisjointly) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 4));
  As<FetchResponse>(h.Call(GroupPoll("t", "a")));
  As<FetchResponse>(h.Call(GroupPoll("t", "b")));
  auto a = As<FetchResponse>(h.Call(GroupPoll("t", "a")));
  auto b = As<FetchResponse>(h.Call(GroupPoll("t", "b")));
  EXPECT_EQ(a.generation, b.generation);
  std::set<PartitionId> all(a.assigned.begin(), a.assigned.end());
  all.insert(b.assigned.begin(), b.assigned.end());
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(a.assigned.size(), 2u);
  EXPECT_EQ(b.assigned.size(), 2u);
}

TEST(BrokerGroupPoll, UnknownTopicIs404AndBadCountIs400) {
  BrokerHarness h;
  h.OpenOrDie();
  auto [status, body] = Group(h.Call(GroupPoll("nope", "a")));
  EXPECT_EQ(status, 404);
  EXPECT_EQ(body["error_code"], 40401);
  As<TopicResponse>(h.CreateTopic("t", 1));
  GroupPollRequest bad = GroupPoll("t", "a");
  bad.max_count = 0;
  EXPECT_EQ(Group(h.Call(bad)).first, 400);
}

TEST(BrokerGroupOffsets, CommitsSurviveARestartAndTheGroupResumesThere) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  ProduceN(h, "t", 0, 10);
  auto polled = As<FetchResponse>(h.Call(GroupPoll("t", "a")));
  ASSERT_EQ(polled.records.size(), 10u);
  CommitOffsetsRequest commit{"g", "a", polled.generation, {{"t", PartitionId(0), Offset(6)}}};
  auto [status, body] = Group(h.Call(commit));
  ASSERT_EQ(status, 200) << body.dump();
  h.Reopen();
  auto [fs, offsets] = Group(h.Call(FetchOffsetsRequest{"g"}));
  ASSERT_EQ(fs, 200) << offsets.dump();
  EXPECT_EQ(offsets["offsets"][0]["offset"], 6);
  // Memberships are not durable: the old member's heartbeat says join.
  auto [hs, hb] = Group(h.Call(HeartbeatRequest{"g", "a"}));
  EXPECT_EQ(hs, 404);
  EXPECT_NE(hb["message"].get<std::string>().find("join"), std::string::npos) << hb.dump();
  auto resumed = As<FetchResponse>(h.Call(GroupPoll("t", "b")));
  ASSERT_EQ(resumed.records.size(), 4u);
  EXPECT_EQ(resumed.records[0].record.offset, Offset(6));
}

TEST(BrokerGroupOffsets, AutoCommitCommitsThePreviousBatchAtTheNextPoll) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  ProduceN(h, "t", 0, 5);
  EXPECT_EQ(As<FetchResponse>(h.Call(GroupPoll("t", "a", 0, true))).records.size(), 5u);
  auto [s0, none] = Group(h.Call(FetchOffsetsRequest{"g"}));
  ASSERT_EQ(s0, 200);
  EXPECT_TRUE(none["offsets"].empty()) << "nothing committed yet: " << none.dump();
  As<FetchResponse>(h.Call(GroupPoll("t", "a", 0, true)));
  h.clock().RunUntil(h.clock().NowMs() + 50);
  auto [fs, offsets] = Group(h.Call(FetchOffsetsRequest{"g"}));
  ASSERT_EQ(fs, 200) << offsets.dump();
  EXPECT_EQ(offsets["offsets"][0]["offset"], 5);
}

TEST(BrokerGroupLifecycle, ShutdownAnswersParkedGroupPollsAndPendingCommits) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  ProduceN(h, "t", 0, 3);
  auto polled = As<FetchResponse>(h.Call(GroupPoll("t", "a")));
  ASSERT_EQ(polled.records.size(), 3u);
  auto parked = h.Start(GroupPoll("t", "b", 20'000));
  h.clock().RunUntil(h.clock().NowMs() + 10);
  CommitOffsetsRequest commit{"g", "a", std::nullopt, {}};
  auto a_now = Group(h.Call(HeartbeatRequest{"g", "a"})).second;
  for (const auto& assignment : a_now["assignment"]) {
    for (const auto& p : assignment["partitions"]) {
      if (p == 0) commit.offsets.push_back({"t", PartitionId(0), Offset(3)});
    }
  }
  ASSERT_EQ(commit.offsets.size(), 1u) << a_now.dump();
  auto committed = h.Start(commit);  // answered after its fsync
  bool stopped = false;
  h.broker().Shutdown([&] { stopped = true; });
  h.clock().RunUntilCondition([&] { return stopped; }, 1'000'000);
  ASSERT_TRUE(stopped);
  ASSERT_TRUE(parked->has_value());
  EXPECT_TRUE(As<FetchResponse>(**parked).records.empty());
  ASSERT_TRUE(committed->has_value()) << "a commit in flight is answered before shutdown ends";
  EXPECT_EQ(Group(**committed).first, 200);
  h.Destroy();
  h.OpenOrDie();
  EXPECT_EQ(Group(h.Call(FetchOffsetsRequest{"g"})).second["offsets"][0]["offset"], 3);
}

TEST(BrokerGroupOffsets, AFailedOffsetsSyncNeverAcksACommit) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  ProduceN(h, "t", 0, 4);
  auto polled = As<FetchResponse>(h.Call(GroupPoll("t", "a")));
  ASSERT_EQ(polled.records.size(), 4u);
  ASSERT_EQ(Group(h.Call(CommitOffsetsRequest{
                      "g", "a", polled.generation, {{"t", PartitionId(0), Offset(2)}}}))
                .first,
            200);
  h.disk().faults().sync_eio = 1.0;
  auto [status, body] = Group(h.Call(
      CommitOffsetsRequest{"g", "a", polled.generation, {{"t", PartitionId(0), Offset(4)}}}));
  EXPECT_EQ(status, 503) << body.dump();
  h.disk().faults().sync_eio = 0;
  // The store stays failed: later commits are refused too, reads still work.
  EXPECT_EQ(Group(h.Call(CommitOffsetsRequest{
                      "g", "a", polled.generation, {{"t", PartitionId(0), Offset(3)}}}))
                .first,
            503);
  EXPECT_EQ(Group(h.Call(HeartbeatRequest{"g", "a"})).first, 200);
  auto [fs, offsets] = Group(h.Call(FetchOffsetsRequest{"g"}));
  ASSERT_EQ(fs, 200);
  EXPECT_EQ(offsets["offsets"][0]["offset"], 2) << "the refused commit is not visible";
}

TEST(BrokerGroupLifecycle, DeletingTheTopicAnswersParkedGroupPolls404) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  auto parked = h.Start(GroupPoll("t", "a", 20'000));
  h.clock().RunUntil(h.clock().NowMs() + 10);
  ASSERT_FALSE(parked->has_value());
  As<DeletedResponse>(h.Call(DeleteTopicRequest{"t"}));
  auto answer = h.Wait(parked);
  EXPECT_EQ(Group(answer).first, 404);
}

}  // namespace
}  // namespace gafka::testing
