// OffsetStore: the durable map (group, topic, partition) -> committed offset,
// kept in an internal PartitionLog. Owned by the GroupCoordinator; used only
// from the core loop. It stores what it is told: the fencing and "never
// backwards" rules are the coordinator's.
//
// Durability. Apply() appends one record per write and calls `done` from the
// log's durable callback, so concurrent commits share one fsync (group
// commit). A value is "latest" as soon as it is appended and "durable" once
// its sync completed; restart recovers every durable value (and possibly
// newer ones whose sync completed but whose answer was lost).
//
// Layout (core/group/README.md, "Offsets on disk"): <dir>/CURRENT names the
// active log directory <dir>/log-<number>; <dir>/BOOT counts starts. Compaction writes a snapshot
// (the latest value of every key) into log-<number+1>, switches CURRENT to it by an atomic rename
// once the snapshot is durable, then removes the old log. Writes made during a compaction go to the
// new log, after the snapshot, so none is lost whichever log CURRENT names after a crash: before
// the switch the old log holds every acknowledged value; after it the snapshot does.
//
// Failures. A failed append or sync, or a failed CURRENT switch, fails the
// store permanently (fsyncgate, as for PartitionLog): every later Apply
// returns that status; reads keep serving what is in memory.
//
// Invariants
// - for every key, durable_seq <= latest_seq, and the durable value is the
//   one of the newest write (by sequence) whose sync completed;
// - at most one compaction at a time; `previous_` is non-null only while the
//   log being retired still has writes in flight or awaits removal;
// - keys are kept in an ordered map: listings never depend on hashing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/env/env.h"
#include "core/group/group_types.h"
#include "core/group/offset_format.h"
#include "core/log/partition_log.h"

namespace gafka {

class OffsetStore {
 public:
  using Key = offset_format::OffsetKey;
  struct Write {
    Key key;
    offset_format::OffsetValue value;
  };

  // Opens (creating if needed) the store in config.offsets_dir and replays
  // its log. kCorruption when CURRENT or a record is damaged (the log's own
  // recovery cuts a torn tail; damage before the tail is reported, never
  // silently dropped).
  static Result<std::unique_ptr<OffsetStore>> Open(Env& env, const GroupConfig& config);
  // Pending `done` callbacks are dropped uncalled (their owner is going away).
  ~OffsetStore();
  OffsetStore(const OffsetStore&) = delete;
  OffsetStore& operator=(const OffsetStore&) = delete;

  // The newest value accepted by Apply (durable or not); nullptr if none.
  const CommittedOffset* Latest(const Key& key) const;
  // The newest durable value; nullptr if none.
  const CommittedOffset* Durable(const Key& key) const;
  // Durable values of one group, ascending by (topic, partition).
  std::vector<std::pair<TopicPartition, CommittedOffset>> DurableOfGroup(
      const std::string& group) const;
  // True when the group has any accepted value.
  bool HasGroup(const std::string& group) const;
  // Groups with accepted values, ascending.
  std::vector<std::string> Groups() const;

  // Appends `writes` (at least one) as one batch. On error returns it and
  // never calls `done`. Otherwise calls done(status) exactly once, later (on
  // the loop), when every write is durable or with the error that failed the
  // store.
  Status Apply(std::vector<Write> writes, std::function<void(Status)> done);

  // Starts a compaction now unless one runs (tests; the store starts one by
  // itself when the log has grown, see GroupConfig).
  Status CompactNow();

  // Coordinator starts, counted durably in <dir>/BOOT: Open counts one
  // (the first start is boot 0); AdvanceBoot another, synchronously. Group
  // generations are based on it, so they keep increasing across restarts.
  uint64_t boot() const { return boot_; }
  Result<uint64_t> AdvanceBoot();

  // Counts changes of the durable values (replay, durable callbacks): equal
  // versions mean an unchanged durable map, so a reader can cache anything
  // derived from it (replication hashes it once per change, not per fetch).
  uint64_t durable_version() const { return durable_version_; }
  // Ok, or why the store refuses writes.
  const Status& failed() const { return failed_; }
  int64_t log_records() const;  // records in the active log
  size_t live_keys() const { return entries_.size(); }
  uint64_t log_number() const;  // the active log's number
  uint64_t compactions() const { return compactions_; }
  bool compacting() const { return compacting_; }
  // No write waits for its durable callback and no compaction runs: the
  // store may be destroyed without dropping an answer (graceful shutdown).
  bool idle() const {
    return !compacting_ && previous_ == nullptr && retire_timer_ == kNoTimer &&
           (active_ == nullptr || active_->pending == 0);
  }
  const std::string& dir() const { return dir_; }

 private:
  struct Entry {
    std::optional<CommittedOffset> durable;
    uint64_t durable_seq = 0;
    CommittedOffset latest;
    uint64_t latest_seq = 0;
  };
  // One offsets log and the batches still waiting for its durable callback.
  struct LogSlot {
    uint64_t number = 0;
    std::unique_ptr<PartitionLog> log;
    int64_t pending = 0;
  };
  struct Batch {
    std::vector<Key> keys;
    std::vector<CommittedOffset> values;
    uint64_t first_seq = 0;  // keys[i] has sequence first_seq + i
  };

  OffsetStore(Env& env, const GroupConfig& config);
  Status Recover();
  Result<uint64_t> ReadOrCreateCurrent();
  // The value of counter file `name`, nullopt when absent.
  Result<std::optional<uint64_t>> ReadCounter(const std::string& name, uint32_t magic);
  Status WriteCounter(const std::string& name, uint32_t magic, uint64_t value);
  Status WriteCurrent(uint64_t number);
  Status RemoveLeftovers(uint64_t keep_number);
  void RemoveLogDir(const std::string& path);
  Result<std::unique_ptr<LogSlot>> OpenLog(uint64_t number);
  Status Replay(PartitionLog& log);
  void OnBatchDurable(LogSlot* slot, const Batch& batch, const Status& status);
  void MaybeCompact();
  void OnSnapshotDurable(LogSlot* slot, const Status& status);
  void RetirePreviousWhenIdle();
  void Fail(const Status& status);
  std::string LogPath(uint64_t number) const;

  Env& env_;
  const GroupConfig config_;
  const std::string dir_;
  std::map<Key, Entry> entries_;
  uint64_t next_seq_ = 1;
  uint64_t durable_version_ = 0;
  std::unique_ptr<LogSlot> active_;
  std::unique_ptr<LogSlot> previous_;  // being retired after a compaction
  bool compacting_ = false;
  uint64_t compactions_ = 0;
  TimerId retire_timer_ = kNoTimer;
  uint64_t boot_ = 0;
  Status failed_;
};

}  // namespace gafka
