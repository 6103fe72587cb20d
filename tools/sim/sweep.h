// gafka-sim sweep: runs many seeds, each in its own child process (so a
// CHECK failure or a hang in one seed is reported as that seed's failure,
// with its replay command, and never takes the sweep down), up to `jobs` at
// a time. Prints one line per seed in seed order, the full report of every
// failure, and a summary with counts and seeds per minute.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime-sim/scenario.h"
#include "tools/sim/runner.h"

namespace gafka::sim_tool {

struct SweepConfig {
  std::string program;
  std::string scenario_path;
  std::vector<uint64_t> seeds;
  std::string shard_text;  // for the summary ("0/1" when not sharded)
  int jobs = 1;
  double seed_timeout_seconds = 300;
  RunFlags flags;
};

// Returns the process exit code: 0 when every seed passed, 1 otherwise.
int Sweep(const sim::Scenario& scenario, const SweepConfig& config);

}  // namespace gafka::sim_tool
