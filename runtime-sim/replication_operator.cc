#include "runtime-sim/replication_operator.h"

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <variant>

#include "core/base/check.h"
#include "core/replica/replica_wire.h"

namespace gafka::sim {
namespace {

std::optional<NodeId> ResolvePeer(const std::string& address) {
  if (address.rfind("node-", 0) != 0 || address.size() < 6) return std::nullopt;
  int32_t id = 0;
  for (size_t i = 5; i < address.size(); ++i) {
    if (address[i] < '0' || address[i] > '9' || id > 1'000'000) return std::nullopt;
    id = id * 10 + (address[i] - '0');
  }
  return NodeId(id);
}

}  // namespace

ReplicationOperator::ReplicationOperator(SimClock& clock, SimNetwork& network, Trace& trace,
                                         Oracle& oracle, ReplicationOptions options,
                                         std::vector<SimNode*> nodes, Rng rng)
    : clock_(clock),
      network_(network),
      trace_(trace),
      oracle_(oracle),
      options_(options),
      nodes_(std::move(nodes)),
      rng_(rng),
      checker_(oracle),
      restart_timers_(nodes_.size(), kNoTimer) {
  oracle_.set_leader_only_sink([this](const AckEvent& ack) {
    checker_.OnLeaderOnlyAck(ack);
    ++stats_.leader_only_acks;
  });
  // Replication messages between brokers: lost, duplicated, delayed.
  if (options_.message_loss > 0) {
    network_.AddDropFilter(
        DropFilter{kReplicationKind, std::nullopt, std::nullopt, options_.message_loss});
  }
  if (options_.message_duplicate > 0 || options_.message_delay_mean_ms > 0) {
    for (SimNode* a : nodes_) {
      for (SimNode* b : nodes_) {
        if (a == b) continue;
        PathOptions path = PathOptions{};
        path.duplicate = options_.message_duplicate;
        path.latency_mean_ms += options_.message_delay_mean_ms;
        network_.SetPath(a->id(), b->id(), path);
      }
    }
  }
}

ReplicationOperator::~ReplicationOperator() {
  oracle_.set_leader_only_sink(nullptr);
  running_ = false;
  for (TimerId* t : {&leader_crash_timer_, &promote_timer_, &return_timer_, &follower_crash_timer_,
                     &partition_timer_, &sample_timer_, &heal_timer_}) {
    clock_.Cancel(*t);
  }
  for (TimerId t : restart_timers_) clock_.Cancel(t);
}

void ReplicationOperator::Configure(const ReplicationOptions& options, int index,
                                    BrokerConfig* config) {
  ReplicaConfig& r = config->replication;
  r.advertised_address = Address(config->id);
  r.replica_lag_time_max_ms = options.replica_lag_time_max_ms;
  r.min_insync_replicas = options.min_insync_replicas;
  r.fetch_max_wait_ms = options.fetch_max_wait_ms;
  r.fetch_timeout_ms = options.fetch_timeout_ms;
  r.notice_retry_ms = 100;
  r.resolve_peer = ResolvePeer;
  r.follower = index != 0;
  config->role = r.follower ? "follower" : "leader";
  if (r.follower) {
    r.leader_peer = NodeId(1);
    r.leader_address = Address(NodeId(1));
  }
}

void ReplicationOperator::AddClients(std::vector<SimProducer*> producers,
                                     std::vector<SimReader*> readers) {
  producers_ = std::move(producers);
  readers_ = std::move(readers);
}

void ReplicationOperator::Note(const std::string& text) {
  trace_.Record(clock_.NowMs(), TraceKind::kNote, 0, 0, 0, 0, "replication: " + text);
}

void ReplicationOperator::Schedule(TimerId* timer, Millis delay_ms, std::function<void()> fn) {
  clock_.Cancel(*timer);
  *timer = clock_.After(std::max<Millis>(0, delay_ms), [this, timer, fn = std::move(fn)] {
    *timer = kNoTimer;
    fn();
  });
}

void ReplicationOperator::Start() {
  running_ = true;
  auto exp = [this](Millis mean) {
    return static_cast<Millis>(rng_.Exponential(static_cast<double>(mean))) + 1;
  };
  if (options_.leader_crash) {
    Schedule(&leader_crash_timer_, exp(options_.leader_crash_interval_mean_ms),
             [this] { CrashLeader(); });
  }
  if (options_.follower_crash) {
    Schedule(&follower_crash_timer_, exp(options_.follower_crash_interval_mean_ms),
             [this] { CrashFollower(); });
  }
  if (options_.partition) {
    Schedule(&partition_timer_, exp(options_.partition_interval_mean_ms), [this] { Partition(); });
  }
  Schedule(&sample_timer_, options_.check_interval_ms, [this] { Sample(); });
}

void ReplicationOperator::CrashLeader() {
  if (!running_) return;
  Schedule(&leader_crash_timer_,
           static_cast<Millis>(
               rng_.Exponential(static_cast<double>(options_.leader_crash_interval_mean_ms))) +
               1,
           [this] { CrashLeader(); });
  // One failover at a time: the previous old leader has returned.
  if (leader_down_ || return_timer_ != kNoTimer || !nodes_[leader_]->up()) return;
  ++stats_.leader_crashes;
  leader_down_ = true;
  old_leader_ = leader_;
  crashed_at_ms_ = clock_.NowMs();
  Note("leader " + std::to_string(leader().value()) + " crashes");
  nodes_[leader_]->Crash();
  Schedule(&promote_timer_, rng_.Range(0, options_.promote_delay_max_ms), [this] { TryPromote(); });
  Schedule(&return_timer_,
           options_.promote_delay_max_ms + rng_.Range(0, options_.leader_restart_delay_max_ms),
           [this] { LeaderReturns(); });
}

void ReplicationOperator::TryPromote() {
  if (!leader_down_) return;
  // The runbook: the most caught-up follower the leader last called in sync.
  std::vector<std::pair<int64_t, size_t>> candidates;  // (-records, index)
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (i == old_leader_ || !nodes_[i]->up()) continue;
    const auto snapshot = Snapshot(i);
    if (!snapshot || snapshot->leading) continue;
    int64_t records = 0;
    bool in_sync = true;
    for (const auto& p : snapshot->partitions) {
      records += p.log_end.value();
      in_sync = in_sync && p.in_sync;
    }
    if (in_sync) candidates.emplace_back(-records, i);
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto& [minus_records, index] : candidates) {
    auto promoted = nodes_[index]->broker()->Promote(Address(nodes_[index]->id()));
    if (!promoted.ok()) {
      ++stats_.promotions_refused;
      Note("promotion of node " + std::to_string(nodes_[index]->id().value()) +
           " refused: " + promoted.status().ToString());
      continue;
    }
    ++stats_.failovers;
    leader_ = index;
    leader_down_ = false;
    awaiting_recovery_ = true;
    acks_at_promotion_ = oracle_.acks();
    Note("node " + std::to_string(leader().value()) + " promoted to epoch " +
         std::to_string(promoted->value()));
    nodes_[leader_]->broker_config().replication.follower = false;
    nodes_[leader_]->broker_config().role = "leader";
    for (SimProducer* p : producers_) p->set_broker(leader());
    for (SimReader* r : readers_) r->set_broker(leader());
    // The other followers follow the new leader (restarted with --leader).
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (i == leader_ || i == old_leader_) continue;
      FollowLeader(i);
      if (nodes_[i]->up()) {
        nodes_[i]->Crash();
        Restart(i, "re-pointed at the new leader");
      }
    }
    FollowLeader(old_leader_);  // returns as a follower (LeaderReturns)
    return;
  }
  Schedule(&promote_timer_, 100, [this] { TryPromote(); });
}

