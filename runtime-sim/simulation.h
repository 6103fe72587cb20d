// Simulation: one run of one (scenario, seed) — a pure function of them.
//
// Phases (docs/simulation.md):
//   setup   start the nodes, create the topic (no faults);
//   chaos   producers and readers run while the FaultInjector breaks things,
//           for options.duration_ms of simulated time;
//   drain   faults stop: the network heals, disk faults end, crashed nodes
//           restart, nodes whose disk failed are restarted (the operator's
//           repair); producers stop generating, send one probe each, and
//           must get every outstanding message acked (liveness: progress in
//           every options.drain_ms window, done within kDrainWindowsMax
//           windows); readers keep reading meanwhile;
//   audit   a fresh reader reads every partition from offset 0 to its high
//           watermark (same liveness rule); the oracle's final checks run on
//           what it read: every acked record is there, identical.
// The run stops at the first violation.
//
// Single-threaded. Owns everything it simulates; nothing in here reads a
// real clock, so wall time is measured by the caller (gafka-sim).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime-sim/fault_injector.h"
#include "runtime-sim/oracle.h"
#include "runtime-sim/replication_operator.h"
#include "runtime-sim/scenario.h"
#include "runtime-sim/sim_clients.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_group_members.h"
#include "runtime-sim/sim_network.h"
#include "runtime-sim/sim_node.h"
#include "runtime-sim/trace.h"

namespace gafka::sim {

struct RunSettings {
  std::FILE* trace_echo = nullptr;  // print every trace entry (gafka-sim run --trace)
  bool echo_broker_log = false;
  size_t tail_lines = 40;  // trace tail kept for a failure report
};

struct RunResult {
  bool passed = false;
  std::optional<Violation> violation;
  uint64_t trace_hash = 0;
  uint64_t trace_events = 0;
  uint64_t sim_events = 0;  // SimClock events run
  Millis sim_ms = 0;        // simulated time at the end
  std::vector<std::string> trace_tail;
  // What happened, for the summary line.
  uint64_t messages_sent = 0, acks = 0, records_read = 0;
  uint64_t crashes = 0, restarts = 0, partitions = 0, pauses = 0;
  uint64_t packets = 0, packets_dropped = 0;
  uint64_t packets_typed = 0;  // of `packets`: codec-free (the rest carry HTTP/JSON or replication)
  uint64_t torn_tails = 0, dropped_tails = 0, sync_failures = 0, lying_syncs = 0;
  uint64_t buggify_fired = 0;
  std::optional<ReplicationStats> replication;  // replication scenarios
  std::string group_summary;  // SimGroup::Summary(), when the scenario has a group
  std::string Summary() const;  // one line of counts
};

class Simulation {
 public:
  explicit Simulation(SimOptions options, RunSettings settings = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  RunResult Run();

  // For tests.
  SimClock& clock() { return clock_; }
  Oracle& oracle() { return oracle_; }

 private:
  static constexpr int32_t kAdminId = 900;
  static constexpr int32_t kProducerBase = 1000;
  static constexpr int32_t kReaderBase = 2000;
  static constexpr int32_t kAuditorId = 3000;
  static constexpr int kDrainWindowsMax = 10;

  void Setup();
  void Chaos();
  void Drain();
  void Audit();
  // Runs events until `done()` or the simulated deadline passes (false), or a
  // violation or the event budget ends the run.
  bool RunUntil(Millis deadline_ms, const std::function<bool()>& done);
  // Runs until `done()`; fails invariant 5 (named `what`) when a drain_ms
  // window passes without progress or kDrainWindowsMax windows pass.
  void RunWithProgress(const char* what, const std::function<bool()>& done);
  void RestartAll();
  std::string PendingReport() const;
  void Finish(RunResult* result);
  NodeId Leader() const { return replication_ ? replication_->leader() : nodes_[0]->id(); }
  void ReplicationFinalCheck();

  SimOptions options_;
  RunSettings settings_;
  // Declaration order is destruction order in reverse: everything that
  // schedules on the clock is destroyed before it.
  SimClock clock_;
  Trace trace_;
  Oracle oracle_;
  SimNetwork network_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<std::unique_ptr<SimProducer>> producers_;
  std::vector<std::unique_ptr<SimReader>> readers_;
  std::unique_ptr<SimReader> auditor_;
  std::unique_ptr<SimAdmin> admin_;
  std::unique_ptr<SimGroup> group_;  // consumer-group members (scenario "groups")
  std::unique_ptr<FaultInjector> injector_;
  std::unique_ptr<ReplicationOperator> replication_;  // replication scenarios
  bool budget_exhausted_ = false;
};

}  // namespace gafka::sim
