#include "runtime-sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/base/check.h"
#include "core/base/rng.h"
#include "runtime-sim/sim_wire.h"

namespace gafka::sim {
namespace {

using Json = nlohmann::json;

// Draws values from a scenario's bounds, each from the stream named by its
// path, and records what it drew. Bounds:
//   5                        a fixed value
//   [lo, hi]                 uniform (integer when both are integers)
//   {"log_uniform": [lo, hi]}  log-uniform real, 0 < lo <= hi
class Drawer {
 public:
  Drawer(const Json& spec, uint64_t seed) : spec_(spec), root_(Rng(seed).Fork("options")) {}

  int64_t Int(const std::string& path, int64_t fallback) {
    const Json* bound = Consume(path);
    int64_t value = fallback;
    if (bound != nullptr) {
      if (bound->is_number_integer()) {
        value = bound->get<int64_t>();
      } else if (IsPair(*bound) && (*bound)[0].is_number_integer() &&
                 (*bound)[1].is_number_integer()) {
        const int64_t lo = (*bound)[0].get<int64_t>(), hi = (*bound)[1].get<int64_t>();
        if (lo > hi) return Fail(path, "a range [lo, hi] needs lo <= hi"), fallback;
        value = root_.Fork(path).Range(lo, hi);
      } else {
        return Fail(path, "must be an integer or [lo, hi] of integers"), fallback;
      }
    }
    Record(path, value);
    return value;
  }

  double Real(const std::string& path, double fallback) {
    const Json* bound = Consume(path);
    double value = fallback;
    if (bound != nullptr) {
      Rng rng = root_.Fork(path);
      if (bound->is_number()) {
        value = bound->get<double>();
      } else if (IsPair(*bound) && (*bound)[0].is_number() && (*bound)[1].is_number()) {
        const double lo = (*bound)[0].get<double>(), hi = (*bound)[1].get<double>();
        if (lo > hi) return Fail(path, "a range [lo, hi] needs lo <= hi"), fallback;
        value = lo + (hi - lo) * rng.NextDouble();
      } else if (bound->is_object() && bound->size() == 1 && bound->contains("log_uniform") &&
                 IsPair((*bound)["log_uniform"])) {
        const Json& pair = (*bound)["log_uniform"];
        if (!pair[0].is_number() || !pair[1].is_number()) return Fail(path, "log_uniform"), 0;
        const double lo = pair[0].get<double>(), hi = pair[1].get<double>();
        if (!(lo > 0 && lo <= hi)) return Fail(path, "log_uniform needs 0 < lo <= hi"), fallback;
        value = std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * rng.NextDouble());
      } else {
        return Fail(path, "must be a number, [lo, hi] or {\"log_uniform\": [lo, hi]}"), fallback;
      }
    }
    Record(path, value);
    return value;
  }

  // A fault group: on when present and its "enabled" probability (default 1)
  // comes up. A group that is off is still drawn (so its keys are checked)
  // but not recorded.
  bool Group(const std::string& path) {
    const Json* group = Find(path);
    used_.insert(path);  // an empty group object is known, not a typo
    if (group == nullptr) {
      recording_ = false;  // absent: off, and its defaults are not worth printing
      return false;
    }
    if (!group->is_object()) return Fail(path, "a fault group must be an object"), false;
    double enabled = 1.0;
    if (const Json* p = Consume(path + ".enabled")) {
      if (!p->is_number()) return Fail(path + ".enabled", "must be a probability"), false;
      enabled = p->get<double>();
    }
    const bool on = root_.Fork(path + ".enabled").Chance(enabled);
    drawn_[path] = on;
    recording_ = on;
    return on;
  }
  void EndGroup() { recording_ = true; }

  // One string drawn from a list of strings.
  std::string Pick(const std::string& path, const std::string& fallback) {
    const Json* list = Consume(path);
    std::string value = fallback;
    if (list != nullptr) {
      if (!list->is_array() || list->empty()) return Fail(path, "must be a list"), fallback;
      const Json& pick = (*list)[root_.Fork(path).Uniform(list->size())];
      if (!pick.is_string()) return Fail(path, "must be a list of strings"), fallback;
      value = pick.get<std::string>();
    }
    if (recording_) drawn_[path] = value;
    return value;
  }