void ReplicationOperator::LeaderReturns() {
  const size_t index = old_leader_;
  if (nodes_[index]->up()) return;
  if (leader_down_) {
    // Nobody could be promoted: the old leader comes back as the leader.
    clock_.Cancel(promote_timer_);
    leader_down_ = false;
    awaiting_recovery_ = true;
    acks_at_promotion_ = oracle_.acks();
    Note("no follower promoted: node " + std::to_string(nodes_[index]->id().value()) +
         " returns as the leader");
  }
  ++stats_.leader_returns;
  Restart(index, leader_ == index ? "returns as the leader" : "returns as a follower");
}

void ReplicationOperator::FollowLeader(size_t index) {
  ReplicaConfig& r = nodes_[index]->broker_config().replication;
  r.follower = true;
  r.leader_peer = leader();
  r.leader_address = Address(leader());
  nodes_[index]->broker_config().role = "follower";
}

void ReplicationOperator::Restart(size_t index, const char* why) {
  SimNode* node = nodes_[index];
  if (node->up()) return;
  Status started = node->Start();
  if (!started.ok()) {
    node->PowerCycle();
    started = node->Start();
  }
  Note("node " + std::to_string(node->id().value()) + " " + why +
       (started.ok() ? "" : ": " + started.ToString()));
  // A leader restarted with followers is a new term whose HW restarts from
  // its checkpoint, which may lag what readers were shown (Kafka's too).
  if (index == leader_) {
    for (SimReader* r : readers_) r->set_broker(leader());
  }
  if (!started.ok()) {
    oracle_.Fail(17, "replica-restart-failed",
                 "node " + std::to_string(node->id().value()) + ": " + started.ToString());
  }
}

