#include "runtime-sim/fault_injector.h"

#include <cmath>
#include <utility>

#include "core/base/check.h"

namespace gafka::sim {
namespace {

Millis ExpDelay(Rng& rng, Millis mean_ms) {
  return 1 + static_cast<Millis>(std::llround(rng.Exponential(static_cast<double>(mean_ms))));
}

}  // namespace

FaultInjector::FaultInjector(SimClock& clock, SimNetwork& network, Trace& trace,
                             const FaultOptions& options, std::vector<SimNode*> nodes,
                             std::vector<NodeId> clients, Rng rng)
    : sim_clock_(clock),
      network_(network),
      trace_(trace),
      options_(options),
      nodes_(std::move(nodes)),
      clients_(std::move(clients)),
      clock_(clock),
      crash_rng_(rng.Fork("crash")),
      pause_rng_(rng.Fork("pause")),
      wall_rng_(rng.Fork("wall")),
      partition_rng_(rng.Fork("partition")),
      clog_rng_(rng.Fork("clog")) {
  CHECK(!nodes_.empty());
}

FaultInjector::~FaultInjector() { clock_.CancelAll(); }

void FaultInjector::Start() {
  running_ = true;
  network_.set_default_path(options_.network);
  for (const DropFilter& filter : options_.drop_filters) network_.AddDropFilter(filter);
  for (SimNode* node : nodes_) {
    node->disk().set_faults(options_.disk);
    node->set_buggify_rate(options_.buggify_rate);
  }
  if (options_.crash) Every(options_.crash_interval_mean_ms, crash_rng_, &FaultInjector::CrashOne);
  if (options_.pause) Every(options_.pause_interval_mean_ms, pause_rng_, &FaultInjector::PauseOne);
  if (options_.wall_jump) {
    Every(options_.wall_jump_interval_mean_ms, wall_rng_, &FaultInjector::JumpWall);
  }
  if (options_.partition && !clients_.empty()) {
    Every(options_.partition_interval_mean_ms, partition_rng_, &FaultInjector::PartitionSome);
  }
  if (options_.clog && !clients_.empty()) {
    Every(options_.clog_interval_mean_ms, clog_rng_, &FaultInjector::ClogSome);
  }
  trace_.Record(sim_clock_.NowMs(), TraceKind::kNote, 0, 0, 0, 0, "faults on");
}

void FaultInjector::Stop() {
  running_ = false;
  clock_.CancelAll();  // pending faults, restarts and heals
  network_.Heal();
  network_.ClearDropFilters();
  PathOptions benign = options_.network;
  benign.loss = 0;
  benign.duplicate = 0;
  network_.set_default_path(benign);
  for (SimNode* node : nodes_) {
    DiskFaults disk = options_.disk;
    disk.append_eio = disk.append_enospc = disk.sync_eio = disk.read_eio = 0;
    disk.capacity_bytes = UINT64_MAX;
    node->disk().set_faults(disk);
    node->set_buggify_rate(0);
    node->Resume();
  }
  partitioned_ = false;
  trace_.Record(sim_clock_.NowMs(), TraceKind::kNote, 0, 0, 0, 0, "faults off");
}

void FaultInjector::Every(Millis mean_ms, Rng& rng, void (FaultInjector::*fault)()) {
  clock_.After(ExpDelay(rng, mean_ms), [this, mean_ms, &rng, fault] {
    if (!running_) return;
    (this->*fault)();
    Every(mean_ms, rng, fault);
  });
}

SimNode* FaultInjector::PickNode(Rng& rng, bool want_up) {
  std::vector<SimNode*> candidates;
  for (SimNode* node : nodes_) {
    if (node->up() == want_up) candidates.push_back(node);
  }
  if (candidates.empty()) return nullptr;
  return candidates[rng.Uniform(candidates.size())];
}

void FaultInjector::CrashOne() {
  SimNode* node = PickNode(crash_rng_, /*want_up=*/true);
  if (node == nullptr) return;
  ++crashes_;
  node->Crash();
  RestartLater(node);
}

void FaultInjector::RestartLater(SimNode* node) {
  const Millis delay_ms =
      crash_rng_.Range(options_.restart_delay_min_ms, options_.restart_delay_max_ms);
  clock_.After(delay_ms, [this, node] {
    if (!running_ || node->up()) return;
    ++restarts_;
    // Recovery itself may hit an injected disk error: try again later, after
    // a reboot half of the time (a failed fsync stays failed until one).
    if (!node->Start().ok()) {
      if (crash_rng_.Chance(0.5)) node->PowerCycle();
      RestartLater(node);
    }
  });
}

void FaultInjector::PauseOne() {
  SimNode* node = PickNode(pause_rng_, /*want_up=*/true);
  if (node == nullptr || node->paused()) return;
  ++pauses_;
  node->Pause();
  const Millis duration_ms = pause_rng_.Range(1, options_.pause_duration_max_ms);
  clock_.After(duration_ms, [node] { node->Resume(); });
}

void FaultInjector::JumpWall() {
  SimNode* node = nodes_[wall_rng_.Uniform(nodes_.size())];
  const Millis jump_ms = wall_rng_.Range(-options_.wall_jump_max_ms, options_.wall_jump_max_ms);
  node->clock().SkewWall(jump_ms);
  trace_.Record(sim_clock_.NowMs(), TraceKind::kFault, node->id().value(), jump_ms, 0, 0,
                "wall-jump");
}

void FaultInjector::PartitionSome() {
  if (partitioned_) return;
  SimNode* node = nodes_[partition_rng_.Uniform(nodes_.size())];
  const NodeId target = node->id();
  const NodeId client = clients_[partition_rng_.Uniform(clients_.size())];
  switch (partition_rng_.Uniform(4)) {
    case 0:
      network_.Isolate(target);
      break;
    case 1:
      network_.Block(client, target);  // requests vanish
      break;
    case 2:
      network_.Block(target, client);  // answers vanish: outcomes unknown
      break;
    default: {
      std::vector<NodeId> group;
      for (NodeId c : clients_) {
        if (partition_rng_.Chance(0.5)) group.push_back(c);
      }
      if (group.empty()) group.push_back(client);
      network_.PartitionGroups(group, {target});
      break;
    }
  }
  ++partitions_;
  partitioned_ = true;
  const Millis duration_ms = partition_rng_.Range(1, options_.partition_duration_max_ms);
  clock_.After(duration_ms, [this] {
    network_.Heal();
    partitioned_ = false;
  });
}

void FaultInjector::ClogSome() {
  SimNode* node = nodes_[clog_rng_.Uniform(nodes_.size())];
  const NodeId client = clients_[clog_rng_.Uniform(clients_.size())];
  const Millis duration_ms = clog_rng_.Range(1, options_.clog_duration_max_ms);
  if (clog_rng_.Chance(0.5)) {
    network_.Clog(client, node->id(), duration_ms);
  } else {
    network_.Clog(node->id(), client, duration_ms);
  }
}

}  // namespace gafka::sim
