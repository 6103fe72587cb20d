#include "tools/bench/restart_bench.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "runtime-real/client.h"
#include "runtime-real/loopback_port.h"
#include "tools/bench/bench_util.h"
#include "tools/bench/produce_bench.h"

namespace gafka::bench {
namespace {

struct Options {
  double gib = 1.0;
  std::string dir = "/tmp/gafka-bench";
  std::string broker_bin;  // default: gafka-broker next to this executable
  std::string topic = "restart-bench";
  int partitions = 2;
  int connections = 4;
  int batch = 500;
  int size = 1024;
  double ready_timeout_s = 30;
  bool cold = false;
  bool keep = false;
};

// fork/exec of the broker; its stdout and stderr go to `log_path`.
pid_t StartBroker(const Options& options, const std::string& data_dir, int port,
                  const std::string& log_path) {
  const std::vector<std::string> args = {
      options.broker_bin, "--port", std::to_string(port), "--data-dir", data_dir,
      "--log-level",      "info"};
  std::fflush(stdout);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the benchmark
  if (::getppid() != parent) ::_exit(127);
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  std::fprintf(stderr, "restart: exec %s: %s\n", argv[0], std::strerror(errno));
  ::_exit(127);
}

// True once the broker answers 200 on /healthz; false at the deadline or
// when the process died. Polls every millisecond (the figure's resolution).
bool WaitHealthy(const std::string& address, pid_t pid, int64_t deadline_us) {
  ClientOptions quick;
  quick.connect_timeout_ms = 200;
  quick.request_timeout_ms = 2'000;
  while (NowUs() < deadline_us) {
    Client client(address, quick);
    auto answer = client.Call("GET", "/healthz");
    if (answer.ok() && answer->status == 200) return true;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Stops a broker: SIGTERM, then SIGKILL if it has not exited in 20 s.
void StopBroker(pid_t pid) {
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 2000; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// Writes back and drops every file under `dir` from the page cache, so the
// restart reads from the device (what a reboot would leave).
void EvictFromPageCache(const std::string& dir) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

std::string BatchBody(const Options& options, int thread) {
  std::string value(static_cast<size_t>(options.size), 'a');
  for (size_t j = 0; j < value.size(); j += 64)
    value[j] = static_cast<char>('a' + (thread + j) % 26);
  std::string body = "{\"topic\":\"" + options.topic + "\",\"messages\":[";
  for (int i = 0; i < options.batch; ++i) {
    if (i > 0) body += ',';
    body += "{\"value\":\"" + value + "\"}";
  }
  return body + "]}";
}

// What the producers had acknowledged when the broker was killed.
struct Acked {
  std::mutex mu;
  std::vector<int64_t> last_offset;  // per partition; -1: none
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> messages{0};
  std::string first_error;
};

// Sends batches (acks=1) until `stop`; records every acknowledged offset.
void Produce(const Options& options, const std::string& address, int thread,
             const std::atomic<bool>& stop, Acked* acked) {
  Client client(address);
  const std::string body = BatchBody(options, thread);
  while (!stop.load()) {
    auto answer = client.Call("POST", "/api/v1/produce?acks=1", body);
    if (!answer.ok() || answer->status != 200) {
      std::lock_guard<std::mutex> lock(acked->mu);
      if (!stop.load() && acked->first_error.empty()) {
        acked->first_error = answer.ok() ? answer->body.substr(0, 200) : answer.status().ToString();
      }
      return;
    }
    const auto json = nlohmann::json::parse(answer->body, nullptr, false);
    if (json.is_discarded() || !json.contains("offsets")) return;
    std::vector<int64_t> last(static_cast<size_t>(options.partitions), -1);
    uint64_t ok = 0;
    for (const auto& result : json["offsets"]) {
      if (!result.contains("offset")) continue;
      const auto p = result["partition"].get<size_t>();
      if (p < last.size()) last[p] = std::max(last[p], result["offset"].get<int64_t>());
      ++ok;
    }
    acked->messages += ok;
    acked->bytes += ok * static_cast<uint64_t>(options.size);
    std::lock_guard<std::mutex> lock(acked->mu);
    for (size_t p = 0; p < last.size(); ++p) {
      acked->last_offset[p] = std::max(acked->last_offset[p], last[p]);
    }
  }
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "restart: %s\n", message.c_str());
  return 1;
}

int Run(Options options) {
  if (options.gib <= 0 || options.partitions < 1 || options.connections < 1 || options.batch < 1 ||
      options.size < 1) {
    std::fprintf(stderr, "restart: bad options\n");
    return 2;
  }
  if (options.broker_bin.empty()) options.broker_bin = SiblingBrokerPath();
  WorkDir work(options.dir, "restart");
  if (!work.ok()) return Fail(work.error());
  if (options.keep) work.keep();
  const std::string data_dir = work.path() + "/data";
  const std::string log_path = work.path() + "/broker.log";
  // The broker binds it with SO_REUSEADDR, so the restart gets it back
  // despite connections left in TIME_WAIT.
  const int port = real::UnusedLoopbackPort();
  if (port <= 0) return Fail("no free port");
  const std::string address = "127.0.0.1:" + std::to_string(port);
  const auto target = static_cast<uint64_t>(options.gib * static_cast<double>(1ull << 30));

  // 1. Fill a running broker through the produce API.
  pid_t pid = StartBroker(options, data_dir, port, log_path);
  if (pid < 0) return Fail("fork failed");
  const auto ready_us = static_cast<int64_t>(options.ready_timeout_s * 1e6);
  if (!WaitHealthy(address, pid, NowUs() + ready_us)) {
    StopBroker(pid);
    return Fail("the broker did not become healthy; see " + log_path);
  }
  {
    Client admin(address);
    if (Status s = EnsureTopic(admin, options.topic, options.partitions); !s.ok()) {
      StopBroker(pid);
      return Fail(s.ToString());
    }
  }
  std::printf(
      "restart: filling %s with %.2f GiB (%d partitions, %d connections, batch %d x %d B)\n",
      data_dir.c_str(), options.gib, options.partitions, options.connections, options.batch,
      options.size);
  std::fflush(stdout);
  Acked acked;
  acked.last_offset.assign(static_cast<size_t>(options.partitions), -1);
  std::atomic<bool> stop{false};
  std::vector<std::thread> producers;
  const int64_t fill_start_us = NowUs();
  for (int i = 0; i < options.connections; ++i) {
    producers.emplace_back(Produce, std::cref(options), std::cref(address), i, std::cref(stop),
                           &acked);
  }
  while (acked.bytes.load() < target) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      stop.store(true);
      for (auto& t : producers) t.join();
      return Fail("the broker died while being filled; see " + log_path);
    }
    bool all_failed;
    {
      std::lock_guard<std::mutex> lock(acked.mu);
      all_failed = !acked.first_error.empty();
    }
    if (all_failed) {
      stop.store(true);
      for (auto& t : producers) t.join();
      StopBroker(pid);
      return Fail("a produce failed: " + acked.first_error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double fill_s = static_cast<double>(NowUs() - fill_start_us) / 1e6;

  // 2. kill -9 while the producers are still sending.
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  stop.store(true);
  for (auto& t : producers) t.join();
  std::vector<int64_t> last;
  {
    std::lock_guard<std::mutex> lock(acked.mu);
    last = acked.last_offset;
  }
  const uint64_t stored_bytes = DirectoryBytes(data_dir);
  std::printf(
      "restart: %llu messages (%.2f GiB) acknowledged in %.1f s; killed with SIGKILL; "
      "%.2f GiB on disk\n",
      static_cast<unsigned long long>(acked.messages.load()),
      static_cast<double>(acked.bytes.load()) / (1ull << 30), fill_s,
      static_cast<double>(stored_bytes) / (1ull << 30));
  std::fflush(stdout);

  if (options.cold) EvictFromPageCache(data_dir);

  // 3. Restart on the same directory and port; time until it serves.
  const int64_t restart_us = NowUs();
  pid = StartBroker(options, data_dir, port, log_path);
  if (pid < 0) return Fail("fork failed");
  if (!WaitHealthy(address, pid, restart_us + ready_us)) {
    StopBroker(pid);
    return Fail("the restarted broker did not become healthy; see " + log_path);
  }
  const int64_t healthy_us = NowUs();
  Client reader(address);
  int64_t tail_records = 0;
  for (int p = 0; p < options.partitions; ++p) {
    const int64_t offset = last[static_cast<size_t>(p)];
    if (offset < 0) continue;
    auto answer = reader.Call("GET", "/api/v1/consume?topic=" + options.topic +
                                         "&partition=" + std::to_string(p) +
                                         "&offset=" + std::to_string(offset) + "&count=1");
    const auto json =
        answer.ok() ? nlohmann::json::parse(answer->body, nullptr, false) : nlohmann::json();
    if (!answer.ok() || answer->status != 200 || !json.is_object() || json["records"].size() != 1 ||
        json["records"][0]["offset"].get<int64_t>() != offset) {
      StopBroker(pid);
      return Fail("partition " + std::to_string(p) + ": the last acknowledged offset " +
                  std::to_string(offset) + " did not come back: " +
                  (answer.ok() ? answer->body.substr(0, 300) : answer.status().ToString()));
    }
    ++tail_records;
  }
  const int64_t serving_us = NowUs();
  StopBroker(pid);

  const double healthy_ms = static_cast<double>(healthy_us - restart_us) / 1000.0;
  const double serving_ms = static_cast<double>(serving_us - restart_us) / 1000.0;
  std::printf(
      "restart: healthy %.1f ms after exec; the last acknowledged record of each of %lld "
      "partitions fetched %.1f ms after exec\n",
      healthy_ms, static_cast<long long>(tail_records), serving_ms);
  PrintJsonLine({{"bench", "restart"},
                 {"cold", options.cold},
                 {"gib_acked", Round(static_cast<double>(acked.bytes.load()) / (1ull << 30), 3)},
                 {"gib_on_disk", Round(static_cast<double>(stored_bytes) / (1ull << 30), 3)},
                 {"messages_acked", acked.messages.load()},
                 {"partitions", options.partitions},
                 {"fill_s", Round(fill_s, 2)},
                 {"healthy_ms", Round(healthy_ms, 1)},
                 {"serving_ms", Round(serving_ms, 1)}});
  return 0;
}

}  // namespace

void RegisterRestart(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "restart",
      "fill a real broker through the produce API, kill -9 it under load, time the restart");
  sub->add_option("--gib", options->gib, "GiB to acknowledge before the kill")
      ->capture_default_str();
  sub->add_option("--dir", options->dir, "parent of the scratch directory (removed afterwards)")
      ->capture_default_str();
  sub->add_option("--broker-bin", options->broker_bin,
                  "gafka-broker executable (default: next to gafka-bench)");
  sub->add_option("--partitions", options->partitions, "partitions of the topic")
      ->capture_default_str();
  sub->add_option("--connections", options->connections, "producer connections")
      ->capture_default_str();
  sub->add_option("--batch", options->batch, "messages per produce request")->capture_default_str();
  sub->add_option("--size", options->size, "bytes per message value")->capture_default_str();
  sub->add_option("--ready-timeout", options->ready_timeout_s,
                  "seconds to wait for /healthz before failing")
      ->capture_default_str();
  sub->add_flag("--cold", options->cold,
                "evict the data from the page cache before the restart (as after a reboot)");
  sub->add_flag("--keep", options->keep, "keep the scratch directory");
  sub->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace gafka::bench