void ReplicationOperator::CrashFollower() {
  if (!running_) return;
  Schedule(&follower_crash_timer_,
           static_cast<Millis>(
               rng_.Exponential(static_cast<double>(options_.follower_crash_interval_mean_ms))) +
               1,
           [this] { CrashFollower(); });
  std::vector<size_t> followers;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (i != leader_ && !(leader_down_ && i == old_leader_) && nodes_[i]->up()) {
      followers.push_back(i);
    }
  }
  if (followers.empty()) return;
  const size_t index = followers[rng_.Uniform(followers.size())];
  ++stats_.follower_crashes;
  Note("follower " + std::to_string(nodes_[index]->id().value()) + " crashes");
  nodes_[index]->Crash();
  Schedule(&restart_timers_[index], rng_.Range(0, options_.follower_restart_delay_max_ms),
           [this, index] {
             FollowLeader(index);  // the leader may have moved meanwhile
             Restart(index, "restarts as a follower");
           });
}

void ReplicationOperator::Partition() {
  if (!running_) return;
  Schedule(&partition_timer_,
           static_cast<Millis>(
               rng_.Exponential(static_cast<double>(options_.partition_interval_mean_ms))) +
               1,
           [this] { Partition(); });
  const NodeId leader_id = leader();
  std::vector<NodeId> followers;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (i != leader_) followers.push_back(nodes_[i]->id());
  }
  ++stats_.partitions;
  if (followers.size() > 1 && rng_.Chance(0.5)) {
    network_.PartitionGroups({leader_id}, followers);
    Note("partition: leader " + std::to_string(leader_id.value()) + " | all followers");
  } else {
    const NodeId f = followers[rng_.Uniform(followers.size())];
    const bool one_way = rng_.Chance(0.3);
    network_.Block(leader_id, f);
    if (!one_way) network_.Block(f, leader_id);
    Note("partition: leader " + std::to_string(leader_id.value()) + (one_way ? " -> " : " | ") +
         "follower " + std::to_string(f.value()));
  }
  // Heal() also ends the fault injector's partitions: scenarios with
  // replication partitions leave the injector's off.
  Schedule(&heal_timer_, rng_.Range(1, options_.partition_duration_max_ms), [this] {
    network_.Heal();
    Note("partition healed");
  });
}

