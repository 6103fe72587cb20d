// RealEnv: the real runtime's Env in one bundle, for tools and tests. Owns
// the EventLoop, a PosixDisk rooted at the data directory, RealRandom,
// SpdlogLogger and NoBuggify, and exposes them as a gafka::Env&.
//
// Lifecycle: create it, build core objects with env(), drive the loop
// (loop().Run() / RunInThread() / RunUntil()), destroy the core objects, then
// the RealEnv. Destruction joins a loop thread started by RunInThread();
// members go in reverse order, so the disk's I/O threads are drained while the
// loop still exists to receive their completions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/base/status.h"
#include "core/env/env.h"
#include "runtime-real/event_loop.h"
#include "runtime-real/posix_disk.h"
#include "runtime-real/real_random.h"
#include "runtime-real/spdlog_logger.h"

namespace gafka::real {

struct RealEnvOptions {
  std::string data_dir;         // the Disk's root; required
  bool create_data_dir = true;  // mkdir -p it on Create
  size_t io_threads = 1;        // fdatasync threads
  size_t post_queue_max = EventLoop::kDefaultPostQueueMax;
  std::optional<uint64_t> seed;  // default: from std::random_device
  SpdlogLoggerOptions log;
};

class RealEnv {
 public:
  // Fails if the data directory cannot be created or the log file opened.
  static Result<std::unique_ptr<RealEnv>> Create(RealEnvOptions options);
  ~RealEnv();
  RealEnv(const RealEnv&) = delete;
  RealEnv& operator=(const RealEnv&) = delete;

  Env& env() { return env_; }
  EventLoop& loop() { return loop_; }
  PosixDisk& disk() { return disk_; }
  RealRandom& random() { return *random_; }
  SpdlogLogger& logger() { return *logger_; }

 private:
  RealEnv(const RealEnvOptions& options, std::unique_ptr<SpdlogLogger> logger);

  // Declaration order is destruction order reversed: loop_ goes last.
  EventLoop loop_;
  PosixDisk disk_;
  std::unique_ptr<RealRandom> random_;
  std::unique_ptr<SpdlogLogger> logger_;
  NoBuggify buggify_;
  Env env_;
};

}  // namespace gafka::real
