#include "tools/bench/log_append.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/log/partition_log.h"
#include "runtime-real/real_env.h"
#include "tools/bench/bench_util.h"

namespace gafka::bench {
namespace {

struct Options {
  std::string dir = "/tmp/gafka-bench";
  int batch = 100;
  int size = 1024;
  double seconds = 5;
  int inflight = 1;
  bool keep = false;
};

struct LogFigures {
  uint64_t batches = 0;
  uint64_t messages = 0;
  uint64_t disk_bytes = 0;  // what the log wrote: records with their headers
  double seconds = 0;
  std::vector<double> latencies_ms;  // per batch, append call -> durable callback
};

struct RawFigures {
  size_t bytes_per_sync = 0;
  uint64_t syncs = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

constexpr size_t kMaxLatencySamples = 1 << 22;  // bounds memory on very fast disks

std::vector<RecordInput> MakeBatch(int count, int size) {
  std::vector<RecordInput> batch(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    std::string value(static_cast<size_t>(size), 'a');
    // Vary the bytes a little so nothing below us can shortcut identical data.
    for (size_t j = 0; j < value.size(); j += 64) value[j] = static_cast<char>('a' + (i + j) % 26);
    batch[static_cast<size_t>(i)].value = std::move(value);
  }
  return batch;
}

// One slice of the log phase: N batches outstanding for `seconds`, driven on
// this thread's loop. Adds to *figures.
Status RunLogSlice(real::EventLoop& loop, PartitionLog& log, const std::vector<RecordInput>& batch,
                   const Options& options, double seconds, LogFigures* figures) {
  Status failure;
  int outstanding = 0;
  const uint64_t start_bytes = log.size_bytes();
  const uint64_t start_batches = figures->batches;
  const int64_t start_us = NowUs();
  const int64_t end_us = start_us + static_cast<int64_t>(seconds * 1e6);
  int64_t last_done_us = start_us;

  std::function<void()> issue = [&] {
    while (failure.ok() && outstanding < options.inflight && NowUs() < end_us) {
      const int64_t issued_us = NowUs();
      auto appended = log.Append(batch, Epoch(0), [&, issued_us](Status status) {
        --outstanding;
        last_done_us = NowUs();
        if (!status.ok()) {
          if (failure.ok()) failure = status;
          return;
        }
        ++figures->batches;
        if (figures->latencies_ms.size() < kMaxLatencySamples) {
          figures->latencies_ms.push_back(static_cast<double>(last_done_us - issued_us) / 1000.0);
        }
        // Refill from the loop, not from inside the log's callback.
        loop.After(0, issue);
      });
      if (!appended.ok()) {
        failure = appended.status();
        return;
      }
      ++outstanding;
    }
  };
  loop.After(0, issue);
  const Millis timeout_ms = static_cast<Millis>(seconds * 1000) + 60'000;
  const bool finished = loop.RunUntil(
      [&] { return outstanding == 0 && (NowUs() >= end_us || !failure.ok()); }, timeout_ms);
  if (!failure.ok()) return failure;
  if (!finished) return Timeout("log-append: durable callbacks did not arrive within 60 s");
  figures->messages += (figures->batches - start_batches) * static_cast<uint64_t>(options.batch);
  figures->disk_bytes += log.size_bytes() - start_bytes;
  figures->seconds += static_cast<double>(last_done_us - start_us) / 1e6;
  return Status::Ok();
}

// One slice of the raw phase: write(2) `bytes_per_sync` then fdatasync(2),
// for `seconds`, on an open O_APPEND file. Adds to *figures.
Status RunRawSlice(int fd, const std::string& path, size_t bytes_per_sync, double seconds,
                   RawFigures* figures) {
  const std::string buffer(bytes_per_sync, 'r');
  const int64_t start_us = NowUs();
  const int64_t end_us = start_us + static_cast<int64_t>(seconds * 1e6);
  while (NowUs() < end_us) {
    size_t written = 0;
    while (written < buffer.size()) {
      const ssize_t n = ::write(fd, buffer.data() + written, buffer.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return IoError("write " + path + ": " + std::strerror(errno));
      written += static_cast<size_t>(n);
    }
    if (::fdatasync(fd) != 0) return IoError("fdatasync " + path + ": " + std::strerror(errno));
    figures->bytes += written;
    ++figures->syncs;
  }
  figures->seconds += static_cast<double>(NowUs() - start_us) / 1e6;
  return Status::Ok();
}

// The two phases, interleaved log, raw, raw, log (T/2 seconds each) so that
// a drift in the machine's load or the disk's state weighs on both alike.
Status Measure(real::RealEnv& env, const Options& options, const std::string& raw_path,
               LogFigures* log_figures, RawFigures* raw_figures) {
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<PartitionLog> log,
                         PartitionLog::Open(env.env(), "log", LogConfig{}));
  const std::vector<RecordInput> batch = MakeBatch(options.batch, options.size);
  const double half = options.seconds / 2;
  log_figures->latencies_ms.reserve(1 << 16);
  GAFKA_RETURN_IF_ERROR(RunLogSlice(env.loop(), *log, batch, options, half, log_figures));
  if (log_figures->batches == 0) return Internal("no batch became durable");
  // The same bytes per sync as one log batch took on disk, headers included.
  raw_figures->bytes_per_sync = static_cast<size_t>(log_figures->disk_bytes / log_figures->batches);

  const int fd =
      ::open(raw_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("open " + raw_path + ": " + std::strerror(errno));
  Status raw = RunRawSlice(fd, raw_path, raw_figures->bytes_per_sync, options.seconds, raw_figures);
  ::close(fd);
  GAFKA_RETURN_IF_ERROR(raw);
  return RunLogSlice(env.loop(), *log, batch, options, half, log_figures);
}

int Run(const Options& options) {
  if (options.batch < 1 || options.size < 0 || options.seconds <= 0 || options.inflight < 1) {
    std::fprintf(stderr,
                 "log-append: need --batch >= 1, --size >= 0, --seconds > 0, --inflight >= 1\n");
    return 2;
  }
  WorkDir work(options.dir, "log-append");
  if (!work.ok()) {
    std::fprintf(stderr, "log-append: %s\n", work.error().c_str());
    return 1;
  }
  if (options.keep) work.keep();
  auto env = real::RealEnv::Create(
      {.data_dir = work.path(), .log = {.name = "bench", .min_level = LogLevel::kWarn}});
  if (!env.ok()) {
    std::fprintf(stderr, "log-append: %s\n", env.status().ToString().c_str());
    return 1;
  }
  std::printf("log-append: %d x %d B records per batch, %d in flight, %.1f s, in %s\n",
              options.batch, options.size, options.inflight, options.seconds, work.path().c_str());
  std::fflush(stdout);

  LogFigures log_figures;
  RawFigures raw_figures;
  if (Status s = Measure(**env, options, work.path() + "/raw.dat", &log_figures, &raw_figures);
      !s.ok()) {
    std::fprintf(stderr, "log-append: %s\n", s.ToString().c_str());
    return 1;
  }
  const LogFigures* log = &log_figures;
  const RawFigures* raw = &raw_figures;
  const size_t bytes_per_sync = raw->bytes_per_sync;
  const double msgs_per_s = static_cast<double>(log->messages) / log->seconds;
  const double payload_mb_per_s =
      static_cast<double>(log->messages) * options.size / 1e6 / log->seconds;
  const double log_disk_mb_per_s = static_cast<double>(log->disk_bytes) / 1e6 / log->seconds;
  const double raw_mb_per_s = static_cast<double>(raw->bytes) / 1e6 / raw->seconds;
  const double raw_syncs_per_s = static_cast<double>(raw->syncs) / raw->seconds;
  const double ratio = raw_mb_per_s > 0 ? log_disk_mb_per_s / raw_mb_per_s : 0;
  std::vector<double>& lat = log_figures.latencies_ms;
  const double p50 = Percentile(lat, 50), p99 = Percentile(lat, 99), max = Percentile(lat, 100);

  std::printf("log : %10.0f msg/s  %8.2f MB/s payload  %8.2f MB/s on disk  %8.1f batches/s\n",
              msgs_per_s, payload_mb_per_s, log_disk_mb_per_s,
              static_cast<double>(log->batches) / log->seconds);
  std::printf("      durable latency per batch: p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", p50, p99,
              max);
  std::printf("raw : %10.1f syncs/s %8.2f MB/s  (write + fdatasync of %zu B)\n", raw_syncs_per_s,
              raw_mb_per_s, bytes_per_sync);
  std::printf("ratio (log on-disk MB/s / raw MB/s): %.3f\n", ratio);

  PrintJsonLine({{"bench", "log-append"},
                 {"batch", options.batch},
                 {"size", options.size},
                 {"inflight", options.inflight},
                 {"seconds", Round(log->seconds, 3)},
                 {"msgs", log->messages},
                 {"msgs_per_s", Round(msgs_per_s, 1)},
                 {"mb_per_s", Round(payload_mb_per_s, 3)},
                 {"log_disk_mb_per_s", Round(log_disk_mb_per_s, 3)},
                 {"batches_per_s", Round(static_cast<double>(log->batches) / log->seconds, 1)},
                 {"p50_ms", Round(p50, 3)},
                 {"p99_ms", Round(p99, 3)},
                 {"max_ms", Round(max, 3)},
                 {"bytes_per_sync", bytes_per_sync},
                 {"disk_syncs_per_s", Round(raw_syncs_per_s, 1)},
                 {"disk_mb_per_s", Round(raw_mb_per_s, 3)},
                 {"ratio", Round(ratio, 3)}});
  return 0;
}

}  // namespace

void RegisterLogAppend(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "log-append", "durable append rate of a PartitionLog vs raw write+fdatasync of the disk");
  sub->add_option("--dir", options->dir, "parent of the scratch directory (removed afterwards)")
      ->capture_default_str();
  sub->add_option("--batch", options->batch, "records per append")->capture_default_str();
  sub->add_option("--size", options->size, "bytes per record value")->capture_default_str();
  sub->add_option("--seconds", options->seconds, "duration of each phase")->capture_default_str();
  sub->add_option("--inflight", options->inflight, "batches outstanding at once")
      ->capture_default_str();
  sub->add_flag("--keep", options->keep, "keep the scratch directory");
  sub->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace gafka::bench
