// PartitionLog: one partition's durable, append-only, offset-addressed log,
// stored as segment files in one directory. Owned by the broker's Partition;
// used only from the core loop.
//
// Invariants
// - offsets are dense: the record at end_offset() - 1 was the last appended,
//   and every offset in [start_offset(), end_offset()) holds exactly one record;
// - durable_offset() <= end_offset(); durable_offset() never decreases except
//   through an explicit Truncate() (replication divergence);
// - a record is served only after its CRC has been checked;
// - after a failed sync or detected corruption the log is failed(): appends
//   and reads return that status until an operator acts.
//
// Group commit: Append() writes to the active segment at once and queues the
// caller's `durable` callback. If no sync is in flight, one starts; a sync
// that completes fires every callback whose records it covered; appends that
// arrived during it are covered by the next one. So N concurrent producers
// share ~1 fsync.
//
// Layout and recovery rules: docs/wal-format.md.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/env/env.h"
#include "core/log/record.h"

namespace gafka {

struct LogConfig {
  uint64_t segment_bytes = 64ull << 20;          // roll when the active segment reaches this
  Millis segment_ms = 7ll * 24 * 3600 * 1000;    // or when it is this old
  uint64_t index_interval_bytes = 4096;          // one sparse index entry per this many bytes
  int64_t retention_bytes = -1;                  // -1: unlimited
  Millis retention_ms = 7ll * 24 * 3600 * 1000;  // -1: unlimited
};

struct AppendResult {
  Offset base_offset;   // offset of the first appended record
  Millis timestamp_ms;  // the broker timestamp given to records without one
};

// What recovery found on Open (for logs and tests).
struct LogRecoveryReport {
  uint64_t bytes_scanned = 0;  // bytes of segment data read to recover
  uint64_t bytes_cut = 0;      // torn tail removed (including removed segments)
  int segments_removed = 0;    // empty/unacked tail segments dropped
  int segments_trusted = 0;    // sealed segments loaded from their index, not scanned
  int segments_scanned = 0;    // unsealed segments read record by record
  std::string detail;          // human-readable summary
};

struct ReadResult {
  std::vector<Record> records;
  Offset next_offset;  // where the next read should start
};

class PartitionLog {
 public:
  ~PartitionLog();
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  // Opens (creating if needed) the log in `dir` and recovers it: sealed
  // segments are trusted through their index files; unsealed segments (the
  // tail) are scanned, and a torn tail is cut. Corruption before the tail
  // opens the log in the failed state (see failed()), never silently cuts.
  static Result<std::unique_ptr<PartitionLog>> Open(Env& env, std::string dir, LogConfig config);

  // Appends `records` at end_offset() with leader epoch `epoch`. Offsets are
  // assigned densely. `durable` is called (later, on the loop) with ok once a
  // sync covers every appended byte, or with the error that failed the log,
  // or kConflict if Truncate removed the records first. Returns an error (and
  // never calls `durable`) if nothing was appended: the failed() status,
  // kConflict for an epoch older than the log's last, kTooLarge, or a write
  // error (the log stays usable when no byte of the batch was written).
  // Destroying the log drops pending `durable` callbacks without a call.
  Result<AppendResult> Append(std::span<const RecordInput> records, Epoch epoch,
                              std::function<void(Status)> durable);

  // Appends records that already carry offsets (a follower copying its
  // leader). records[0].offset must equal end_offset(), offsets dense, epochs
  // non-decreasing (else kInvalidArgument). `durable` as for Append.
  Status AppendReplicated(std::span<const Record> records, std::function<void(Status)> durable);

  // Reads from `from` up to `max_count` records and about `max_bytes` bytes
  // (at least one record if any is there, even if larger), stopping before
  // `limit` (exclusive; e.g. the high watermark). kOutOfRange if `from` is
  // outside [start_offset(), end_offset()]. A record that fails its CRC fails
  // the log with kCorruption (file, byte position, offset) instead.
  Result<ReadResult> Read(Offset from, size_t max_count, size_t max_bytes,
                          std::optional<Offset> limit = std::nullopt);

  // Removes records at offsets >= new_end (replication divergence); kOutOfRange
  // outside [start_offset(), end_offset()]. Pending durable callbacks of the
  // removed records get kConflict; durable_offset() drops to new_end at most.
  Status Truncate(Offset new_end);

  // Drops every record and restarts the log empty at `new_start`, which must
  // be past end_offset() (a follower whose leader's retention deleted the
  // records it would need next: Kafka's OffsetOutOfRange reset). Durable when
  // it returns ok; a crash midway leaves an empty log at the old start or the
  // new one. Pending durable callbacks get kConflict.
  Status ResetTo(Offset new_start);

  // Deletes whole sealed segments past the retention limits. Returns how many.
  int ApplyRetention();

  // First offset whose timestamp >= ts, or end_offset() if none.
  Result<Offset> OffsetForTimestamp(Millis timestamp_ms);

  Offset start_offset() const;
  Offset end_offset() const;
  Offset durable_offset() const;
  uint64_t size_bytes() const;
  size_t segment_count() const;
  // The epoch of the last record, and the first offset of each epoch, for
  // leader-epoch truncation.
  const std::map<Epoch, Offset>& epoch_starts() const;

  // Ok, or why this log refuses service (corruption with file and position,
  // or the failed sync).
  const Status& failed() const;

  // What recovery found on Open (for logs and tests).
  using RecoveryReport = LogRecoveryReport;
  const RecoveryReport& recovery_report() const;

 private:
  class Impl;
  explicit PartitionLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gafka
