// Seeded random group scenarios on the broker in virtual time (SimClock +
// SimDisk): members poll, commit, heartbeat, leave, fall silent (a crash
// without leaving) and come back; clock jumps expire sessions; the broker
// itself crashes (power loss) with commits in flight and recovers. Checked
// after every step:
//   - at most one owner per partition per generation (every poll answer's
//     assigned partitions, across members);
//   - no fenced commit applied (a refused commit leaves the offsets as they
//     were);
//   - committed offsets never move backwards (no resets here), an answered
//     commit survives any crash, and no offset is past the log end;
//   - liveness: when faults stop, a fresh member reads from the committed
//     offsets to the end; together with everything delivered before, every
//     stored record was delivered (at-least-once: duplicates allowed, gaps
//     never).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/base/rng.h"
#include "tests/core/broker/broker_harness.h"

namespace gafka::testing {
namespace {

using nlohmann::json;

constexpr int kPartitions = 4;
constexpr int kMembers = 3;

// What the scenarios exercised, over all seeds (so the test proves it
// covered fenced commits, crashes and moves, not just the happy path).
struct Coverage {
  int fenced_commits = 0;
  int acked_commits = 0;
  int broker_crashes = 0;
  int generations = 0;
  int delivered = 0;
};
Coverage g_coverage;

struct MemberState {
  std::string id;
  std::optional<Generation> generation;
  std::map<int, int64_t> uncommitted;  // partition -> offset after the last delivered record
  Millis silent_until = 0;             // "crashed": says nothing until then
};

class GroupScenario {
 public:
  explicit GroupScenario(uint64_t seed) : h_(seed), rng_(seed * 7919 + 1) {
    h_.config().groups.session_timeout_ms = 2'000;
    h_.config().groups.heartbeat_interval_ms = 500;
  }

  void Run(int steps) {
    h_.OpenOrDie();
    As<TopicResponse>(h_.CreateTopic("t", kPartitions));
    for (int m = 0; m < kMembers; ++m) members_.push_back({"m" + std::to_string(m)});
    for (int step = 0; step < steps && !::testing::Test::HasFatalFailure(); ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      Step();
    }
    if (::testing::Test::HasFatalFailure()) return;
    Liveness();
    g_coverage.generations += static_cast<int>(owners_.size());
    for (const auto& [p, offsets] : delivered_)
      g_coverage.delivered += static_cast<int>(offsets.size());
  }

 private:
  bool Alive(const MemberState& m) { return h_.clock().NowMs() >= m.silent_until; }

