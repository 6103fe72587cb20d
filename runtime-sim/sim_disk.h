// SimDisk: an in-memory Disk that models what real disks do on power loss
// (after FoundationDB's AsyncFileNonDurable and LevelDB's fault_injection_test).
//
// Model
// - Each file has its current contents (what reads see) and its durable
//   contents (as of the last successful sync). Sync completes after a seeded
//   latency on the SimClock.
// - Directory entries (create, rename, remove) are durable only after
//   SyncDir of their parent; until then a crash may undo them.
// - Crash(): every open File object becomes dead (operations fail with
//   kIoError); each file's unsynced tail is, at random, dropped, kept whole,
//   or torn — a prefix kept, cut at a 512-byte or 4 KiB boundary, optionally
//   followed by garbage (zeros or random bytes) up to the next boundary but
//   never past the written size; a suffix of the un-synced directory changes
//   is reverted at random (a rename is all-or-nothing). In-flight Sync
//   callbacks are dropped (never called: the process that waited is gone).
//   Then the disk is usable again, as after a reboot.
// - Truncate below the durable size without a later sync: a crash leaves
//   either the old durable contents or the truncated prefix (plus the tail
//   model on bytes appended after it), at random.
// - Injected faults at seeded rates: EIO on append/sync/read, ENOSPC on
//   append (also when capacity_bytes is exceeded). A failed sync is
//   permanent for that file (every later sync fails).
//
// Single-threaded; completions run through the SimClock.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/base/rng.h"
#include "core/env/env.h"
#include "runtime-sim/sim_clock.h"

namespace gafka::sim {

struct DiskFaults {
  double append_eio = 0;                 // probability an Append fails with kIoError
  double append_enospc = 0;              // probability an Append fails with kNoSpace
  double sync_eio = 0;                   // probability a Sync fails (then permanently)
  double read_eio = 0;                   // probability a Read fails with kIoError
  uint64_t capacity_bytes = UINT64_MAX;  // total bytes before kNoSpace
  Millis sync_latency_min_ms = 0;
  Millis sync_latency_max_ms = 2;
  // On crash, for each file with an unsynced tail:
  double crash_drop_tail = 0.4;     // lose the whole unsynced tail
  double crash_keep_tail = 0.2;     // keep it whole; else tear it
  double crash_tear_garbage = 0.5;  // when torn, fill to the boundary with garbage
  // Probability that a crash loses unsynced directory changes at all; if so,
  // a random-length suffix of them (in the order made) is undone, as a
  // journaling file system commits metadata in order.
  double crash_lose_dir_change = 0.5;
};

class SimDisk final : public Disk {
 public:
  SimDisk(SimClock& clock, uint64_t seed, DiskFaults faults = {});
  ~SimDisk() override;
  SimDisk(const SimDisk&) = delete;
  SimDisk& operator=(const SimDisk&) = delete;

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  bool Exists(const std::string& path) override;
  Status MakeDirs(const std::string& dir) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;

  // Power loss: applies the crash model above. Open File objects die.
  void Crash();

  DiskFaults& faults() { return faults_; }
  void set_faults(const DiskFaults& f) { faults_ = f; }

  // Test helpers: raw access that bypasses the fault model.
  Result<std::string> ReadWhole(const std::string& path) const;
  Status WriteWhole(const std::string& path, const std::string& contents);  // durable at once
  uint64_t used_bytes() const;
  size_t node_count() const;  // files and directories held (GC tests)

  struct Stats {
    uint64_t syncs = 0, sync_failures = 0, appends = 0, append_failures = 0, read_failures = 0;
    uint64_t crashes = 0, torn_tails = 0, dropped_tails = 0, kept_tails = 0, lost_dir_changes = 0;
  };
  const Stats& stats() const { return stats_; }

  struct Node;   // one file's state (public for the implementation's File class)
  struct State;  // shared between the disk and its open files

 private:
  SimClock& clock_;
  DiskFaults faults_;
  std::unique_ptr<State> state_;
  Stats stats_;
};

}  // namespace gafka::sim
