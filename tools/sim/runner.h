// Runs one seed of a scenario and formats what gafka-sim prints about it.
// The wall clock is read here (tools may), never inside runtime-sim.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "runtime-sim/scenario.h"
#include "runtime-sim/simulation.h"

namespace gafka::sim_tool {

struct Invocation {
  std::string program;        // argv[0], for the replay command
  std::string scenario_path;  // as given on the command line
  std::string seed_text;      // as given (a commit hash stays a commit hash)
};

// The exact command that replays a seed.
std::string ReplayCommand(const Invocation& invocation);

struct SeedOutcome {
  bool passed = false;
  uint64_t trace_hash = 0;
  Millis sim_ms = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;
  std::string report;  // human-readable, multi-line
};

struct RunFlags {
  bool trace = false;              // echo every trace entry to stdout
  bool broker_log = false;         // echo broker log lines to stderr
  bool check_determinism = false;  // run twice, compare hashes
  bool verbose = false;            // print the drawn options
  size_t tail_lines = 40;
};

// Runs `seed` (twice with check_determinism) and returns the outcome with
// a report: PASS/FAIL line, and on failure the violation, the trace tail and
// the replay command.
SeedOutcome RunSeed(const sim::Scenario& scenario, uint64_t seed, const Invocation& invocation,
                    const RunFlags& flags);

}  // namespace gafka::sim_tool