  void Step() {
    const uint64_t action = rng_.Uniform(100);
    MemberState& m = members_[rng_.Uniform(kMembers)];
    if (action < 25) return Produce();
    if (!Alive(m) && action < 90) return;  // a silent member does nothing
    if (action < 50) return Poll(m);
    if (action < 70) return Commit(m);
    if (action < 78) return Heartbeat(m);
    if (action < 82) return Leave(m);
    if (action < 88) {  // falls silent without leaving (its next words come much later)
      m.silent_until = h_.clock().NowMs() + static_cast<Millis>(rng_.Uniform(6'000));
      return;
    }
    if (action < 96) return Jump();
    return CrashBroker(m);
  }

  void Produce() {
    std::vector<ProduceMessage> batch;
    const int p = static_cast<int>(rng_.Uniform(kPartitions));
    const int n = 1 + static_cast<int>(rng_.Uniform(5));
    for (int i = 0; i < n; ++i) {
      batch.push_back(BrokerHarness::Message(std::nullopt, "v" + std::to_string(next_value_++), p));
    }
    As<ProduceResponse>(h_.Call(BrokerHarness::ProduceBatch("t", batch)));
  }

  void Poll(MemberState& m) {
    GroupPollRequest r;
    r.topic = "t";
    r.group_id = "g";
    r.consumer_id = m.id;
    r.max_count = 1 + static_cast<int32_t>(rng_.Uniform(8));
    r.timeout_ms = static_cast<Millis>(rng_.Uniform(3)) * 100;
    r.auto_offset_reset = OffsetSpec::kEarliest;
    ApiResponse response = h_.Call(r);
    const auto* polled = std::get_if<FetchResponse>(&response);
    if (polled == nullptr) return;  // e.g. a broker restart in between: 404, joins next time
    ASSERT_TRUE(polled->generation.has_value());
    if (m.generation != polled->generation) m.uncommitted.clear();  // a rebalance: positions reset
    m.generation = polled->generation;
    auto& owners = owners_[polled->generation->value()];
    for (PartitionId p : polled->assigned) {
      auto [it, inserted] = owners.emplace(p.value(), m.id);
      ASSERT_TRUE(inserted || it->second == m.id)
          << "partition " << p.value() << " owned by " << it->second << " and " << m.id
          << " in generation " << polled->generation->value();
    }
    const std::set<PartitionId> mine(polled->assigned.begin(), polled->assigned.end());
    for (const ConsumedRecord& c : polled->records) {
      ASSERT_EQ(mine.count(c.partition), 1u) << "a record of a partition the member does not own";
      delivered_[c.partition.value()].insert(c.record.offset.value());
      m.uncommitted[c.partition.value()] = c.record.offset.value() + 1;
    }
  }

  std::map<int, int64_t> Committed() {
    std::map<int, int64_t> out;
    ApiResponse response = h_.Call(FetchOffsetsRequest{"g"});
    const auto* g = std::get_if<GroupResponse>(&response);
    EXPECT_TRUE(g != nullptr && (g->http_status == 200 || acked_.empty()))
        << (g ? g->json : std::string("not a group response"));
    last_fetch_ = g ? g->json : "";
    if (g == nullptr || g->http_status != 200) return out;
    const json body = json::parse(g->json);
    for (const json& o : body["offsets"]) {
      out[o["partition"].get<int>()] = o["offset"].get<int64_t>();
    }
    return out;
  }

  void CheckOffsets(const std::map<int, int64_t>& now) {
    for (const auto& [p, offset] : now) {
      EXPECT_GE(offset, acked_[p]) << "an acknowledged commit of partition " << p << " was lost";
      EXPECT_GE(offset, seen_[p]) << "committed offset of partition " << p << " moved backwards";
      seen_[p] = std::max(seen_[p], offset);
      const auto info =
          As<PartitionOffsetsResponse>(h_.Call(PartitionOffsetsRequest{"t", PartitionId(p)}));
      EXPECT_LE(offset, info.info.high_watermark.value()) << "committed past the log end";
    }
    for (const auto& [p, offset] : acked_) {
      EXPECT_TRUE(now.count(p) != 0 || offset == 0)
          << "acked commit of partition " << p << " lost; last acked commit: " << last_commit_
          << " now: " << json(now).dump() << " acked: " << json(acked_).dump()
          << " fetch: " << last_fetch_;
    }
  }

  CommitOffsetsRequest CommitOf(const MemberState& m) {
    CommitOffsetsRequest c{"g", m.id, m.generation, {}};
    for (const auto& [p, offset] : m.uncommitted) {
      c.offsets.push_back({"t", PartitionId(p), Offset(offset)});
    }
    return c;
  }

  void Commit(MemberState& m) {
    if (m.uncommitted.empty()) return;
    const CommitOffsetsRequest c = CommitOf(m);
    const std::map<int, int64_t> before = Committed();
    ApiResponse response = h_.Call(c);
    const auto& g = As<GroupResponse>(response);
    const std::map<int, int64_t> after = Committed();
    if (g.http_status == 200) {
      last_commit_ = g.json;
      for (const auto& e : c.offsets) {
        acked_[e.partition.value()] = std::max(acked_[e.partition.value()], e.offset.value());
      }
      m.uncommitted.clear();
      ++g_coverage.acked_commits;
    } else {
      ++g_coverage.fenced_commits;
      ASSERT_TRUE(g.http_status == 409 || g.http_status == 404) << g.json;
      EXPECT_EQ(before, after) << "a fenced commit was applied: " << g.json;
      m.uncommitted.clear();  // its records go to the partitions' next owners
    }
    CheckOffsets(after);
  }

  void Heartbeat(MemberState& m) { h_.Call(HeartbeatRequest{"g", m.id}); }

  void Leave(MemberState& m) {
    h_.Call(LeaveGroupRequest{"g", m.id});
    m.uncommitted.clear();
    m.generation.reset();
  }

  void Jump() {
    h_.clock().RunUntil(h_.clock().NowMs() + static_cast<Millis>(rng_.Uniform(4'000)));
  }

  // Power loss with a commit in flight: acknowledged only if its answer came
  // before the crash.
  void CrashBroker(MemberState& m) {
    std::shared_ptr<std::optional<ApiResponse>> slot;
    CommitOffsetsRequest c = CommitOf(m);
    if (!c.offsets.empty()) slot = h_.Start(c);
    h_.clock().RunUntil(h_.clock().NowMs() + static_cast<Millis>(rng_.Uniform(4)));
    if (slot && slot->has_value()) {
      const auto* g = std::get_if<GroupResponse>(&**slot);
      if (g != nullptr && g->http_status == 200) {
        for (const auto& e : c.offsets) {
          acked_[e.partition.value()] = std::max(acked_[e.partition.value()], e.offset.value());
        }
      }
    }
    const std::map<int, int64_t> before = Committed();
    h_.Crash();
    ++g_coverage.broker_crashes;
    h_.OpenOrDie();
    const std::map<int, int64_t> after_crash = Committed();
    for (const auto& [p, o] : before) {
      EXPECT_TRUE(after_crash.count(p) && after_crash.at(p) >= o)
          << "durable offset of " << p << " lost in crash (slot " << (slot ? slot->has_value() : -1)
          << ")";
    }
    for (MemberState& each : members_) {
      each.uncommitted.clear();
      each.generation.reset();
    }
    // Reads show durable offsets only: what was seen survives the crash.
    CheckOffsets(Committed());
  }

  // Faults stop: everyone leaves; a fresh member reads from the commits to
  // the end. Every stored record was delivered at least once.
  void Liveness() {
    for (MemberState& m : members_) Leave(m);
    h_.clock().RunUntil(h_.clock().NowMs() + 10'000);
    for (int round = 0; round < 1000; ++round) {
      GroupPollRequest r;
      r.topic = "t";
      r.group_id = "g";
      r.consumer_id = "final";
      r.max_count = 100;
      r.auto_offset_reset = OffsetSpec::kEarliest;
      const auto polled = As<FetchResponse>(h_.Call(r));
      if (polled.records.empty()) break;
      for (const ConsumedRecord& c : polled.records) {
        delivered_[c.partition.value()].insert(c.record.offset.value());
      }
    }
    for (int p = 0; p < kPartitions; ++p) {
      // A copy: As<> returns a reference into the temporary response.
      const PartitionOffsetsResponse info =
          As<PartitionOffsetsResponse>(h_.Call(PartitionOffsetsRequest{"t", PartitionId(p)}));
      const int64_t end = info.info.high_watermark.value();
      for (int64_t o = info.info.log_start_offset.value(); o < end; ++o) {
        ASSERT_EQ(delivered_[p].count(o), 1u)
            << "partition " << p << " offset " << o << " was never delivered (a gap)";
      }
    }
  }

  BrokerHarness h_;
  Rng rng_;
  std::vector<MemberState> members_;
  int next_value_ = 0;
  std::map<int32_t, std::map<int, std::string>> owners_;  // generation -> partition -> member
  std::map<int, std::set<int64_t>> delivered_;
  std::map<int, int64_t> acked_;  // highest acknowledged commit per partition
  std::map<int, int64_t> seen_;
  std::string last_commit_;
  std::string last_fetch_;  // highest committed offset observed per partition
};

TEST(BrokerGroupSim, RandomMembersAndCrashesKeepTheGroupInvariants) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    GroupScenario scenario(seed);
    scenario.Run(300);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(g_coverage.fenced_commits, 10);
  EXPECT_GT(g_coverage.acked_commits, 100);
  EXPECT_GT(g_coverage.broker_crashes, 10);
  EXPECT_GT(g_coverage.generations, 200);
  EXPECT_GT(g_coverage.delivered, 1000);
  std::printf(
      "covered: %d fenced commits, %d acked commits, %d broker crashes, %d generations, "
      "%d records delivered\n",
      g_coverage.fenced_commits, g_coverage.acked_commits, g_coverage.broker_crashes,
      g_coverage.generations, g_coverage.delivered);
}

}  // namespace
}  // namespace gafka::testing

namespace gafka::testing {
namespace {
TEST(BrokerGroupSim, AnAnsweredCommitSurvivesPowerLoss) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  As<ProduceResponse>(h.Call(BrokerHarness::ProduceOne("t", std::nullopt, "x", Acks::kLeader, 1)));
  GroupPollRequest r;
  r.topic = "t";
  r.group_id = "g";
  r.consumer_id = "a";
  r.auto_offset_reset = OffsetSpec::kEarliest;
  auto polled = As<FetchResponse>(h.Call(r));
  ASSERT_EQ(polled.records.size(), 1u);
  auto committed = As<GroupResponse>(h.Call(
      CommitOffsetsRequest{"g", "a", polled.generation, {{"t", PartitionId(1), Offset(1)}}}));
  ASSERT_EQ(committed.http_status, 200) << committed.json;
  for (int crash = 0; crash < 3; ++crash) {
    h.Crash();
    h.OpenOrDie();
    auto offsets = As<GroupResponse>(h.Call(FetchOffsetsRequest{"g"}));
    EXPECT_NE(offsets.json.find("\"offset\":1"), std::string::npos) << crash << offsets.json;
  }
}
}  // namespace
}  // namespace gafka::testing
