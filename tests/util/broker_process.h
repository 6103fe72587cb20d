// Test helpers that run the real executables (build/bin/gafka-*) on
// 127.0.0.1, every wait bounded by a deadline:
//
// - BrokerProcess: fork/exec gafka-broker on a fresh temporary data
//   directory and a free loopback port; readiness = its "listening on" line
//   plus a 200 from /healthz; Kill (SIGKILL), Terminate (SIGTERM + exit
//   code), Restart on the same directory and port.
// - RunTool: run a CLI tool with stdin, capture stdout/stderr and the exit
//   code, killed at a deadline.
//
// Children die with the test process (PR_SET_PDEATHSIG), so a crashed test
// leaves no broker behind. Not thread-safe per object; separate objects may
// be used from separate threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"

namespace gafka::testing {

// Path of build/bin/gafka-<name>.
std::string ToolPath(const std::string& name);

// A fresh directory under $TMPDIR (or /tmp), removed on destruction unless
// GAFKA_KEEP_TEST_DIRS is set in the environment.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct ProcessResult {
  int exit_code = -1;      // the exit status; 128+N when killed by signal N
  bool timed_out = false;  // killed at the deadline
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] a path) with `stdin_data` on its stdin; kills it with
// SIGKILL at `timeout_ms`.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data = "",
                         Millis timeout_ms = 30'000);

// RunProcess of build/bin/gafka-<tool>.
ProcessResult RunTool(const std::string& tool, const std::vector<std::string>& args,
                      const std::string& stdin_data = "", Millis timeout_ms = 30'000);

struct BrokerOptions {
  int id = 1;
  std::string data_dir;                 // empty: a fresh TempDir owned by the BrokerProcess
  std::vector<std::string> extra_args;  // appended to the command line
  Millis ready_timeout_ms = 20'000;
  bool echo_output = false;  // also copy the broker's output to our stderr
};

class BrokerProcess {
 public:
  // Starts a broker and waits until it serves /healthz.
  static Result<std::unique_ptr<BrokerProcess>> Start(BrokerOptions options = {});
  ~BrokerProcess();  // SIGKILL if still running
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // SIGKILL and reap: a crash, no chance to sync or clean up.
  void Kill();
  // SIGTERM and wait for the exit; the exit code, or kTimeout (then killed).
  Result<int> Terminate(Millis timeout_ms = 20'000);
  // Starts again on the same data directory and port; waits until ready.
  Status Restart();

  // Everything the broker wrote to stdout and stderr so far (all runs).
  std::string Output() const;

 private:
  explicit BrokerProcess(BrokerOptions options);
  using SteadyTime = std::chrono::steady_clock::time_point;
  Status Launch(int port);
  void Spawn(int port);
  void Drain(int fd);
  Status WaitForListening(size_t run_start, SteadyTime deadline);
  Status WaitForHealth(SteadyTime deadline);
  Result<int> WaitExit(Millis timeout_ms);
  void StopDrain();

  BrokerOptions options_;
  std::unique_ptr<TempDir> owned_dir_;
  std::string data_dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int output_fd_ = -1;
  std::thread drain_;
  mutable std::mutex mu_;
  std::condition_variable output_cv_;
  std::string output_;       // guarded by mu_
  bool output_eof_ = false;  // guarded by mu_
};

}  // namespace gafka::testing