  bool Chance(const std::string& stream, double p) { return root_.Fork(stream).Chance(p); }

  // Real(), but an absent key draws uniformly from [lo, hi] (recorded).
  double RealOr(const std::string& path, double lo, double hi) {
    if (Find(path) != nullptr) return Real(path, lo);
    const double value = lo + (hi - lo) * root_.Fork(path).NextDouble();
    Record(path, value);
    return value;
  }

  void Record(const std::string& path, const Json& value) {
    if (recording_) drawn_[path] = value;
  }
  Status Finish() {
    if (!status_.ok()) return status_;
    std::vector<std::string> unknown;
    Leaves(spec_, "", &unknown);
    if (!unknown.empty()) {
      std::string list;
      for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
      return InvalidArgument("unknown scenario keys: " + list);
    }
    return Status::Ok();
  }
  Json drawn() const { return drawn_; }
  void MarkUsed(const std::string& path) { used_.insert(path); }

 private:
  static bool IsPair(const Json& j) { return j.is_array() && j.size() == 2; }

  const Json* Find(const std::string& path) const {
    const Json* node = &spec_;
    size_t start = 0;
    while (start <= path.size()) {
      size_t dot = path.find('.', start);
      if (dot == std::string::npos) dot = path.size();
      const std::string part = path.substr(start, dot - start);
      if (!node->is_object()) return nullptr;
      auto it = node->find(part);
      if (it == node->end()) return nullptr;
      node = &*it;
      start = dot + 1;
    }
    return node;
  }
  const Json* Consume(const std::string& path) {
    used_.insert(path);
    return Find(path);
  }
  void Fail(const std::string& path, const std::string& why) {
    if (status_.ok()) status_ = InvalidArgument("scenario key " + path + ": " + why);
  }
  // Leaf paths of the spec that nobody consumed.
  void Leaves(const Json& node, const std::string& prefix, std::vector<std::string>* out) const {
    const bool leaf =
        !node.is_object() || node.empty() || (node.size() == 1 && node.contains("log_uniform"));
    if (leaf) {
      if (!used_.count(prefix)) out->push_back(prefix.empty() ? "(document)" : prefix);
      return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      Leaves(*it, prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
  }

  const Json& spec_;
  const Rng root_;
  Json drawn_ = Json::object();
  std::set<std::string> used_;
  bool recording_ = true;
  Status status_;
};

void DrawWorkload(Drawer& d, SimOptions* o) {
  o->producers = static_cast<int32_t>(d.Int("workload.producers", 1));
  o->readers = static_cast<int32_t>(d.Int("workload.readers", 1));
  ProducerConfig& p = o->producer;
  p.message_interval_mean_ms = d.Int("workload.message_interval_mean_ms", 20);
  p.batcher.max_messages = static_cast<size_t>(d.Int("workload.batch_max_messages", 10));
  p.batcher.linger_ms = d.Int("workload.linger_ms", 5);
  p.batcher.max_outstanding_messages =
      std::max<size_t>(p.batcher.max_messages * 4,
                       static_cast<size_t>(d.Int("workload.max_outstanding_messages", 1000)));
  p.max_in_flight = static_cast<int32_t>(d.Int("workload.max_in_flight", 1));
  p.value_bytes_max = static_cast<int32_t>(d.Int("workload.value_bytes_max", 256));
  p.keyed = d.Real("workload.keyed", 0.5);
  p.key_space = static_cast<int32_t>(d.Int("workload.key_space", 64));
  p.explicit_partition = d.Real("workload.explicit_partition", 0.1);
  p.headers = d.Real("workload.headers", 0.1);
  p.binary = d.Real("workload.binary", 0.05);
  p.explicit_timestamp = d.Real("workload.explicit_timestamp", 0.05);
  p.acks_none = d.Real("workload.acks_none", 0.1);
  p.acks_all = d.Real("workload.acks_all", 0.3);
  p.request_timeout_ms = d.Int("workload.request_timeout_ms", 1000);
  p.retry_backoff_ms = d.Int("workload.retry_backoff_ms", 50);
  // The share of produce and fetch calls through the HTTP/JSON codec (the
  // rest are typed, sim_wire.h): drawn per seed, never 0, so every seed
  // exercises the codec.
  p.json = d.RealOr("workload.json", 0.1, 0.5);
  if (p.json < 0 || p.json > 1) p.json = std::clamp(p.json, 0.0, 1.0);
  ReaderConfig& r = o->reader;
  r.max_count = static_cast<int32_t>(d.Int("workload.fetch_max_count", 100));
  r.max_bytes = d.Int("workload.fetch_max_bytes", 1 << 20);
  r.wait_ms = d.Int("workload.fetch_wait_ms", 500);
  r.request_timeout_margin_ms = d.Int("workload.fetch_timeout_margin_ms", 1000);
  r.retry_backoff_ms = p.retry_backoff_ms;
  r.json = p.json;
}

void DrawDisk(Drawer& d, FaultOptions* f) {
  DiskFaults& disk = f->disk;
  disk.crash_drop_tail = d.Real("faults.crash_model.drop_tail", 0.4);
  disk.crash_keep_tail = d.Real("faults.crash_model.keep_tail", 0.2);
  if (disk.crash_drop_tail + disk.crash_keep_tail > 1) {
    disk.crash_keep_tail = 1 - disk.crash_drop_tail;  // the rest tears
  }
  disk.crash_tear_garbage = d.Real("faults.crash_model.tear_garbage", 0.5);
  disk.crash_lose_dir_change = d.Real("faults.crash_model.lose_dir_change", 0.5);
  disk.sync_latency_min_ms = d.Int("faults.disk_latency.sync_min_ms", 0);
  disk.sync_latency_max_ms =
      std::max(disk.sync_latency_min_ms, d.Int("faults.disk_latency.sync_max_ms", 2));
  f->disk_errors = d.Group("faults.disk_errors");
  const double append_eio = d.Real("faults.disk_errors.append_eio", 0);
  const double append_enospc = d.Real("faults.disk_errors.append_enospc", 0);
  const double sync_eio = d.Real("faults.disk_errors.sync_eio", 0);
  const double read_eio = d.Real("faults.disk_errors.read_eio", 0);
  d.EndGroup();
  if (f->disk_errors) {
    disk.append_eio = append_eio;
    disk.append_enospc = append_enospc;
    disk.sync_eio = sync_eio;
    disk.read_eio = read_eio;
  }
  f->disk_full = d.Group("faults.disk_full");
  const int64_t capacity = d.Int("faults.disk_full.capacity_bytes", 1 << 20);
  d.EndGroup();
  if (f->disk_full) disk.capacity_bytes = static_cast<uint64_t>(capacity);
}

void DrawNetwork(Drawer& d, FaultOptions* f) {
  PathOptions& net = f->network;
  net.latency_min_ms = d.Int("faults.network.latency_min_ms", 1);
  net.latency_mean_ms = d.Int("faults.network.latency_mean_ms", 3);
  net.capacity = static_cast<size_t>(d.Int("faults.network.capacity", 4096));
  const bool loss = d.Group("faults.loss");
  const double loss_p = d.Real("faults.loss.probability", 0);
  d.EndGroup();
  net.loss = loss ? loss_p : 0;
  const bool dup = d.Group("faults.duplicate");
  const double dup_p = d.Real("faults.duplicate.probability", 0);
  d.EndGroup();
  net.duplicate = dup ? dup_p : 0;
  f->partition = d.Group("faults.partition");
  f->partition_interval_mean_ms = d.Int("faults.partition.interval_mean_ms", 10'000);
  f->partition_duration_max_ms = d.Int("faults.partition.duration_max_ms", 5'000);
  d.EndGroup();
  f->clog = d.Group("faults.clog");
  f->clog_interval_mean_ms = d.Int("faults.clog.interval_mean_ms", 10'000);
  f->clog_duration_max_ms = d.Int("faults.clog.duration_max_ms", 2'000);
  d.EndGroup();
  const bool filter = d.Group("faults.drop_filter");
  const std::string kind = d.Pick("faults.drop_filter.kinds", "response");
  const double filter_p = d.Real("faults.drop_filter.probability", 0.5);
  d.EndGroup();
  if (filter) {
    DropFilter drop;
    if (auto k = MessageKindFromName(kind)) drop.kind = static_cast<uint8_t>(*k);
    drop.probability = filter_p;
    f->drop_filters.push_back(drop);
  }
}

void DrawNodeFaults(Drawer& d, FaultOptions* f) {
  f->crash = d.Group("faults.crash");
  f->crash_interval_mean_ms = d.Int("faults.crash.interval_mean_ms", 10'000);
  f->restart_delay_min_ms = d.Int("faults.crash.restart_delay_min_ms", 0);
  f->restart_delay_max_ms =
      std::max(f->restart_delay_min_ms, d.Int("faults.crash.restart_delay_max_ms", 1'000));
  d.EndGroup();
  f->pause = d.Group("faults.pause");
  f->pause_interval_mean_ms = d.Int("faults.pause.interval_mean_ms", 10'000);
  f->pause_duration_max_ms = d.Int("faults.pause.duration_max_ms", 2'000);
  // Packets that reach a paused node: held until it resumes, or dropped.
  const double drop = d.Real("faults.pause.drop_packets", 0);
  f->pause_drops_packets = d.Chance("faults.pause.drop_packets.draw", drop);
  d.Record("faults.pause.drops_packets", f->pause_drops_packets);
  d.EndGroup();
  f->wall_jump = d.Group("faults.wall_jump");
  f->wall_jump_interval_mean_ms = d.Int("faults.wall_jump.interval_mean_ms", 20'000);
  f->wall_jump_max_ms = d.Int("faults.wall_jump.max_ms", 3'600'000);
  d.EndGroup();
  const bool buggify = d.Group("faults.buggify");
  const double rate = d.Real("faults.buggify.rate", 0.01);
  d.EndGroup();
  f->buggify_rate = buggify ? rate : 0;
}

// Section "groups": simulated consumer-group members (sim_group_members.h).
// Their faults (pause, crash, leave) are per-batch probabilities.
void DrawGroups(Drawer& d, GroupOptions* g) {
  g->members = static_cast<int32_t>(d.Int("groups.members", 0));
  GroupMemberConfig& m = g->member;
  m.poll_count = static_cast<int32_t>(d.Int("groups.poll_count", 50));
  m.poll_timeout_ms = d.Int("groups.poll_timeout_ms", 500);
  m.request_timeout_margin_ms = d.Int("groups.request_timeout_margin_ms", 1000);
  m.session_timeout_ms = d.Int("groups.session_timeout_ms", 3000);
  // A client heartbeats well within its session (as Kafka's clients do).
  m.heartbeat_interval_ms = std::min(d.Int("groups.heartbeat_interval_ms", 1000),
                                     std::max<Millis>(m.session_timeout_ms / 3, 1));
  m.process_mean_ms = d.Int("groups.process_mean_ms", 20);
  m.retry_backoff_ms = d.Int("groups.retry_backoff_ms", 50);
  m.restart_delay_max_ms = d.Int("groups.restart_delay_max_ms", 3000);
  m.new_id_on_restart = d.Real("groups.new_id_on_restart", 0.5);
  g->observe_interval_ms = d.Int("groups.observe_interval_ms", 200);
  m.new_id_after_lost_poll = d.Int("groups.new_id_after_lost_poll", 1) != 0;
  const bool pause = d.Group("groups.pause");
  const double pause_p = d.Real("groups.pause.probability", 0.05);
  m.pause_max_ms = d.Int("groups.pause.max_ms", 5000);
  d.EndGroup();
  m.pause = pause ? pause_p : 0;
  const bool crash = d.Group("groups.crash");
  const double crash_p = d.Real("groups.crash.probability", 0.05);
  d.EndGroup();
  m.crash = crash ? crash_p : 0;
  const bool leave = d.Group("groups.leave");
  const double leave_p = d.Real("groups.leave.probability", 0.02);
  d.EndGroup();
  m.leave = leave ? leave_p : 0;
}

Status CheckRanges(const SimOptions& o) {
  if (o.duration_ms <= 0 || o.drain_ms <= 0) return InvalidArgument("durations must be > 0");
  if (o.nodes < 1 || o.nodes > 16) return InvalidArgument("cluster.nodes must be 1..16");
  if (o.partitions < 1 || o.partitions > 100) return InvalidArgument("topic.partitions: 1..100");
  if (o.producers < 0 || o.producers > 100 || o.readers < 0 || o.readers > 100) {
    return InvalidArgument("workload.producers and readers: 0..100");
  }
  const ProducerConfig& p = o.producer;
  if (p.batcher.max_messages < 1 || p.max_in_flight < 1 || p.request_timeout_ms < 1 ||
      p.value_bytes_max < 0 || p.key_space < 1 || p.message_interval_mean_ms < 0 ||
      p.retry_backoff_ms < 0 || p.batcher.linger_ms < 0) {
    return InvalidArgument("a workload knob is out of range");
  }
  if (o.reader.max_count < 1 || o.reader.max_bytes < 1 || o.reader.wait_ms < 0 ||
      o.reader.request_timeout_margin_ms < 1) {
    return InvalidArgument("a fetch knob is out of range");
  }
  if (o.faults.crash_interval_mean_ms < 1 || o.faults.partition_interval_mean_ms < 1 ||
      o.faults.clog_interval_mean_ms < 1 || o.faults.pause_interval_mean_ms < 1 ||
      o.faults.wall_jump_interval_mean_ms < 1) {
    return InvalidArgument("fault intervals must be >= 1 ms");
  }
  const ReplicationOptions& r = o.replication;
  if (r.enabled &&
      (o.nodes < 2 || o.nodes > 3 || r.min_insync_replicas < 1 || r.min_insync_replicas > o.nodes ||
       r.leader_crash_interval_mean_ms < 1 || r.follower_crash_interval_mean_ms < 1 ||
       r.partition_interval_mean_ms < 1 || r.check_interval_ms < 1 || r.fetch_timeout_ms < 1)) {
    return InvalidArgument("replication: 2..3 nodes, min_insync_replicas 1..nodes, intervals >= 1");
  }
  if (r.enabled && o.faults.crash) {
    return InvalidArgument("replication: crash nodes with replication.leader_crash/follower_crash");
  }
  const GroupOptions& g = o.groups;
  if (g.members < 0 || g.members > 50 || g.member.poll_count < 1 || g.member.poll_timeout_ms < 0 ||
      g.member.request_timeout_margin_ms < 1 || g.member.session_timeout_ms < 1 ||
      g.member.heartbeat_interval_ms < 1 || g.member.process_mean_ms < 0 ||
      g.member.retry_backoff_ms < 0 || g.member.restart_delay_max_ms < 0 ||
      g.member.pause_max_ms < 0 || g.observe_interval_ms < 1) {
    return InvalidArgument("a groups knob is out of range");
  }
  return Status::Ok();
}

}  // namespace

Result<Scenario> Scenario::Parse(std::string_view json_text) {
  Json spec = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object()) {
    return InvalidArgument("a scenario must be a JSON object");
  }
  Scenario scenario;
  auto name = spec.find("name");
  if (name == spec.end() || !name->is_string() || name->get<std::string>().empty()) {
    return InvalidArgument("a scenario needs a \"name\"");
  }
  scenario.name = name->get<std::string>();
  if (auto d = spec.find("description"); d != spec.end() && d->is_string()) {
    scenario.description = d->get<std::string>();
  }
  scenario.spec = std::move(spec);
  // Drawing once validates every key and bound.
  auto drawn = DrawOptions(scenario, 0);
  if (!drawn.ok()) return drawn.status();
  return scenario;
}

// The "replication" section: present = the nodes replicate (node 1 leads).
void DrawReplication(Drawer& d, SimOptions* o) {
  ReplicationOptions& r = o->replication;
  r.enabled = d.Group("replication");  // keys are drawn (checked) either way
  r.min_insync_replicas = static_cast<int>(d.Int("replication.min_insync_replicas", 1));
  r.replica_lag_time_max_ms = d.Int("replication.replica_lag_time_max_ms", 2'000);
  r.fetch_max_wait_ms = d.Int("replication.fetch_max_wait_ms", 100);
  r.fetch_timeout_ms = d.Int("replication.fetch_timeout_ms", 500);
  r.check_interval_ms = d.Int("replication.check_interval_ms", 25);
  r.message_loss = d.Real("replication.message_loss", 0);
  r.message_duplicate = d.Real("replication.message_duplicate", 0);
  r.message_delay_mean_ms = d.Int("replication.message_delay_mean_ms", 0);
  r.leader_crash = d.Group("replication.leader_crash");
  r.leader_crash_interval_mean_ms =
      d.Int("replication.leader_crash.interval_mean_ms", r.leader_crash_interval_mean_ms);
  r.promote_delay_max_ms =
      d.Int("replication.leader_crash.promote_delay_max_ms", r.promote_delay_max_ms);
  r.leader_restart_delay_max_ms =
      d.Int("replication.leader_crash.restart_delay_max_ms", r.leader_restart_delay_max_ms);
  d.EndGroup();
  r.follower_crash = d.Group("replication.follower_crash");
  r.follower_crash_interval_mean_ms =
      d.Int("replication.follower_crash.interval_mean_ms", r.follower_crash_interval_mean_ms);
  r.follower_restart_delay_max_ms =
      d.Int("replication.follower_crash.restart_delay_max_ms", r.follower_restart_delay_max_ms);
  d.EndGroup();
  r.partition = d.Group("replication.partition");
  r.partition_interval_mean_ms =
      d.Int("replication.partition.interval_mean_ms", r.partition_interval_mean_ms);
  r.partition_duration_max_ms =
      d.Int("replication.partition.duration_max_ms", r.partition_duration_max_ms);
  d.EndGroup();
}

Result<SimOptions> DrawOptions(const Scenario& scenario, uint64_t seed) {
  Drawer d(scenario.spec, seed);
  d.MarkUsed("name");
  d.MarkUsed("description");
  SimOptions o;
  o.scenario = scenario.name;
  o.seed = seed;
  o.duration_ms = d.Int("duration_ms", 60'000);
  o.drain_ms = d.Int("drain_ms", 60'000);
  o.max_events = static_cast<uint64_t>(d.Int("max_events", 50'000'000));
  o.nodes = static_cast<int32_t>(d.Int("cluster.nodes", 1));
  o.partitions = static_cast<int32_t>(d.Int("topic.partitions", 1));
  o.topic_config.segment_bytes = d.Int("topic.segment_bytes", 1 << 20);
  o.topic_config.max_message_bytes = d.Int("topic.max_message_bytes", 1 << 20);
  // Retention would delete acked records on purpose; the oracle would call
  // that a loss. Scenarios run with retention off.
  o.topic_config.retention_ms = -1;
  o.topic_config.retention_bytes = -1;
  o.index_interval_bytes = static_cast<uint64_t>(d.Int("topic.index_interval_bytes", 4096));
  DrawWorkload(d, &o);
  DrawDisk(d, &o.faults);
  DrawNetwork(d, &o.faults);
  DrawNodeFaults(d, &o.faults);
  DrawReplication(d, &o);
  DrawGroups(d, &o.groups);
  const double canary_rate = d.Real("canary.rate", 0);
  o.canary = d.Chance("canary", canary_rate);
  d.Record("canary", o.canary);
  GAFKA_RETURN_IF_ERROR(d.Finish());
  GAFKA_RETURN_IF_ERROR(CheckRanges(o));
  o.drawn = d.drawn();
  return o;
}

}  // namespace gafka::sim
