// The Env boundary: the only way core/ sees the world (after LevelDB's Env
// and TigerBeetle's IO/Time). runtime-real implements it with POSIX files, a
// monotonic clock and threads; runtime-sim with a virtual clock, SimDisk and
// SimNetwork in one thread.
//
// Threading contract: core/ is single-threaded. Every callback that an Env
// implementation invokes (timers, Defer, File::Sync completions, Transport
// receives) runs on the one loop that owns the core, never concurrently with
// another core call. Completions never run inside the call that requested
// them (no re-entrancy): a Sync completion runs from the loop, later.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/rng.h"
#include "core/base/status.h"
#include "core/base/types.h"

namespace gafka {

using Task = std::function<void()>;
using TimerId = uint64_t;
constexpr TimerId kNoTimer = 0;

// Monotonic time, wall time and timers. Timers fire in (deadline, sequence)
// order: two timers with the same deadline fire in the order they were set.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic milliseconds; never goes backwards.
  virtual Millis NowMs() const = 0;
  // Milliseconds since the Unix epoch, for record timestamps only.
  virtual Millis WallMs() const = 0;
  // Runs `fn` on the loop once `delay_ms` have passed (0 = as soon as the
  // current task returns). Returns an id for Cancel(); never kNoTimer.
  virtual TimerId After(Millis delay_ms, Task fn) = 0;
  // Cancels a timer that has not fired yet; a no-op otherwise.
  virtual void Cancel(TimerId id) = 0;
};

// One file, appended to at its end. Not thread-safe; owned by one core object.
class File {
 public:
  virtual ~File() = default;
  virtual const std::string& path() const = 0;
  // Appends at the end. Buffered: not durable until a Sync completes.
  virtual Status Append(ByteView data) = 0;
  // Makes every byte appended before this call durable, then calls
  // done(status) on the loop. A failed sync is permanent for this file: every
  // later Sync fails too (fsyncgate: the kernel may have dropped the pages).
  virtual void Sync(std::function<void(Status)> done) = 0;
  // Blocking sync, for small metadata files where waiting is simpler than a
  // callback chain. Same failure rule as Sync.
  virtual Status SyncNow() = 0;
  // Reads up to `n` bytes at `offset` into *out (resized to what was read;
  // short only at end of file).
  virtual Status Read(uint64_t offset, size_t n, std::string* out) = 0;
  // Cuts the file to `size` bytes (size <= Size()).
  virtual Status Truncate(uint64_t size) = 0;
  virtual uint64_t Size() const = 0;
};

enum class OpenMode {
  kOpenExisting,  // fail with kNotFound if absent
  kCreateNew,     // fail with kAlreadyExists if present
  kOpenOrCreate,  // either
  kTruncate,      // create or empty an existing file
};

// A directory tree of files. Paths are '/'-separated and relative to the
// Disk's root (runtime-real maps them under its data directory).
class Disk {
 public:
  virtual ~Disk() = default;
  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  // Names (not paths) of the entries of `dir`, sorted bytewise.
  virtual Result<std::vector<std::string>> List(const std::string& dir) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // Creates `dir` and any missing parents.
  virtual Status MakeDirs(const std::string& dir) = 0;
  // Removes a file, or an empty directory.
  virtual Status Remove(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (POSIX rename).
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Makes the directory's entries (creations, removals, renames) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
};

// Messages between brokers (replication, forwarding). Delivery is
// best-effort: messages may be lost, delayed, duplicated or reordered.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Send(NodeId to, Bytes message) = 0;
  virtual void OnReceive(std::function<void(NodeId from, Bytes message)> handler) = 0;
};

// Seeded random streams, one per component: Stream("log/retention") is the
// same sequence every time for the same root seed.
class Random {
 public:
  virtual ~Random() = default;
  virtual Rng Stream(std::string_view component) = 0;
};

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view message) = 0;
};

// FoundationDB-style fault hooks: in simulation, Fire(site) is true at
// seeded random moments so rare paths run often; in production always false.
class Buggify {
 public:
  virtual ~Buggify() = default;
  virtual bool Fire(std::string_view site) = 0;
};

class NoBuggify final : public Buggify {
 public:
  bool Fire(std::string_view) override { return false; }
};

// What a core component is given, by reference, at construction.
struct Env {
  Clock& clock;
  Disk& disk;
  Random& random;
  Logger& logger;
  Buggify& buggify;
};

}  // namespace gafka
