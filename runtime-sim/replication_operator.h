// ReplicationOperator: the replication part of a scenario (docs/simulation.md,
// "Replication scenarios"). Node 1 starts as the leader, the others follow
// it. During the chaos phase it breaks things and plays the operator of the
// runbook (docs/operations.md, "the leader is dead"):
//   leader crash   power loss on the leader (its unsynced tail dropped or
//                  torn by the SimDisk crash model); promote_delay later the
//                  operator promotes the most caught-up follower that the
//                  leader last called in sync (Broker::Promote, never forced:
//                  when every candidate refuses it retries, and if none was
//                  promoted by the time the old leader's host returns, that
//                  one restarts as the leader again), points clients at the
//                  new leader, restarts the other followers following it, and
//                  restarts the old leader as a follower;
//   follower crash power loss on a follower; it restarts after a delay;
//   partition      cuts the paths between the leader and one follower (or
//                  all of them) for a while; clients are unaffected;
//   messages       replication messages lost, duplicated, delayed.
// It samples every live broker's replication status each check interval for
// the ReplicationChecker, and after the audit waits for the replicas to
// converge and compares their committed prefixes.
//
// Owned by the Simulation; single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/base/rng.h"
#include "runtime-sim/oracle.h"
#include "runtime-sim/oracle_replication.h"
#include "runtime-sim/replication_options.h"
#include "runtime-sim/sim_clients.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_network.h"
#include "runtime-sim/sim_node.h"
#include "runtime-sim/trace.h"

namespace gafka::sim {

struct ReplicationStats {
  uint64_t leader_crashes = 0, failovers = 0, promotions_refused = 0, leader_returns = 0;
  uint64_t follower_crashes = 0, partitions = 0;
  uint64_t leader_only_acks = 0, leader_only_lost = 0;
  Millis recovery_ms_total = 0, recovery_ms_max = 0;  // leader crash -> first ack after it
  uint64_t recoveries = 0;
};

class ReplicationOperator {
 public:
  ReplicationOperator(SimClock& clock, SimNetwork& network, Trace& trace, Oracle& oracle,
                      ReplicationOptions options, std::vector<SimNode*> nodes, Rng rng);
  ~ReplicationOperator();
  ReplicationOperator(const ReplicationOperator&) = delete;
  ReplicationOperator& operator=(const ReplicationOperator&) = delete;

  // The replication fields of node `index`'s config (0 = node 1, the leader).
  static void Configure(const ReplicationOptions& options, int index, BrokerConfig* config);
  static std::string Address(NodeId node) { return "node-" + std::to_string(node.value()); }

  void AddClients(std::vector<SimProducer*> producers, std::vector<SimReader*> readers);
  // Chaos on: faults and sampling.
  void Start();
  // Faults off: heals, ends a failover in progress, restarts down nodes in
  // their roles. Sampling goes on.
  void Stop();
  // Every follower caught up with the leader (log end, HW, in sync).
  bool Converged();
  std::string Describe();
  // After convergence: committed prefixes (15), acks=1 losses (14).
  void FinalCheck();

  NodeId leader() const { return nodes_[leader_]->id(); }
  const ReplicationStats& stats() const { return stats_; }

 private:
  void Schedule(TimerId* timer, Millis delay_ms, std::function<void()> fn);
  void CrashLeader();
  void TryPromote();
  void LeaderReturns();
  void CrashFollower();
  void Partition();
  void Sample();
  std::optional<ReplicaSnapshot> Snapshot(size_t index);
  // Runs `request` on node `index`'s broker until answered (the clock runs).
  std::optional<ApiResponse> Call(size_t index, ApiRequest request, Millis limit_ms);
  std::vector<Record> ReadAll(size_t index, const std::string& topic, int32_t partition,
                              Offset end);
  void FollowLeader(size_t index);  // config of node `index`: follow the current leader
  void Restart(size_t index, const char* why);
  void Note(const std::string& text);

  SimClock& clock_;
  SimNetwork& network_;
  Trace& trace_;
  Oracle& oracle_;
  ReplicationOptions options_;
  std::vector<SimNode*> nodes_;
  Rng rng_;
  ReplicationChecker checker_;
  std::vector<SimProducer*> producers_;
  std::vector<SimReader*> readers_;
  size_t leader_ = 0;
  bool running_ = false;
  // A failover in progress: the leader is down.
  bool leader_down_ = false;
  size_t old_leader_ = 0;
  Millis crashed_at_ms_ = -1;
  uint64_t acks_at_promotion_ = 0;
  bool awaiting_recovery_ = false;
  TimerId leader_crash_timer_ = kNoTimer, promote_timer_ = kNoTimer, return_timer_ = kNoTimer;
  TimerId follower_crash_timer_ = kNoTimer, partition_timer_ = kNoTimer;
  TimerId sample_timer_ = kNoTimer, heal_timer_ = kNoTimer;
  std::vector<TimerId> restart_timers_;  // per node
  ReplicationStats stats_;
};

}  // namespace gafka::sim
