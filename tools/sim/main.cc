// gafka-sim: runs the deterministic simulator (docs/simulation.md).
//
//   gafka-sim run    --scenario scenarios/X.json --seed N [--trace] [--check-determinism]
//   gafka-sim replay --scenario scenarios/X.json --seed N        (run with --trace)
//   gafka-sim sweep  --scenario scenarios/X.json --seeds A..B [--jobs J] [--shard i/n]
//                    [--check-determinism]
//
// A seed is any 64-bit number (decimal or 0x-hex) or a 40-hex git commit.
// Exit status: 0 all passed, 1 a seed failed, 2 bad usage.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "runtime-sim/scenario.h"
#include "tools/sim/runner.h"
#include "tools/sim/seeds.h"
#include "tools/sim/sweep.h"

namespace {

using gafka::sim::Scenario;
namespace tool = gafka::sim_tool;

bool LoadScenario(const std::string& path, Scenario* out) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "gafka-sim: cannot read scenario %s\n", path.c_str());
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = Scenario::Parse(text.str());
  if (!parsed.ok()) {
    std::fprintf(stderr, "gafka-sim: %s: %s\n", path.c_str(), parsed.status().ToString().c_str());
    return false;
  }
  *out = std::move(parsed).value();
  return true;
}

int Run(const std::string& program, const std::string& scenario_path, const std::string& seed_text,
        tool::RunFlags flags) {
  Scenario scenario;
  if (!LoadScenario(scenario_path, &scenario)) return 2;
  const auto seed = tool::ParseSeed(seed_text);
  if (!seed) {
    std::fprintf(stderr, "gafka-sim: bad seed '%s' (a 64-bit number or a 40-hex commit)\n",
                 seed_text.c_str());
    return 2;
  }
  const tool::Invocation invocation{program, scenario_path, seed_text};
  std::printf("scenario %s: %s\n", scenario.name.c_str(), scenario.description.c_str());
  std::printf("seed %s (%llu)\n", seed_text.c_str(), static_cast<unsigned long long>(*seed));
  std::printf("replay: %s\n", tool::ReplayCommand(invocation).c_str());
  auto options = gafka::sim::DrawOptions(scenario, *seed);
  if (options.ok()) std::printf("options: %s\n", options->drawn.dump().c_str());
  std::fflush(stdout);  // a CHECK abort or a hang below still leaves the header
  const tool::SeedOutcome outcome = tool::RunSeed(scenario, *seed, invocation, flags);
  std::printf("%s", outcome.report.c_str());
  const double sim_seconds = static_cast<double>(outcome.sim_ms) / 1000.0;
  const double speed_wall = outcome.wall_seconds > 0 ? sim_seconds / outcome.wall_seconds : 0;
  const double speed_cpu = outcome.cpu_seconds > 0 ? sim_seconds / outcome.cpu_seconds : 0;
  const double per_core = outcome.cpu_seconds > 0 ? 60.0 / outcome.cpu_seconds : 0;
  std::printf(
      "speed: %.0f simulated seconds per wall second, %.0f per CPU second; "
      "%.1f seeds/min per core\n",
      speed_wall, speed_cpu, per_core);
  char hash[24];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(outcome.trace_hash));
  // The very last line: one JSON object (tools print their figures so).
  const nlohmann::json figures = {
      {"tool", "gafka-sim"},
      {"mode", flags.check_determinism ? "run-check-determinism" : "run"},
      {"scenario", scenario.name},
      {"seed", seed_text},
      {"passed", outcome.passed},
      {"trace_hash", hash},
      {"simulated_seconds", sim_seconds},
      {"wall_seconds", outcome.wall_seconds},
      {"cpu_seconds", outcome.cpu_seconds},
      {"sim_seconds_per_wall_second", speed_wall},
      {"sim_seconds_per_cpu_second", speed_cpu},
      {"seeds_per_minute_per_core", per_core},
  };
  std::printf("%s\n", figures.dump().c_str());
  return outcome.passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // A run allocates and frees a lot of short-lived memory; glibc's default of
  // trimming the heap and mmap-ing large blocks made the kernel zero-fill the
  // same pages again and again (~5% of a steady-load run in page faults).
  // Keep freed memory in the process instead. No effect on what is simulated.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  CLI::App app{"gafka-sim: the deterministic simulator (docs/simulation.md)"};
  app.require_subcommand(1);
  const std::string program = argv[0];

  std::string scenario_path, seed_text, seeds_text, shard_text = "0/1";
  tool::RunFlags flags;
  int jobs = 1;
  double seed_timeout = 300;

  auto add_run_options = [&](CLI::App* cmd) {
    cmd->add_option("--scenario", scenario_path, "scenario JSON file")->required();
    cmd->add_option("--seed", seed_text, "64-bit seed or 40-hex commit")->required();
    cmd->add_flag("--check-determinism", flags.check_determinism,
                  "run twice and compare the trace hashes");
    cmd->add_flag("--log", flags.broker_log, "echo the broker's log lines to stderr");
    cmd->add_option("--tail", flags.tail_lines, "trace entries shown on failure");
  };
  CLI::App* run = app.add_subcommand("run", "run one seed");
  add_run_options(run);
  run->add_flag("--trace", flags.trace, "print every trace event");
  CLI::App* replay = app.add_subcommand("replay", "run one seed with --trace");
  add_run_options(replay);

  CLI::App* sweep = app.add_subcommand("sweep", "run a range of seeds");
  sweep->add_option("--scenario", scenario_path, "scenario JSON file")->required();
  sweep->add_option("--seeds", seeds_text, "A..B (inclusive) or one seed")->required();
  sweep->add_option("--jobs,-j", jobs, "seeds run in parallel (processes)")
      ->check(CLI::Range(1, 256));
  sweep->add_option("--shard", shard_text,
                    "i/n: run every n-th seed starting at the i-th (0-based)");
  sweep->add_option("--seed-timeout", seed_timeout, "wall seconds before a seed is killed");
  sweep->add_flag("--check-determinism", flags.check_determinism,
                  "run every seed twice and compare the trace hashes");
  sweep->add_option("--tail", flags.tail_lines, "trace entries shown per failure");

  CLI11_PARSE(app, argc, argv);

  if (run->parsed()) return Run(program, scenario_path, seed_text, flags);
  if (replay->parsed()) {
    flags.trace = true;
    return Run(program, scenario_path, seed_text, flags);
  }
  Scenario scenario;
  if (!LoadScenario(scenario_path, &scenario)) return 2;
  const auto range = tool::ParseSeedRange(seeds_text);
  const auto shard = tool::ParseShard(shard_text);
  if (!range || !shard) {
    std::fprintf(stderr, "gafka-sim: bad --seeds '%s' or --shard '%s'\n", seeds_text.c_str(),
                 shard_text.c_str());
    return 2;
  }
  tool::SweepConfig config;
  config.program = program;
  config.scenario_path = scenario_path;
  config.seeds = tool::SeedsOf(*range, *shard);
  config.shard_text = shard_text;
  config.jobs = jobs;
  config.seed_timeout_seconds = seed_timeout;
  config.flags = flags;
  return tool::Sweep(scenario, config);
}
