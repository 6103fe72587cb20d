// Helpers shared by the gafka-bench subcommands: the registration signature,
// a scratch working directory, wall-time measurement, latency percentiles,
// and the closing JSON line.
//
// Output contract of every subcommand: readable figures first, and as the
// very last line of stdout one JSON object (scripts read it with `tail -1`).
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gafka::bench {

// One per benchmark file: adds its subcommand to `app`; when that subcommand
// is chosen, runs it and stores the process exit status in *exit_code.
using RegisterFn = void (*)(CLI::App& app, int* exit_code);

// A fresh directory `<parent>/<prefix>-XXXXXX` (parent created if missing),
// removed with everything in it on destruction unless keep() was called.
class WorkDir {
 public:
  WorkDir(const std::string& parent, const std::string& prefix);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::string path_;
  std::string error_;
  bool keep_ = false;
};

// Microseconds on the steady clock (finer than Clock::NowMs for latencies).
inline int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The p-th percentile (0..100) of `values`, nearest-rank; 0 when empty.
// Sorts `values` in place.
double Percentile(std::vector<double>& values, double p);

// Rounds to `digits` decimals, so the JSON line stays readable.
double Round(double value, int digits);

// Prints `result` as one line on stdout and flushes: the last line of a run.
void PrintJsonLine(const nlohmann::json& result);

// The gafka-broker next to this executable (build/bin/), for benches that
// start brokers; "gafka-broker" (found on PATH) if /proc/self/exe is unreadable.
std::string SiblingBrokerPath();

}  // namespace gafka::bench