void ReplicationOperator::Stop() {
  running_ = false;
  for (TimerId* t : {&leader_crash_timer_, &follower_crash_timer_, &partition_timer_,
                     &promote_timer_, &return_timer_, &heal_timer_}) {
    clock_.Cancel(*t);
    *t = kNoTimer;
  }
  for (TimerId& t : restart_timers_) {
    clock_.Cancel(t);
    t = kNoTimer;
  }
  network_.Heal();
  network_.ClearDropFilters();
  network_.ClearPathOverrides();
  if (leader_down_) {
    // The failover in progress ends: a promotion if a follower is in sync
    // now, else the old leader returns as the leader.
    TryPromote();
    clock_.Cancel(promote_timer_);
    promote_timer_ = kNoTimer;
    if (leader_down_) LeaderReturns();
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->up()) continue;
    if (i != leader_) FollowLeader(i);
    Restart(i, i == leader_ ? "restarts as the leader (faults stopped)"
                            : "restarts as a follower (faults stopped)");
  }
}

void ReplicationOperator::Sample() {
  Schedule(&sample_timer_, options_.check_interval_ms, [this] { Sample(); });
  if (awaiting_recovery_ && oracle_.acks() > acks_at_promotion_) {
    awaiting_recovery_ = false;
    const Millis recovery = clock_.NowMs() - crashed_at_ms_;
    ++stats_.recoveries;
    stats_.recovery_ms_total += recovery;
    stats_.recovery_ms_max = std::max(stats_.recovery_ms_max, recovery);
  }
  std::vector<ReplicaSnapshot> snapshots;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (auto s = Snapshot(i)) snapshots.push_back(std::move(*s));
  }
  checker_.OnSnapshots(snapshots);
}

std::optional<ReplicaSnapshot> ReplicationOperator::Snapshot(size_t index) {
  SimNode* node = nodes_[index];
  if (!node->up() || node->paused()) return std::nullopt;
  std::optional<ApiResponse> answer;
  node->broker()->Execute(StatusRequest{}, [&answer](ApiResponse r) { answer = std::move(r); });
  if (!answer) return std::nullopt;  // not answered at once: no sample
  const auto* status = std::get_if<StatusResponse>(&*answer);
  if (status == nullptr || status->json_extra.empty()) return std::nullopt;
  const auto json = nlohmann::json::parse(status->json_extra, nullptr, false);
  if (json.is_discarded() || !json.contains("replication")) return std::nullopt;
  const auto& r = json["replication"];
  ReplicaSnapshot s;
  s.node = node->id();
  s.incarnation = node->starts();
  s.leading = r.value("role", "") == "leader";
  s.epoch = Epoch(r.value("epoch", int64_t{-1}));
  for (const auto& p : r.value("partitions", nlohmann::json::array())) {
    ReplicaSnapshot::PartitionState ps;
    ps.topic = p.value("topic", "");
    ps.partition = p.value("partition", 0);
    ps.log_end = Offset(p.value("log_end_offset", int64_t{0}));
    ps.high_watermark = Offset(p.value("high_watermark", int64_t{0}));
    if (p.contains("in_sync")) {
      ps.in_sync = p["in_sync"].get<bool>();
    } else if (p.contains("followers")) {
      ps.in_sync = true;
      for (const auto& f : p["followers"]) ps.in_sync = ps.in_sync && f.value("in_sync", false);
    }
    s.partitions.push_back(std::move(ps));
  }
  return s;
}

bool ReplicationOperator::Converged() {
  const auto lead = Snapshot(leader_);
  if (!lead || !lead->leading) return false;
  for (const auto& p : lead->partitions) {
    if (p.high_watermark != p.log_end || !p.in_sync) return false;
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (i == leader_) continue;
    const auto f = Snapshot(i);
    if (!f || f->leading || f->partitions.size() != lead->partitions.size()) return false;
    for (size_t k = 0; k < f->partitions.size(); ++k) {
      const auto& a = lead->partitions[k];
      const auto& b = f->partitions[k];
      if (a.topic != b.topic || a.partition != b.partition || a.log_end != b.log_end ||
          a.high_watermark != b.high_watermark) {
        return false;
      }
    }
  }
  return true;
}

