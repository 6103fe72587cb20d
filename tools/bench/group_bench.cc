#include "tools/bench/group_bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime-real/client.h"
#include "tools/bench/bench_util.h"
#include "tools/bench/produce_bench.h"

namespace gafka::bench {
namespace {

using Json = nlohmann::json;

struct ConsumeOptions {
  std::string broker = "127.0.0.1:9001";
  std::string mode = "both";
  int partitions = 4;
  int64_t messages = 200'000;
  int size = 100;
  int count = 1000;
  int rounds = 3;
};

struct RoundFigures {
  double seconds = 0;
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t requests = 0;
  std::string error;
  double msgs_per_s() const { return seconds > 0 ? static_cast<double>(records) / seconds : 0; }
  double mb_per_s() const { return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0; }
};

Status Preload(Client& client, const std::string& topic, const ConsumeOptions& o) {
  const int batch = 500;
  std::vector<ProduceMessage> messages;
  int64_t sent = 0;
  while (sent < o.messages) {
    messages.clear();
    for (int i = 0; i < batch && sent < o.messages; ++i, ++sent) {
      ProduceMessage m;
      m.partition = PartitionId(static_cast<int32_t>(sent % o.partitions));
      m.value = std::string(static_cast<size_t>(o.size), static_cast<char>('a' + sent % 26));
      messages.push_back(std::move(m));
    }
    auto acked = client.ProduceBatch(topic, messages);
    if (!acked.ok()) return acked.status();
    for (const ProduceResult& r : *acked) {
      if (r.error) return Internal("preload: message refused: " + r.error->message);
    }
  }
  return Status::Ok();
}

RoundFigures DirectRound(const std::string& topic, const ConsumeOptions& o) {
  Client client(o.broker);
  RoundFigures round;
  std::vector<int64_t> next(static_cast<size_t>(o.partitions), 0);
  const int64_t start = NowUs();
  for (int p = 0; round.records < o.messages; p = (p + 1) % o.partitions) {
    FetchRequest request;
    request.topic = topic;
    request.partition = PartitionId(p);
    request.offset = Offset(next[static_cast<size_t>(p)]);
    request.max_count = o.count;
    auto fetched = client.Fetch(request);
    ++round.requests;
    if (!fetched.ok()) {
      round.error = fetched.status().ToString();
      break;
    }
    for (const ConsumedRecord& r : fetched->records) round.bytes += r.record.value.size();
    round.records += static_cast<int64_t>(fetched->records.size());
    next[static_cast<size_t>(p)] = fetched->next_offset.value();
  }
  round.seconds = static_cast<double>(NowUs() - start) / 1e6;
  return round;
}

RoundFigures GroupRound(const std::string& topic, const std::string& group,
                        const ConsumeOptions& o) {
  Client client(o.broker);
  RoundFigures round;
  GroupPollRequest poll;
  poll.topic = topic;
  poll.group_id = group;
  poll.consumer_id = "bench-member";
  poll.max_count = o.count;
  poll.timeout_ms = 0;
  poll.auto_offset_reset = OffsetSpec::kEarliest;
  poll.auto_commit = true;
  const int64_t start = NowUs();
  int empty_in_a_row = 0;
  while (round.records < o.messages) {
    auto polled = client.GroupConsume(poll);
    ++round.requests;
    if (!polled.ok()) {
      round.error = polled.status().ToString();
      break;
    }
    for (const ConsumedRecord& r : polled->records) round.bytes += r.record.value.size();
    round.records += static_cast<int64_t>(polled->records.size());
    if (polled->records.empty() && ++empty_in_a_row > 1000) {
      round.error = "group polls stay empty before every record was read";
      break;
    }
    if (!polled->records.empty()) empty_in_a_row = 0;
  }
  round.seconds = static_cast<double>(NowUs() - start) / 1e6;
  (void)client.LeaveGroup(group, poll.consumer_id);
  return round;
}

const RoundFigures* Best(const std::vector<RoundFigures>& rounds) {
  const RoundFigures* best = nullptr;
  for (const RoundFigures& r : rounds) {
    if (r.error.empty() && (best == nullptr || r.msgs_per_s() > best->msgs_per_s())) best = &r;
  }
  return best;
}

int RunConsume(const ConsumeOptions& o) {
  Client admin(o.broker);
  const std::string topic = "bench-consume-" + std::to_string(getpid());
  if (Status s = EnsureTopic(admin, topic, o.partitions); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("preloading %lld messages of %d bytes into %s (%d partitions)...\n",
              static_cast<long long>(o.messages), o.size, topic.c_str(), o.partitions);
  if (Status s = Preload(admin, topic, o); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  const bool direct = o.mode != "group", group = o.mode != "direct";
  std::vector<RoundFigures> direct_rounds, group_rounds;
  for (int r = 0; r < o.rounds; ++r) {
    // Which mode goes first alternates, so order effects (caches, the
    // machine's other load) fall on both.
    if (group && r % 2 == 1) {
      group_rounds.push_back(GroupRound(topic, topic + "-g" + std::to_string(r), o));
      const RoundFigures& g = group_rounds.back();
      std::printf("round %d group:  %.0f msgs/s, %.1f MB/s, %lld requests%s%s\n", r + 1,
                  g.msgs_per_s(), g.mb_per_s(), static_cast<long long>(g.requests),
                  g.error.empty() ? "" : ", error: ", g.error.c_str());
    }
    if (direct) {
      direct_rounds.push_back(DirectRound(topic, o));
      const RoundFigures& d = direct_rounds.back();
      std::printf("round %d direct: %.0f msgs/s, %.1f MB/s, %lld requests%s%s\n", r + 1,
                  d.msgs_per_s(), d.mb_per_s(), static_cast<long long>(d.requests),
                  d.error.empty() ? "" : ", error: ", d.error.c_str());
    }
    if (group && r % 2 == 0) {
      group_rounds.push_back(GroupRound(topic, topic + "-g" + std::to_string(r), o));
      const RoundFigures& g = group_rounds.back();
      std::printf("round %d group:  %.0f msgs/s, %.1f MB/s, %lld requests%s%s\n", r + 1,
                  g.msgs_per_s(), g.mb_per_s(), static_cast<long long>(g.requests),
                  g.error.empty() ? "" : ", error: ", g.error.c_str());
    }
  }
  (void)admin.DeleteTopic(topic);
  const RoundFigures* bd = Best(direct_rounds);
  const RoundFigures* bg = Best(group_rounds);
  Json result = {{"bench", "consume"},     {"mode", o.mode}, {"partitions", o.partitions},
                 {"messages", o.messages}, {"size", o.size}, {"count", o.count},
                 {"rounds", o.rounds}};
  if (bd != nullptr) {
    result["direct_msgs_per_s"] = Round(bd->msgs_per_s(), 0);
    result["direct_mb_per_s"] = Round(bd->mb_per_s(), 2);
  }
  if (bg != nullptr) {
    result["group_msgs_per_s"] = Round(bg->msgs_per_s(), 0);
    result["group_mb_per_s"] = Round(bg->mb_per_s(), 2);
  }
  if (bd != nullptr && bg != nullptr) {
    const double overhead = (bd->msgs_per_s() - bg->msgs_per_s()) / bd->msgs_per_s() * 100;
    std::printf("best: direct %.0f msgs/s, group %.0f msgs/s: group overhead %.1f%%\n",
                bd->msgs_per_s(), bg->msgs_per_s(), overhead);
    result["group_overhead_pct"] = Round(overhead, 1);
  }
  auto median = [](const std::vector<RoundFigures>& rounds) {
    std::vector<double> v;
    for (const RoundFigures& r : rounds) {
      if (r.error.empty()) v.push_back(r.msgs_per_s());
    }
    return Percentile(v, 50);
  };
  if (bd != nullptr && bg != nullptr) {
    const double md = median(direct_rounds), mg = median(group_rounds);
    std::printf("median: direct %.0f msgs/s, group %.0f msgs/s: group overhead %.1f%%\n", md, mg,
                (md - mg) / md * 100);
    result["direct_median_msgs_per_s"] = Round(md, 0);
    result["group_median_msgs_per_s"] = Round(mg, 0);
    result["group_overhead_median_pct"] = Round((md - mg) / md * 100, 1);
  }
  const bool failed = (direct && bd == nullptr) || (group && bg == nullptr);
  result["ok"] = !failed;
  PrintJsonLine(result);
  return failed ? 1 : 0;
}

// ---- rebalance ------------------------------------------------------------------

struct RebalanceOptions {
  std::string broker = "127.0.0.1:9001";
  int partitions = 4;
  Millis session_ms = 3'000;
  int rounds = 3;
};

// Partitions `consumer` owns per a status or member JSON.
size_t Owned(const Json& j, const std::string& consumer) {
  size_t n = 0;
  if (j.contains("partitions")) {  // status
    for (const Json& p : j["partitions"]) {
      if (p.value("consumer_id", Json()).is_string() && p["consumer_id"] == consumer) ++n;
    }
    return n;
  }
  for (const Json& a : j.value("assignment", Json::array())) n += a["partitions"].size();
  return n;
}

struct RebalanceTimes {
  double server_ms = -1;  // status shows B owning everything
  double member_ms = -1;  // B's heartbeat tells it
};

// After `trigger` (at t0): polls the status every 2 ms until B owns
// everything, while a B heartbeat thread beats at `interval`.
RebalanceTimes Measure(const RebalanceOptions& o, const std::string& group,
                       const std::string& topic, Millis interval, int64_t t0_us,
                       int64_t beat_phase_us) {
  RebalanceTimes t;
  Client status(o.broker), beater(o.broker);
  const int64_t give_up = t0_us + (o.session_ms + 5 * interval + 5'000) * 1000;
  int64_t next_beat = beat_phase_us;
  while (NowUs() < give_up && (t.server_ms < 0 || t.member_ms < 0)) {
    if (t.server_ms < 0) {
      auto s = status.GroupStatus(group);
      if (s.ok()) {
        Json j = Json::parse(*s, nullptr, false);
        if (!j.is_discarded() && Owned(j, "B") == static_cast<size_t>(o.partitions)) {
          t.server_ms = static_cast<double>(NowUs() - t0_us) / 1000;
        }
      }
    }
    if (NowUs() >= next_beat) {
      next_beat += interval * 1000;
      auto b = beater.Heartbeat(group, "B");
      if (b.ok() && t.member_ms < 0) {
        Json j = Json::parse(*b, nullptr, false);
        if (!j.is_discarded() && Owned(j, "B") == static_cast<size_t>(o.partitions)) {
          t.member_ms = static_cast<double>(NowUs() - t0_us) / 1000;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  (void)topic;
  return t;
}

double Median(std::vector<double> v) { return Percentile(v, 50); }

int RunRebalance(const RebalanceOptions& o) {
  Client admin(o.broker);
  const std::string topic = "bench-rebalance-" + std::to_string(getpid());
  if (Status s = EnsureTopic(admin, topic, o.partitions); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<double> leave_server, leave_member, crash_server, crash_member;
  Millis interval = 0;
  for (int r = 0; r < o.rounds; ++r) {
    const std::string group = topic + "-g" + std::to_string(r);
    Client a(o.broker), b(o.broker);
    auto joined_b = b.JoinGroup(group, "B", topic, o.session_ms);
    auto joined_a = a.JoinGroup(group, "A", topic, o.session_ms);
    if (!joined_a.ok() || !joined_b.ok()) {
      std::fprintf(stderr, "error: join failed\n");
      return 1;
    }
    interval = Json::parse(*joined_b).value("heartbeat_interval_ms", Millis{1000});
    // B's heartbeat schedule runs independently of the event: its phase is
    // uniformly spread over rounds (worst case one whole interval).
    const int64_t phase = interval * 1000 * r / std::max(1, o.rounds);
    // (1) A leaves.
    int64_t t0 = NowUs();
    (void)a.LeaveGroup(group, "A");
    RebalanceTimes left = Measure(o, group, topic, interval, t0, t0 + phase);
    // (2) A joins again, then goes silent.
    (void)a.JoinGroup(group, "A", topic, o.session_ms);
    (void)b.Heartbeat(group, "B");
    t0 = NowUs();
    RebalanceTimes crashed = Measure(o, group, topic, interval, t0, t0 + phase);
    std::printf(
        "round %d: leave -> server %.1f ms, member %.1f ms; silent crash -> server %.1f ms, "
        "member %.1f ms\n",
        r + 1, left.server_ms, left.member_ms, crashed.server_ms, crashed.member_ms);
    leave_server.push_back(left.server_ms);
    leave_member.push_back(left.member_ms);
    crash_server.push_back(crashed.server_ms);
    crash_member.push_back(crashed.member_ms);
    (void)b.LeaveGroup(group, "B");
  }
  (void)admin.DeleteTopic(topic);
  auto failed = [](const std::vector<double>& v) {
    return std::any_of(v.begin(), v.end(), [](double x) { return x < 0; });
  };
  const bool ok = !failed(leave_server) && !failed(leave_member) && !failed(crash_server) &&
                  !failed(crash_member);
  const double lm = Median(leave_member), cm = Median(crash_member);
  std::printf(
      "median: leave -> B owns all (server) %.1f ms, B told %.1f ms (target <= heartbeat %lld "
      "ms); crash -> server %.1f ms, B told %.1f ms (target <= session + heartbeat = %lld ms)\n",
      Median(leave_server), lm, static_cast<long long>(interval), Median(crash_server), cm,
      static_cast<long long>(o.session_ms + interval));
  PrintJsonLine({{"bench", "group-rebalance"},
                 {"partitions", o.partitions},
                 {"session_ms", o.session_ms},
                 {"heartbeat_interval_ms", interval},
                 {"rounds", o.rounds},
                 {"leave_server_ms", Round(Median(leave_server), 1)},
                 {"leave_member_ms", Round(lm, 1)},
                 {"crash_server_ms", Round(Median(crash_server), 1)},
                 {"crash_member_ms", Round(cm, 1)},
                 {"leave_within_heartbeat", ok && lm <= static_cast<double>(interval)},
                 {"crash_within_session_plus_heartbeat",
                  ok && cm <= static_cast<double>(o.session_ms + interval)},
                 {"ok", ok}});
  return ok ? 0 : 1;
}

}  // namespace

void RegisterGroupConsume(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ConsumeOptions>();
  CLI::App* sub = app.add_subcommand("consume", "group-poll vs direct-read throughput");
  sub->add_option("--broker", options->broker, "host:port")->capture_default_str();
  sub->add_option("--mode", options->mode, "both, direct or group")
      ->check(CLI::IsMember({"both", "direct", "group"}))
      ->capture_default_str();
  sub->add_option("--partitions", options->partitions, "partitions of the topic")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  sub->add_option("--messages", options->messages, "messages preloaded and read per round")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}))
      ->capture_default_str();
  sub->add_option("--size", options->size, "bytes per value")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  sub->add_option("--count", options->count, "records per fetch / poll")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  sub->add_option("--rounds", options->rounds, "rounds per mode (best reported)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  sub->callback([options, exit_code] { *exit_code = RunConsume(*options); });
}

void RegisterGroupRebalance(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<RebalanceOptions>();
  CLI::App* sub =
      app.add_subcommand("group-rebalance", "time to move partitions after a leave / a crash");
  sub->add_option("--broker", options->broker, "host:port")->capture_default_str();
  sub->add_option("--partitions", options->partitions, "partitions of the topic")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  sub->add_option("--session-ms", options->session_ms, "members' session timeout")
      ->check(CLI::Range(int64_t{1000}, int64_t{300'000}))
      ->capture_default_str();
  sub->add_option("--rounds", options->rounds, "rounds (median reported)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  sub->callback([options, exit_code] { *exit_code = RunRebalance(*options); });
}

}  // namespace gafka::bench
