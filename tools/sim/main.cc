// gafka-sim: runs the deterministic simulator (docs/simulation.md).
//
//   gafka-sim run    --scenario scenarios/X.json --seed N [--trace] [--check-determinism]
//   gafka-sim replay --scenario scenarios/X.json --seed N        (run with --trace)
//   gafka-sim sweep  --scenario scenarios/X.json --seeds A..B [--jobs J] [--shard i/n]
//                    [--check-determinism]
//
// A seed is any 64-bit number (decimal or 0x-hex) or a 40-hex git commit.
// Exit status: 0 all passed, 1 a seed failed, 2 bad usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
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
  return outcome.passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
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