std::string ReplicationOperator::Describe() {
  std::string out = "leader node " + std::to_string(leader().value()) + "; ";
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const auto s = Snapshot(i);
    out += "node " + std::to_string(nodes_[i]->id().value());
    if (!s) {
      out += nodes_[i]->up() ? " (no status); " : " DOWN; ";
      continue;
    }
    out += std::string(s->leading ? " leader" : " follower") + " epoch " +
           std::to_string(s->epoch.value());
    for (const auto& p : s->partitions) {
      out += " " + p.topic + "/" + std::to_string(p.partition) + " end " +
             std::to_string(p.log_end.value()) + " hw " + std::to_string(p.high_watermark.value()) +
             (p.in_sync ? " isr" : " lagging");
    }
    out += "; ";
  }
  return out;
}

std::optional<ApiResponse> ReplicationOperator::Call(size_t index, ApiRequest request,
                                                     Millis limit_ms) {
  auto slot = std::make_shared<std::optional<ApiResponse>>();
  nodes_[index]->broker()->Execute(std::move(request),
                                   [slot](ApiResponse r) { *slot = std::move(r); });
  const Millis deadline = clock_.NowMs() + limit_ms;
  while (!slot->has_value() && clock_.NowMs() < deadline && clock_.RunOne()) {
  }
  return *slot;
}

std::vector<Record> ReplicationOperator::ReadAll(size_t index, const std::string& topic,
                                                 int32_t partition, Offset end) {
  std::vector<Record> out;
  while (static_cast<int64_t>(out.size()) < end.value()) {
    FetchRequest fetch;
    fetch.topic = topic;
    fetch.partition = PartitionId(partition);
    fetch.offset = Offset(static_cast<int64_t>(out.size()));
    fetch.max_count = 1000;
    fetch.max_bytes = 4 << 20;
    const auto answer = Call(index, fetch, 10'000);
    const auto* fetched = answer ? std::get_if<FetchResponse>(&*answer) : nullptr;
    if (fetched == nullptr || fetched->records.empty()) break;
    for (const auto& consumed : fetched->records) out.push_back(consumed.record);
  }
  return out;
}

void ReplicationOperator::FinalCheck() {
  const auto lead = Snapshot(leader_);
  if (!lead) return oracle_.Fail(17, "replicas-not-converged", "no leader status: " + Describe());
  std::map<std::pair<std::string, int32_t>, std::vector<Record>> logs;
  for (const auto& p : lead->partitions) {
    const std::vector<Record>& leader_records = logs[{p.topic, p.partition}] =
        ReadAll(leader_, p.topic, p.partition, p.high_watermark);
    for (size_t i = 0; i < nodes_.size() && !oracle_.failed(); ++i) {
      if (i == leader_) continue;
      checker_.CompareCommitted(p.topic, p.partition, leader(), leader_records, nodes_[i]->id(),
                                ReadAll(i, p.topic, p.partition, p.high_watermark),
                                p.high_watermark);
    }
  }
  if (oracle_.failed()) return;
  // Converged: the leader's HW is its log end, so this is its whole log.
  stats_.leader_only_lost = checker_.CountLeaderOnlyLost(
      stats_.failovers,
      [&logs](const std::string& topic, int32_t partition,
              Offset offset) -> std::optional<MessageId> {
        auto it = logs.find({topic, partition});
        if (it == logs.end() || offset.value() < 0 ||
            offset.value() >= static_cast<int64_t>(it->second.size())) {
          return std::nullopt;
        }
        return Oracle::IdOf(it->second[static_cast<size_t>(offset.value())].value);
      });
}

}  // namespace gafka::sim
