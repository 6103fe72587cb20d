#include "tools/sim/runner.h"

#include <chrono>
#include <cinttypes>
#include <ctime>

namespace gafka::sim_tool {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

struct Timed {
  sim::RunResult result;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // this process's CPU time: the speed without other load
};

Timed RunOnce(const sim::SimOptions& options, const RunFlags& flags) {
  sim::RunSettings settings;
  settings.trace_echo = flags.trace ? stdout : nullptr;
  settings.echo_broker_log = flags.broker_log;
  settings.tail_lines = flags.tail_lines;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  sim::Simulation simulation(options, settings);
  Timed timed;
  timed.result = simulation.Run();
  timed.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  timed.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return timed;
}

}  // namespace

std::string ReplayCommand(const Invocation& invocation) {
  return invocation.program + " run --scenario " + invocation.scenario_path + " --seed " +
         invocation.seed_text + " --trace";
}

SeedOutcome RunSeed(const sim::Scenario& scenario, uint64_t seed, const Invocation& invocation,
                    const RunFlags& flags) {
  SeedOutcome outcome;
  auto drawn = sim::DrawOptions(scenario, seed);
  if (!drawn.ok()) {
    outcome.report =
        "FAIL seed=" + invocation.seed_text + " bad scenario: " + drawn.status().ToString() + "\n";
    return outcome;
  }
  const sim::SimOptions& options = drawn.value();
  if (flags.verbose) outcome.report += "options: " + options.drawn.dump() + "\n";
  Timed first = RunOnce(options, flags);
  std::string nondeterminism;
  if (flags.check_determinism) {
    RunFlags quiet = flags;
    quiet.trace = false;
    Timed second = RunOnce(options, quiet);
    if (second.result.trace_hash != first.result.trace_hash ||
        second.result.sim_events != first.result.sim_events) {
      nondeterminism = "NONDETERMINISTIC: trace hash " + Hex(first.result.trace_hash) + " (" +
                       std::to_string(first.result.sim_events) + " events) then " +
                       Hex(second.result.trace_hash) + " (" +
                       std::to_string(second.result.sim_events) + " events)";
    }
  }
  const sim::RunResult& r = first.result;
  outcome.passed = r.passed && nondeterminism.empty();
  outcome.trace_hash = r.trace_hash;
  outcome.sim_ms = r.sim_ms;
  outcome.wall_seconds = first.wall_seconds;
  outcome.cpu_seconds = first.cpu_seconds;
  const double speed = first.wall_seconds > 0 ? (r.sim_ms / 1000.0) / first.wall_seconds : 0;
  const double cpu_speed = first.cpu_seconds > 0 ? (r.sim_ms / 1000.0) / first.cpu_seconds : 0;
  std::string line =
      std::string(outcome.passed ? "PASS" : "FAIL") + " seed=" + invocation.seed_text +
      " hash=" + Hex(r.trace_hash) + " sim=" + Fixed(r.sim_ms / 1000.0, 1) +
      "s wall=" + Fixed(first.wall_seconds, 2) + "s cpu=" + Fixed(first.cpu_seconds, 2) +
      "s speed=" + Fixed(speed, 0) + "x cpu_speed=" + Fixed(cpu_speed, 0) +
      "x events=" + std::to_string(r.sim_events) + " " + r.Summary() +
      (options.canary ? " CANARY" : "");
  outcome.report += line + "\n";
  if (!nondeterminism.empty()) outcome.report += "  " + nondeterminism + "\n";
  if (r.violation) {
    outcome.report += "  violated: " + r.violation->ToString() + "\n";
    outcome.report += "  trace tail (last " + std::to_string(r.trace_tail.size()) + " events):\n";
    for (const std::string& entry : r.trace_tail) outcome.report += "    " + entry + "\n";
  }
  if (!outcome.passed) outcome.report += "  replay: " + ReplayCommand(invocation) + "\n";
  return outcome;
}

}  // namespace gafka::sim_tool
