// PartitionLog::Impl, shared by partition_log.cc (open, append, read,
// truncate, retention) and log_sync.cc (group commit and sealing). Private
// to core/log.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/log/partition_log.h"
#include "core/log/recovery.h"
#include "core/log/segment.h"

namespace gafka {

class PartitionLog::Impl {
 public:
  Impl(Env& env, std::string dir, LogConfig config);
  ~Impl();

  Status Init(wal::RecoveredLog recovered);
  Result<AppendResult> Append(std::span<const RecordInput> records, Epoch epoch,
                              std::function<void(Status)> durable);
  Status AppendReplicated(std::span<const Record> records, std::function<void(Status)> durable);
  Result<ReadResult> Read(Offset from, size_t max_count, size_t max_bytes,
                          std::optional<Offset> limit);
  Status Truncate(Offset new_end);
  Status ResetTo(Offset new_start);
  int ApplyRetention();
  Result<Offset> OffsetForTimestamp(Millis timestamp_ms);

  Offset start_offset() const { return start_; }
  Offset end_offset() const { return end_; }
  Offset durable_offset() const { return durable_; }
  uint64_t size_bytes() const { return size_bytes_; }
  size_t segment_count() const { return segments_.size(); }
  const std::map<Epoch, Offset>& epoch_starts() const { return epoch_starts_; }
  const Status& failed() const { return failed_; }
  const RecoveryReport& recovery_report() const { return report_; }

 private:
  struct Waiter {
    Offset end;  // durable once durable_ >= end
    std::function<void(Status)> done;
  };
  struct ChainStep {
    wal::Segment* segment;  // nullptr once the segment was removed
    uint64_t writes;        // the segment's write count when the chain started
    std::string path;
  };
  // A chain of syncs: dirty segment files oldest first, then the directory.
  struct Chain {
    bool active = false;
    std::vector<ChainStep> steps;
    size_t next = 0;
    Offset target;  // end offset when the chain started: durable after it
    bool sync_dir = false;
    // Segments removed while the chain runs, kept alive until it ends.
    std::vector<std::unique_ptr<wal::Segment>> retired;
  };

  // partition_log.cc
  Status CheckWritable(Epoch first_epoch) const;
  Status Write(std::span<const Record> records, std::function<void(Status)> durable);
  Result<wal::Segment*> ActiveFor(size_t record_size);
  Status CreateSegment(Offset base);
  void NoteWritten(std::span<const wal::RecordMeta> metas, uint64_t bytes);
  Result<bool> ReadSegment(wal::Segment& segment, Offset from, Offset stop, size_t max_count,
                           size_t max_bytes, ReadResult* out, size_t* bytes);
  Status ReadCorruption(const wal::Segment& segment, uint64_t position, Offset offset,
                        wal::DecodeOutcome outcome);
  using SegmentMap = std::map<Offset, std::unique_ptr<wal::Segment>>;
  Status RemoveSegment(SegmentMap::iterator it);
  void RebuildSummary();
  void TrimEpochStartsBelow(Offset start);
  void FailWaitersAbove(Offset end, const Status& status);
  wal::Segment& active() { return *segments_.rbegin()->second; }

  // log_sync.cc
  void MaybeStartChain();
  void StartChain();
  void ContinueChain();
  void IssueSync(wal::Segment& segment);
  void OnStepSynced(Status status);
  void FinishChain();
  void SealRolled();
  void ForgetSegment(const wal::Segment* segment);
  void Fail(Status status);
  bool AnyDirty() const;
  Status MakeTailDurable();

  Env& env_;
  const std::string dir_;
  const LogConfig config_;
  SegmentMap segments_;
  Offset start_;
  Offset end_;
  Offset durable_;
  uint64_t size_bytes_ = 0;
  std::map<Epoch, Offset> epoch_starts_;
  Status failed_;
  RecoveryReport report_;

  std::deque<Waiter> waiters_;
  std::deque<Offset> to_seal_;  // rolled segments waiting for their data sync
  bool dir_dirty_ = false;      // a segment file was created since the last SyncDir
  Chain chain_;
  // Liveness token for sync completions, which may arrive after the log is
  // gone (or never: a crashed SimDisk and PosixDisk drop them). The log is
  // its only owner; completions hold a weak_ptr and do nothing once it
  // expired. Not shared ownership of the log — just "is it still there".
  std::shared_ptr<Impl*> self_;
};

}  // namespace gafka
