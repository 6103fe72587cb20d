// FaultInjector: turns a seed's FaultOptions into events during the chaos
// phase — node crashes (and restarts after a random delay), pauses, wall
// clock jumps, network partitions (isolate a node, one-way, symmetric
// between client groups and a node), clogged paths, lossy/duplicating
// paths, drop filters, disk error rates and capacity, Buggify rate.
//
// Stop() ends the chaos: no new faults, every active one cleared (network
// healed, disks and paths benign, paused nodes resumed, Buggify off); nodes
// that are down stay down — the Simulation restarts them.
//
// Owned by the Simulation; single-threaded; its timers live on its own
// NodeClock so Stop() cancels them all.
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/rng.h"
#include "runtime-sim/node_clock.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/sim_network.h"
#include "runtime-sim/sim_node.h"
#include "runtime-sim/trace.h"

namespace gafka::sim {

class FaultInjector {
 public:
  FaultInjector(SimClock& clock, SimNetwork& network, Trace& trace, const FaultOptions& options,
                std::vector<SimNode*> nodes, std::vector<NodeId> clients, Rng rng);
  ~FaultInjector();

  void Start();
  void Stop();

  uint64_t crashes() const { return crashes_; }
  uint64_t restarts() const { return restarts_; }
  uint64_t partitions() const { return partitions_; }
  uint64_t pauses() const { return pauses_; }

 private:
  void Every(Millis mean_ms, Rng& rng, void (FaultInjector::*fault)());
  void CrashOne();
  void RestartLater(SimNode* node);
  void PauseOne();
  void JumpWall();
  void PartitionSome();
  void ClogSome();
  SimNode* PickNode(Rng& rng, bool want_up);

  SimClock& sim_clock_;
  SimNetwork& network_;
  Trace& trace_;
  const FaultOptions options_;
  std::vector<SimNode*> nodes_;
  std::vector<NodeId> clients_;
  NodeClock clock_;
  // One stream per fault kind: turning one kind on does not shift another.
  Rng crash_rng_, pause_rng_, wall_rng_, partition_rng_, clog_rng_;
  bool partitioned_ = false;  // at most one partition at a time; it ends with a heal
  bool running_ = false;
  uint64_t crashes_ = 0, restarts_ = 0, partitions_ = 0, pauses_ = 0;
};

}  // namespace gafka::sim
