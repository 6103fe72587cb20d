#include "tools/sim/sweep.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

namespace gafka::sim_tool {
namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  int fd = -1;
  size_t index = 0;
  Clock::time_point started;
  std::string output;
  bool killed = false;
};

struct Done {
  bool passed = false;
  double sim_seconds = 0;
  double cpu_seconds = 0;
  double wall_seconds = 0;  // the seed's own run (not the sweep's)
  std::string report;
};

void WriteAll(int fd, const std::string& text) {
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<size_t>(n);
  }
}

// In the child: run the seed, write "#R passed sim_ms cpu_ms wall_ms\n" + report, exit.
[[noreturn]] void RunChild(const sim::Scenario& scenario, const SweepConfig& config, uint64_t seed,
                           int fd) {
  dup2(fd, STDOUT_FILENO);
  dup2(fd, STDERR_FILENO);
  Invocation invocation{config.program, config.scenario_path, std::to_string(seed)};
  RunFlags flags = config.flags;
  flags.trace = false;
  const SeedOutcome outcome = RunSeed(scenario, seed, invocation, flags);
  std::fflush(stdout);
  std::fflush(stderr);
  WriteAll(fd, "#R " + std::string(outcome.passed ? "1 " : "0 ") + std::to_string(outcome.sim_ms) +
                   " " + std::to_string(static_cast<int64_t>(outcome.cpu_seconds * 1000)) + " " +
                   std::to_string(static_cast<int64_t>(outcome.wall_seconds * 1000)) + "\n" +
                   outcome.report);
  _exit(outcome.passed ? 0 : 1);
}

Done Interpret(const Child& child, int status, const SweepConfig& config, uint64_t seed) {
  Done done;
  const std::string& out = child.output;
  int passed = 0;
  long long sim_ms = 0, cpu_ms = 0, wall_ms = 0;
  if (WIFEXITED(status) &&
      std::sscanf(out.c_str(), "#R %d %lld %lld %lld", &passed, &sim_ms, &cpu_ms, &wall_ms) == 4) {
    const size_t newline = out.find('\n');
    done.passed = passed == 1 && WEXITSTATUS(status) == 0;
    done.sim_seconds = static_cast<double>(sim_ms) / 1000.0;
    done.cpu_seconds = static_cast<double>(cpu_ms) / 1000.0;
    done.wall_seconds = static_cast<double>(wall_ms) / 1000.0;
    done.report = newline == std::string::npos ? "" : out.substr(newline + 1);
    return done;
  }
  // Died: a CHECK (abort), a crash, or our timeout. Keep what it printed.
  std::string why =
      child.killed
          ? "timed out after " + std::to_string(static_cast<int>(config.seed_timeout_seconds)) +
                " s (killed)"
      : WIFSIGNALED(status) ? "died of signal " + std::to_string(WTERMSIG(status)) + " (" +
                                  strsignal(WTERMSIG(status)) + ")"
                            : "exited " + std::to_string(WEXITSTATUS(status)) + " without a result";
  done.report = "FAIL seed=" + std::to_string(seed) + " " + why + "\n";
  std::string tail = out.size() > 4000 ? out.substr(out.size() - 4000) : out;
  if (!tail.empty()) done.report += "  output:\n" + tail + (tail.back() == '\n' ? "" : "\n");
  done.report +=
      "  replay: " +
      ReplayCommand(Invocation{config.program, config.scenario_path, std::to_string(seed)}) + "\n";
  return done;
}

std::optional<Child> Spawn(const sim::Scenario& scenario, const SweepConfig& config, size_t index) {
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    close(fds[0]);
    RunChild(scenario, config, config.seeds[index], fds[1]);
  }
  close(fds[1]);
  Child child;
  child.pid = pid;
  child.fd = fds[0];
  child.index = index;
  child.started = Clock::now();
  return child;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace

