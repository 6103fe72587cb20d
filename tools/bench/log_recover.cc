#include "tools/bench/log_recover.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
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
  uint64_t bytes = 1ull << 30;
  int size = 1024;
  int batch = 1000;
  std::string crash = "kill";
  bool tear = false;
  bool cold = false;
  bool keep = false;
  uint64_t segment_mb = 64;
};

constexpr char kLogDir[] = "log";
constexpr int kBuildInflight = 4;

Result<std::unique_ptr<real::RealEnv>> MakeEnv(const std::string& root) {
  return real::RealEnv::Create(
      {.data_dir = root, .log = {.name = "bench", .min_level = LogLevel::kWarn}});
}

LogConfig MakeConfig(const Options& options) {
  LogConfig config;
  config.segment_bytes = options.segment_mb << 20;
  return config;
}

// Appends batches (kBuildInflight outstanding) until the log holds `bytes`,
// calls on_reached() once, then goes on appending while keep_going() holds.
Status Build(real::RealEnv& env, PartitionLog& log, const Options& options,
             const std::function<void()>& on_reached, const std::function<bool()>& keep_going) {
  std::vector<RecordInput> batch(static_cast<size_t>(options.batch));
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].value =
        std::string(static_cast<size_t>(options.size), static_cast<char>('a' + i % 26));
  }
  Status failure;
  int outstanding = 0;
  bool reached = false;
  real::EventLoop& loop = env.loop();
  std::function<void()> issue = [&] {
    while (failure.ok() && outstanding < kBuildInflight && (!reached || keep_going())) {
      auto appended = log.Append(batch, Epoch(0), [&](Status status) {
        --outstanding;
        if (!status.ok() && failure.ok()) failure = status;
        if (!reached && log.durable_offset() > Offset(0) && log.size_bytes() >= options.bytes) {
          reached = true;
          on_reached();
        }
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
  // One hour is far beyond any sane --bytes; it only stops a hung build.
  loop.RunUntil([&] { return !failure.ok() || (reached && !keep_going() && outstanding == 0); },
                3'600'000);
  if (!failure.ok()) return failure;
  if (!reached) return Timeout("log-recover: the build did not reach --bytes within an hour");
  return Status::Ok();
}

// The child of --crash kill: builds, reports 'R' on `ready_fd`, and appends
// until the parent kills it. Never returns.
[[noreturn]] void ChildBuildForever(const std::string& root, const Options& options, int ready_fd) {
  auto fail = [ready_fd](const Status& status) {
    std::fprintf(stderr, "log-recover (child): %s\n", status.ToString().c_str());
    (void)!::write(ready_fd, "E", 1);
    ::_exit(1);
  };
  auto env = MakeEnv(root);
  if (!env.ok()) fail(env.status());
  auto log = PartitionLog::Open((*env)->env(), kLogDir, MakeConfig(options));
  if (!log.ok()) fail(log.status());
  Status built = Build(
      **env, **log, options, [ready_fd] { (void)!::write(ready_fd, "R", 1); }, [] { return true; });
  fail(built.ok() ? Internal("build returned without being killed") : built);
  ::_exit(1);  // not reached: fail() exits
}

// Builds in a forked child and SIGKILLs it while it appends. Must run before
// this process starts any thread (fork copies only the calling thread).
Status BuildAndKill(const std::string& root, const Options& options) {
  int fds[2];
  if (::pipe(fds) != 0) return IoError(std::string("pipe: ") + std::strerror(errno));
  std::fflush(stdout);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) return IoError(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    // Should the parent die first, do not go on filling the disk.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::close(fds[0]);
    ChildBuildForever(root, options, fds[1]);
  }
  ::close(fds[1]);
  char report = 0;
  ssize_t n;
  do {
    n = ::read(fds[0], &report, 1);
  } while (n < 0 && errno == EINTR);
  ::close(fds[0]);
  ::kill(child, SIGKILL);
  int wait_status = 0;
  ::waitpid(child, &wait_status, 0);
  if (n != 1 || report != 'R') return Internal("the building child failed (see its error above)");
  if (!WIFSIGNALED(wait_status) || WTERMSIG(wait_status) != SIGKILL) {
    return Internal("the building child ended before it was killed");
  }
  return Status::Ok();
}

// Builds in this process, appends a little more, and drops the log without
// waiting for those appends to become durable. Says what was appended and
// what was durable at the drop.
Status BuildAndDrop(real::RealEnv& env, const Options& options) {
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<PartitionLog> log,
                         PartitionLog::Open(env.env(), kLogDir, MakeConfig(options)));
  GAFKA_RETURN_IF_ERROR(Build(
      env, *log, options, [] {}, [] { return false; }));
  std::vector<RecordInput> extra(static_cast<size_t>(options.batch));
  for (RecordInput& r : extra) r.value = std::string(static_cast<size_t>(options.size), 'x');
  for (int i = 0; i < 3; ++i) {
    GAFKA_RETURN_IF_ERROR(log->Append(extra, Epoch(0), [](Status) {}).status());
  }
  std::printf("dropped the log at end offset %lld, durable offset %lld\n",
              static_cast<long long>(log->end_offset().value()),
              static_cast<long long>(log->durable_offset().value()));
  log.reset();  // the unsynced batches are left as they are
  return Status::Ok();
}

std::vector<std::string> SegmentFiles(real::PosixDisk& disk) {
  auto names = disk.List(kLogDir);
  return names.ok() ? *names : std::vector<std::string>{};
}

// Appends half a record header of garbage to the newest segment: what a
// crash in the middle of a write leaves.
Status Tear(real::PosixDisk& disk) {
  std::string newest;
  for (const std::string& name : SegmentFiles(disk)) {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0) newest = name;
  }
  if (newest.empty()) return NotFound("no segment to tear");
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         disk.Open(std::string(kLogDir) + "/" + newest, OpenMode::kOpenExisting));
  GAFKA_RETURN_IF_ERROR(file->Append(std::string(20, '\x5a')));
  return file->SyncNow();
}

// Writes back and evicts every file of the log from the page cache, so the
// reopen reads from the device.
Status EvictFromPageCache(real::PosixDisk& disk) {
  for (const std::string& name : SegmentFiles(disk)) {
    const std::string path = disk.FullPath(std::string(kLogDir) + "/" + name);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoError("open " + path + ": " + std::strerror(errno));
    ::fdatasync(fd);
    const int rc = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    if (rc != 0) return IoError("posix_fadvise " + path + ": " + std::strerror(rc));
  }
  return Status::Ok();
}

int Fail(const Status& status) {
  std::fprintf(stderr, "log-recover: %s\n", status.ToString().c_str());
  return 1;
}

int Run(const Options& options) {
  if (options.crash != "kill" && options.crash != "drop") {
    std::fprintf(stderr, "log-recover: --crash must be kill or drop\n");
    return 2;
  }
  if (options.bytes == 0 || options.size < 1 || options.batch < 1 || options.segment_mb < 1) {
    std::fprintf(stderr, "log-recover: need --bytes, --size, --batch, --segment-mb >= 1\n");
    return 2;
  }
  WorkDir work(options.dir, "log-recover");
  if (!work.ok()) return Fail(IoError(work.error()));
  if (options.keep) work.keep();
  std::printf("log-recover: building %llu bytes of %d B records in %s (crash: %s)\n",
              static_cast<unsigned long long>(options.bytes), options.size, work.path().c_str(),
              options.crash.c_str());
  const int64_t build_start_us = NowUs();
  std::unique_ptr<real::RealEnv> env;
  if (options.crash == "kill") {
    // Before any thread of ours exists (RealEnv starts the I/O thread).
    if (Status s = BuildAndKill(work.path(), options); !s.ok()) return Fail(s);
  }
  auto made = MakeEnv(work.path());
  if (!made.ok()) return Fail(made.status());
  env = std::move(made).value();
  if (options.crash == "drop") {
    if (Status s = BuildAndDrop(*env, options); !s.ok()) return Fail(s);
  }
  const double build_s = static_cast<double>(NowUs() - build_start_us) / 1e6;
  if (options.tear) {
    if (Status s = Tear(env->disk()); !s.ok()) return Fail(s);
  }
  if (options.cold) {
    if (Status s = EvictFromPageCache(env->disk()); !s.ok()) return Fail(s);
  }

  const int64_t start_us = NowUs();
  auto log = PartitionLog::Open(env->env(), kLogDir, MakeConfig(options));
  if (!log.ok()) return Fail(log.status());
  if (!(*log)->failed().ok()) return Fail((*log)->failed());
  const Offset end = (*log)->end_offset();
  if (end == (*log)->start_offset()) return Fail(Internal("the recovered log is empty"));
  auto tail = (*log)->Read(end - 1, 1, 1 << 20);
  const int64_t done_us = NowUs();
  if (!tail.ok()) return Fail(tail.status());
  if (tail->records.size() != 1 || tail->records[0].offset != end - 1) {
    return Fail(Internal("the read at the tail did not return the last record"));
  }
  const double recover_ms = static_cast<double>(done_us - start_us) / 1000.0;
  const PartitionLog::RecoveryReport& report = (*log)->recovery_report();

  std::printf("built in %.1f s; recovered %llu bytes, %zu segments, %lld records in %.1f ms\n",
              build_s, static_cast<unsigned long long>((*log)->size_bytes()),
              (*log)->segment_count(), static_cast<long long>(end.value()), recover_ms);
  std::printf("recovery: scanned %llu bytes, cut %llu bytes; %s\n",
              static_cast<unsigned long long>(report.bytes_scanned),
              static_cast<unsigned long long>(report.bytes_cut), report.detail.c_str());
  PrintJsonLine({{"bench", "log-recover"},
                 {"crash", options.crash},
                 {"cold", options.cold},
                 {"torn", options.tear},
                 {"recover_ms", Round(recover_ms, 3)},
                 {"bytes", (*log)->size_bytes()},
                 {"segments", (*log)->segment_count()},
                 {"records", end.value()},
                 {"bytes_scanned", report.bytes_scanned},
                 {"bytes_cut", report.bytes_cut},
                 {"build_s", Round(build_s, 2)}});
  return 0;
}

}  // namespace

void RegisterLogRecover(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "log-recover", "time to reopen a PartitionLog after an unclean stop and read its tail");
  sub->add_option("--dir", options->dir, "parent of the scratch directory (removed afterwards)")
      ->capture_default_str();
  sub->add_option("--bytes", options->bytes, "log size to build")->capture_default_str();
  sub->add_option("--size", options->size, "bytes per record value")->capture_default_str();
  sub->add_option("--batch", options->batch, "records per append while building")
      ->capture_default_str();
  sub->add_option("--segment-mb", options->segment_mb, "segment size in MiB")
      ->capture_default_str();
  sub->add_option("--crash", options->crash, "kill: SIGKILL a building child; drop: in-process")
      ->capture_default_str();
  sub->add_flag("--tear", options->tear, "append a partial record to the newest segment");
  sub->add_flag("--cold", options->cold, "evict the log from the page cache before reopening");
  sub->add_flag("--keep", options->keep, "keep the scratch directory");
  sub->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace gafka::bench