int Sweep(const sim::Scenario& scenario, const SweepConfig& config) {
  const auto start = Clock::now();
  std::vector<Child> running;
  std::map<size_t, Done> finished;  // waiting to be printed in seed order
  size_t next_spawn = 0, next_print = 0, passed = 0;
  double sim_seconds = 0, cpu_seconds = 0, seed_wall_seconds = 0;
  std::vector<uint64_t> failed_seeds;
  std::printf("sweep %s: %zu seeds (shard %s), %d jobs\n", scenario.name.c_str(),
              config.seeds.size(), config.shard_text.c_str(), config.jobs);
  while (next_print < config.seeds.size()) {
    while (static_cast<int>(running.size()) < config.jobs && next_spawn < config.seeds.size()) {
      std::optional<Child> child = Spawn(scenario, config, next_spawn);
      if (!child) {
        std::fprintf(stderr, "gafka-sim: fork failed: %s\n", std::strerror(errno));
        return 2;
      }
      running.push_back(std::move(*child));
      ++next_spawn;
    }
    std::vector<pollfd> fds;
    fds.reserve(running.size());
    for (const Child& c : running) fds.push_back(pollfd{c.fd, POLLIN, 0});
    poll(fds.data(), fds.size(), 1000);
    for (size_t i = running.size(); i-- > 0;) {
      Child& c = running[i];
      const double age = std::chrono::duration<double>(Clock::now() - c.started).count();
      if (!c.killed && age > config.seed_timeout_seconds) {
        kill(c.pid, SIGKILL);
        c.killed = true;
      }
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[65536];
      const ssize_t n = read(c.fd, buf, sizeof(buf));
      if (n > 0) {
        c.output.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      close(c.fd);
      int status = 0;
      waitpid(c.pid, &status, 0);
      finished[c.index] = Interpret(c, status, config, config.seeds[c.index]);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
    while (finished.count(next_print)) {
      Done& done = finished[next_print];
      sim_seconds += done.sim_seconds;
      cpu_seconds += done.cpu_seconds;
      seed_wall_seconds += done.wall_seconds;
      if (done.passed) {
        ++passed;
        const size_t newline = done.report.find('\n');
        std::printf("%s\n", done.report.substr(0, newline).c_str());
      } else {
        failed_seeds.push_back(config.seeds[next_print]);
        std::printf("%s", done.report.c_str());
      }
      std::fflush(stdout);
      finished.erase(next_print);
      ++next_print;
    }
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const size_t total = config.seeds.size();
  const double per_minute = wall > 0 ? static_cast<double>(total) * 60.0 / wall : 0;
  const double per_cpu_minute = cpu_seconds > 0 ? static_cast<double>(total) * 60 / cpu_seconds : 0;
  // Speed: simulated seconds per second of one seed's own run (wall) and of
  // its CPU time; on an idle machine the two agree, on a loaded one the CPU
  // figure is what a seed costs.
  const double speed_wall = seed_wall_seconds > 0 ? sim_seconds / seed_wall_seconds : 0;
  const double speed_cpu = cpu_seconds > 0 ? sim_seconds / cpu_seconds : 0;
  std::printf(
      "summary %s: %zu seeds, %zu passed, %zu failed; wall %ss with %d jobs: %s seeds/min; "
      "cpu %ss: %s seeds/min per core; simulated %ss: %sx per core\n",
      scenario.name.c_str(), total, passed, failed_seeds.size(), Fixed(wall, 1).c_str(),
      config.jobs, Fixed(per_minute, 1).c_str(), Fixed(cpu_seconds, 1).c_str(),
      Fixed(per_cpu_minute, 1).c_str(), Fixed(sim_seconds, 0).c_str(), Fixed(speed_cpu, 0).c_str());
  std::printf(
      "speed %s: %s simulated seconds per wall second (per seed process), %s per CPU "
      "second; %s seeds/min per core\n",
      scenario.name.c_str(), Fixed(speed_wall, 0).c_str(), Fixed(speed_cpu, 0).c_str(),
      Fixed(per_cpu_minute, 1).c_str());
  if (!failed_seeds.empty()) {
    std::printf("failed seeds:");
    for (uint64_t seed : failed_seeds) std::printf(" %" PRIu64, seed);
    std::printf("\n");
  }
  // The very last line: one JSON object (tools print their figures so).
  nlohmann::json figures = {
      {"tool", "gafka-sim"},
      {"mode", config.flags.check_determinism ? "sweep-check-determinism" : "sweep"},
      {"scenario", scenario.name},
      {"shard", config.shard_text},
      {"seeds", total},
      {"passed", passed},
      {"failed", failed_seeds.size()},
      {"failed_seeds", failed_seeds},
      {"jobs", config.jobs},
      {"wall_seconds", wall},
      {"seeds_per_minute", per_minute},
      {"cpu_seconds", cpu_seconds},
      {"seeds_per_minute_per_core", per_cpu_minute},
      {"simulated_seconds", sim_seconds},
      {"sim_seconds_per_wall_second", speed_wall},
      {"sim_seconds_per_cpu_second", speed_cpu},
  };
  std::printf("%s\n", figures.dump().c_str());
  std::fflush(stdout);
  return failed_seeds.empty() ? 0 : 1;
}

}  // namespace gafka::sim_tool
