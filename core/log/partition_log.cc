// PartitionLog: open (recovery), append, read, truncate, retention. Group
// commit and sealing are in log_sync.cc. Rules: docs/wal-format.md.
#include "core/log/partition_log.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"
#include "core/log/partition_log_impl.h"

namespace gafka {

using wal::RecordCursor;
using wal::Segment;

namespace {
// Positions in the index are u32; a segment may exceed segment_bytes by one
// record (at most kMaxRecordLength), so this keeps every position in range.
constexpr uint64_t kMaxSegmentBytes = 1ull << 30;
}  // namespace

PartitionLog::Impl::Impl(Env& env, std::string dir, LogConfig config)
    : env_(env), dir_(std::move(dir)), config_(config), self_(std::make_shared<Impl*>(this)) {
  CHECK(!dir_.empty());
  CHECK(config_.segment_bytes > 0 && config_.segment_bytes <= kMaxSegmentBytes);
  CHECK(config_.index_interval_bytes > 0);
  CHECK(config_.segment_ms > 0);
}

Status PartitionLog::Impl::Init(wal::RecoveredLog recovered) {
  report_ = std::move(recovered.report);
  for (auto& segment : recovered.segments) {
    const Offset base = segment->base_offset();
    segments_.emplace(base, std::move(segment));
  }
  if (!recovered.corruption.ok()) {
    failed_ = recovered.corruption;
    RebuildSummary();
    env_.logger.Log(LogLevel::kError, "log " + dir_ + " refuses service: " + failed_.ToString());
    return Status::Ok();
  }
  if (segments_.empty()) GAFKA_RETURN_IF_ERROR(CreateSegment(Offset(0)));
  GAFKA_RETURN_IF_ERROR(MakeTailDurable());
  if (active().sealed()) GAFKA_RETURN_IF_ERROR(CreateSegment(active().next_offset()));
  if (dir_dirty_) GAFKA_RETURN_IF_ERROR(env_.disk.SyncDir(dir_));
  dir_dirty_ = false;
  RebuildSummary();
  durable_ = end_;
  env_.logger.Log(LogLevel::kInfo, "log " + dir_ + " recovered [" + std::to_string(start_.value()) +
                                       ", " + std::to_string(end_.value()) +
                                       "): " + report_.detail);
  return Status::Ok();
}

// Recomputes start, end, size and epoch starts from the segments.
void PartitionLog::Impl::RebuildSummary() {
  size_bytes_ = 0;
  epoch_starts_.clear();
  for (const auto& [base, segment] : segments_) {
    size_bytes_ += segment->size();
    for (const wal::EpochStart& e : segment->index().epochs())
      epoch_starts_.emplace(e.epoch, e.offset);
  }
  start_ = segments_.empty() ? Offset(0) : segments_.begin()->first;
  end_ = segments_.empty() ? Offset(0) : segments_.rbegin()->second->next_offset();
  CHECK(start_ <= end_);
}

Status PartitionLog::Impl::CreateSegment(Offset base) {
  CHECK(base.value() >= 0);
  CHECK(segments_.empty() || base == active().next_offset());
  // A stale seal for this base must never describe the new file.
  Status removed = env_.disk.Remove(dir_ + "/" + wal::SegmentIndexName(base));
  if (!removed.ok() && removed.code() != Code::kNotFound) return removed;
  GAFKA_ASSIGN_OR_RETURN(
      std::unique_ptr<File> file,
      env_.disk.Open(dir_ + "/" + wal::SegmentLogName(base), OpenMode::kCreateNew));
  if (!segments_.empty()) to_seal_.push_back(active().base_offset());
  segments_.emplace(
      base, std::make_unique<Segment>(dir_, std::move(file),
                                      wal::SegmentIndex(base, config_.index_interval_bytes), false,
                                      env_.clock.NowMs()));
  dir_dirty_ = true;
  return Status::Ok();
}

Status PartitionLog::Impl::CheckWritable(Epoch first_epoch) const {
  if (!failed_.ok()) return failed_;
  if (!epoch_starts_.empty() && first_epoch < epoch_starts_.rbegin()->first) {
    return Conflict("epoch " + std::to_string(first_epoch.value()) +
                    " is older than the log's epoch " +
                    std::to_string(epoch_starts_.rbegin()->first.value()));
  }
  return Status::Ok();
}

Result<AppendResult> PartitionLog::Impl::Append(std::span<const RecordInput> inputs, Epoch epoch,
                                                std::function<void(Status)> durable) {
  CHECK(durable != nullptr);
  if (inputs.empty()) return InvalidArgument("append of no records");
  GAFKA_RETURN_IF_ERROR(CheckWritable(epoch));
  const Millis now_ms = env_.clock.WallMs();
  std::vector<Record> records;
  records.reserve(inputs.size());
  for (const RecordInput& in : inputs) {
    records.push_back(Record{end_ + static_cast<int64_t>(records.size()),
                             in.timestamp_ms.value_or(now_ms), epoch, in.key, in.value,
                             in.headers});
  }
  const Offset base = end_;
  GAFKA_RETURN_IF_ERROR(Write(records, std::move(durable)));
  CHECK(end_ == base + static_cast<int64_t>(inputs.size()));
  return AppendResult{base, now_ms};
}

Status PartitionLog::Impl::AppendReplicated(std::span<const Record> records,
                                            std::function<void(Status)> durable) {
  CHECK(durable != nullptr);
  if (records.empty()) return InvalidArgument("append of no records");
  GAFKA_RETURN_IF_ERROR(CheckWritable(records[0].epoch));
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].offset != end_ + static_cast<int64_t>(i)) {
      return InvalidArgument("replicated record has offset " +
                             std::to_string(records[i].offset.value()) + ", expected " +
                             std::to_string(end_.value() + static_cast<int64_t>(i)));
    }
    if (i > 0 && records[i].epoch < records[i - 1].epoch) {
      return InvalidArgument("replicated records' epochs go backwards");
    }
  }
  return Write(records, std::move(durable));
}

// Writes records (offsets end_, end_+1, ...) to the active segment, rolling
// as needed, then queues `durable` behind the group commit. A failure before
// any byte was written leaves the log as it was; a failure after some were
// written fails the log (the batch would otherwise be half there).
Status PartitionLog::Impl::Write(std::span<const Record> records,
                                 std::function<void(Status)> durable) {
  CHECK(!records.empty());
  CHECK(records[0].offset == end_);
  std::vector<size_t> sizes;
  for (const Record& r : records) {
    sizes.push_back(wal::EncodedSize(r));
    if (sizes.back() - 4 > wal::kMaxRecordLength) {
      return TooLarge("record of " + std::to_string(sizes.back()) + " bytes",
                      kDetailMessageTooLarge);
    }
  }
  bool wrote = false;
  for (size_t i = 0; i < records.size();) {
    Result<Segment*> active_or = ActiveFor(sizes[i]);
    if (!active_or.ok()) {
      if (wrote) Fail(active_or.status());
      return active_or.status();
    }
    Segment& segment = **active_or;
    // The run [i, last) that fits the segment (at least one record), sized
    // up front: no reallocation and re-copy while a large batch is encoded.
    size_t last = i + 1;
    size_t planned = sizes[i];
    while (last < records.size() &&
           segment.size() + planned + sizes[last] <= config_.segment_bytes) {
      planned += sizes[last++];
    }
    std::string bytes;
    bytes.reserve(planned);
    std::vector<wal::RecordMeta> metas;
    metas.reserve(last - i);
    for (; i < last; ++i) {
      wal::EncodeRecord(records[i], &bytes);
      metas.push_back({records[i].offset, records[i].timestamp_ms, records[i].epoch, sizes[i]});
    }
    bool file_damaged = false;
    Status s = segment.Append(bytes, metas, &file_damaged);
    if (!s.ok()) {
      if (wrote || file_damaged) Fail(s);
      return s;
    }
    wrote = true;
    NoteWritten(metas, bytes.size());
  }
  waiters_.push_back(Waiter{end_, std::move(durable)});
  MaybeStartChain();
  return Status::Ok();
}

// The segment the next record (of `record_size` bytes) goes to: the active
// one, unless it is full or too old (then a new one is rolled). Empty
// segments never roll, so every rolled segment holds at least one record.
Result<Segment*> PartitionLog::Impl::ActiveFor(size_t record_size) {
  Segment& current = active();
  CHECK(!current.sealed());
  // Buggify (simulation only): roll early, so runs see many small segments —
  // sealing, reads across segments, recovery of several segments.
  const bool full = !current.empty() && (current.size() + record_size > config_.segment_bytes ||
                                         env_.buggify.Fire("log/roll-early"));
  const bool old =
      !current.empty() && env_.clock.NowMs() - current.created_ms() >= config_.segment_ms;
  if (full || old) GAFKA_RETURN_IF_ERROR(CreateSegment(end_));
  CHECK(active().next_offset() == end_);
  return &active();
}

void PartitionLog::Impl::NoteWritten(std::span<const wal::RecordMeta> metas, uint64_t bytes) {
  CHECK(!metas.empty());
  CHECK(metas.front().offset == end_);
  for (const wal::RecordMeta& m : metas) {
    if (epoch_starts_.empty() || m.epoch > epoch_starts_.rbegin()->first) {
      epoch_starts_.emplace(m.epoch, m.offset);
    }
  }
  end_ = metas.back().offset + 1;
  size_bytes_ += bytes;
  CHECK(active().next_offset() == end_);
}

Result<ReadResult> PartitionLog::Impl::Read(Offset from, size_t max_count, size_t max_bytes,
                                            std::optional<Offset> limit) {
  if (!failed_.ok()) return failed_;
  // Buggify (simulation only): a short read, as a tight byte budget gives;
  // every caller must page.
  if (max_count > 1 && env_.buggify.Fire("log/short-read")) max_count = 1;
  CHECK(!segments_.empty());
  CHECK(start_ == segments_.begin()->first);
  if (from < start_ || from > end_) {
    return OutOfRange("offset " + std::to_string(from.value()) + " outside [" +
                      std::to_string(start_.value()) + ", " + std::to_string(end_.value()) + "]");
  }
  const Offset stop = limit ? std::min(*limit, end_) : end_;
  ReadResult out{{}, from};
  size_t bytes = 0;
  auto it = std::prev(segments_.upper_bound(from));
  while (out.next_offset < stop && out.records.size() < max_count && it != segments_.end()) {
    Segment& segment = *it->second;
    ++it;
    if (out.next_offset >= segment.next_offset()) continue;
    GAFKA_ASSIGN_OR_RETURN(
        bool more, ReadSegment(segment, out.next_offset, stop, max_count, max_bytes, &out, &bytes));
    if (!more) break;
  }
  CHECK(out.next_offset == from + static_cast<int64_t>(out.records.size()));
  return out;
}

// Reads records [from, min(stop, segment end)) into *out within the budgets.
// Returns false when a budget ran out. Every record's CRC and offset are
// checked; a bad one fails the log with kCorruption.
Result<bool> PartitionLog::Impl::ReadSegment(Segment& segment, Offset from, Offset stop,
                                             size_t max_count, size_t max_bytes, ReadResult* out,
                                             size_t* bytes) {
  CHECK(from >= segment.base_offset() && from < segment.next_offset());
  CHECK(out != nullptr && bytes != nullptr);
  const wal::IndexPosition start = segment.ReadStart(from);
  RecordCursor cursor(segment.file(), start.position, segment.size());
  const Offset end = std::min(stop, segment.next_offset());
  for (Offset expected = start.offset; expected < end; ++expected) {
    if (out->records.size() >= max_count) {
      segment.NoteReadEnd(expected, cursor.position());
      return false;
    }
    const uint64_t position = cursor.position();
    const bool wanted = expected >= from;
    wal::Checked c;
    Record record;
    GAFKA_ASSIGN_OR_RETURN(RecordCursor::Step step, cursor.Next(&c, wanted ? &record : nullptr));
    if (step != RecordCursor::Step::kRecord || c.offset != expected) {
      return ReadCorruption(
          segment, position, expected,
          step == RecordCursor::Step::kEnd ? wal::DecodeOutcome::kTruncated : c.outcome);
    }
    if (!wanted) continue;
    if (!out->records.empty() && *bytes + c.size > max_bytes) {
      segment.NoteReadEnd(expected, position);
      return false;
    }
    *bytes += c.size;
    out->records.push_back(std::move(record));
    out->next_offset = expected + 1;
  }
  // The next read of a tailing reader starts here.
  if (end > from) segment.NoteReadEnd(end, cursor.position());
  return true;
}

Status PartitionLog::Impl::ReadCorruption(const Segment& segment, uint64_t position, Offset offset,
                                          wal::DecodeOutcome outcome) {
  Status s = Corruption(
      segment.log_path() + " at byte " + std::to_string(position) + " (offset " +
      std::to_string(offset.value()) + "): " +
      (outcome == wal::DecodeOutcome::kOk ? "unexpected offset" : wal::DecodeOutcomeName(outcome)));
  Fail(s);
  return s;
}

Result<Offset> PartitionLog::Impl::OffsetForTimestamp(Millis timestamp_ms) {
  if (!failed_.ok()) return failed_;
  CHECK(!segments_.empty());
  CHECK(segments_.rbegin()->second->next_offset() == end_);
  for (auto& [base, segment] : segments_) {
    if (segment->index().max_timestamp_ms() < timestamp_ms) continue;
    const wal::IndexPosition start = segment->index().LookupTimestamp(timestamp_ms);
    RecordCursor cursor(segment->file(), start.position, segment->size());
    for (Offset expected = start.offset; expected < segment->next_offset(); ++expected) {
      const uint64_t position = cursor.position();
      wal::Checked c;
      GAFKA_ASSIGN_OR_RETURN(RecordCursor::Step step, cursor.Next(&c, nullptr));
      if (step != RecordCursor::Step::kRecord || c.offset != expected) {
        return ReadCorruption(*segment, position, expected, c.outcome);
      }
      if (c.timestamp_ms >= timestamp_ms) return expected;
    }
  }
  return end_;
}

Status PartitionLog::Impl::Truncate(Offset new_end) {
  if (!failed_.ok()) return failed_;
  if (new_end < start_ || new_end > end_) {
    return OutOfRange("truncate to " + std::to_string(new_end.value()) + " outside [" +
                      std::to_string(start_.value()) + ", " + std::to_string(end_.value()) + "]");
  }
  if (new_end == end_) return Status::Ok();
  // Newest first, each removal durable before the next, so a crash leaves a
  // contiguous prefix of segments.
  while (segments_.rbegin()->first > new_end) {
    Status s = RemoveSegment(std::prev(segments_.end()));
    if (!s.ok()) {
      Fail(s);
      return s;
    }
  }
  Segment& target = active();  // it becomes the active segment again: never seal it
  to_seal_.erase(std::remove(to_seal_.begin(), to_seal_.end(), target.base_offset()),
                 to_seal_.end());
  Status s = target.Truncate(env_.disk, new_end);
  if (!s.ok()) {
    Fail(s);
    return s;
  }
  target.set_created_ms(env_.clock.NowMs());
  RebuildSummary();
  CHECK(end_ == new_end);
  durable_ = std::min(durable_, new_end);
  chain_.target = std::min(chain_.target, new_end);
  FailWaitersAbove(new_end, Conflict("records truncated before they became durable"));
  MaybeStartChain();  // make the cut durable
  return Status::Ok();
}

Status PartitionLog::Impl::ResetTo(Offset new_start) {
  if (!failed_.ok()) return failed_;
  if (new_start <= end_) {
    return InvalidArgument("reset to " + std::to_string(new_start.value()) +
                           " is not past the log end " + std::to_string(end_.value()));
  }
  // Empty the log at its old start first (newest segments removed first).
  GAFKA_RETURN_IF_ERROR(Truncate(start_));
  CHECK(segments_.size() == 1);
  // Then a new empty segment at new_start, and the old one removed: both
  // are made durable by the directory sync RemoveSegment does.
  Status removed = env_.disk.Remove(dir_ + "/" + wal::SegmentIndexName(new_start));
  if (!removed.ok() && removed.code() != Code::kNotFound) return removed;
  GAFKA_ASSIGN_OR_RETURN(
      std::unique_ptr<File> file,
      env_.disk.Open(dir_ + "/" + wal::SegmentLogName(new_start), OpenMode::kCreateNew));
  segments_.emplace(new_start, std::make_unique<Segment>(
                                   dir_, std::move(file),
                                   wal::SegmentIndex(new_start, config_.index_interval_bytes),
                                   false, env_.clock.NowMs()));
  Status s = RemoveSegment(segments_.begin());
  if (!s.ok()) {
    Fail(s);
    return s;
  }
  RebuildSummary();
  CHECK(start_ == new_start && end_ == new_start);
  durable_ = new_start;
  chain_.target = std::min(chain_.target, new_start);
  return Status::Ok();
}

void PartitionLog::Impl::FailWaitersAbove(Offset end, const Status& status) {
  CHECK(!status.ok());
  CHECK(end <= end_);
  std::vector<Waiter> dropped;
  while (!waiters_.empty() && waiters_.back().end > end) {
    dropped.push_back(std::move(waiters_.back()));
    waiters_.pop_back();
  }
  if (dropped.empty()) return;
  std::reverse(dropped.begin(), dropped.end());
  // Deferred: never call back into the caller from inside its own call.
  env_.clock.After(0, [dropped = std::move(dropped), status]() {
    for (const Waiter& w : dropped) w.done(status);
  });
}

int PartitionLog::Impl::ApplyRetention() {
  if (!failed_.ok()) return 0;
  CHECK(!segments_.empty());
  CHECK(start_ == segments_.begin()->first);
  const Millis now_ms = env_.clock.WallMs();
  int removed = 0;
  while (segments_.size() > 1) {
    Segment& first = *segments_.begin()->second;
    if (!first.sealed()) break;  // only whole sealed segments, never the active one
    const bool by_size =
        config_.retention_bytes >= 0 &&
        size_bytes_ - first.size() >= static_cast<uint64_t>(config_.retention_bytes);
    const Millis newest_ms = first.index().max_timestamp_ms();
    const bool by_time = config_.retention_ms >= 0 && newest_ms != wal::kNoTimestamp &&
                         now_ms - newest_ms > config_.retention_ms;
    if (!by_size && !by_time) break;
    const std::string path = first.log_path();
    Status s = RemoveSegment(segments_.begin());
    if (!s.ok()) {
      env_.logger.Log(LogLevel::kWarn, "retention of " + path + ": " + s.ToString());
      break;
    }
    ++removed;
  }
  if (removed > 0) {
    start_ = segments_.begin()->first;
    TrimEpochStartsBelow(start_);
  }
  CHECK(start_ <= end_);
  return removed;
}

// Keeps the epoch that covers `start` (moved to start), drops older ones:
// the same map recovery rebuilds from the remaining segments.
void PartitionLog::Impl::TrimEpochStartsBelow(Offset start) {
  CHECK(start >= Offset(0));
  CHECK(start <= end_);
  std::optional<Epoch> covering;
  while (!epoch_starts_.empty() && epoch_starts_.begin()->second <= start) {
    covering = epoch_starts_.begin()->first;
    epoch_starts_.erase(epoch_starts_.begin());
  }
  if (covering && start < end_) epoch_starts_.emplace(*covering, start);
}

// Removes a segment's files (log first: an index without its log is an
// orphan that recovery deletes; a log without its index is just scanned),
// syncs the directory, and drops the segment. A sync of its file may be in
// flight: the chain then keeps the object (and its File) until it ends,
// because an Env may drop the completion of a destroyed File, which would
// stall the chain for good.
Status PartitionLog::Impl::RemoveSegment(SegmentMap::iterator it) {
  CHECK(it != segments_.end());
  CHECK(segments_.size() > 1);
  Segment& segment = *it->second;
  GAFKA_RETURN_IF_ERROR(env_.disk.Remove(segment.log_path()));
  Status s = env_.disk.Remove(segment.index_path());
  if (!s.ok() && s.code() != Code::kNotFound) return s;
  GAFKA_RETURN_IF_ERROR(env_.disk.SyncDir(dir_));
  ForgetSegment(&segment);
  size_bytes_ -= segment.size();
  if (chain_.active) chain_.retired.push_back(std::move(it->second));
  segments_.erase(it);
  return Status::Ok();
}

// --- PartitionLog: the public face forwards to Impl. ---

PartitionLog::PartitionLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PartitionLog::~PartitionLog() = default;

Result<std::unique_ptr<PartitionLog>> PartitionLog::Open(Env& env, std::string dir,
                                                         LogConfig config) {
  GAFKA_ASSIGN_OR_RETURN(wal::RecoveredLog recovered, wal::RecoverLog(env, dir, config));
  auto impl = std::make_unique<Impl>(env, std::move(dir), config);
  GAFKA_RETURN_IF_ERROR(impl->Init(std::move(recovered)));
  return std::unique_ptr<PartitionLog>(new PartitionLog(std::move(impl)));
}

Result<AppendResult> PartitionLog::Append(std::span<const RecordInput> records, Epoch epoch,
                                          std::function<void(Status)> durable) {
  return impl_->Append(records, epoch, std::move(durable));
}
Status PartitionLog::AppendReplicated(std::span<const Record> records,
                                      std::function<void(Status)> durable) {
  return impl_->AppendReplicated(records, std::move(durable));
}
Result<ReadResult> PartitionLog::Read(Offset from, size_t max_count, size_t max_bytes,
                                      std::optional<Offset> limit) {
  return impl_->Read(from, max_count, max_bytes, limit);
}
Status PartitionLog::Truncate(Offset new_end) { return impl_->Truncate(new_end); }
Status PartitionLog::ResetTo(Offset new_start) { return impl_->ResetTo(new_start); }
int PartitionLog::ApplyRetention() { return impl_->ApplyRetention(); }
Result<Offset> PartitionLog::OffsetForTimestamp(Millis timestamp_ms) {
  return impl_->OffsetForTimestamp(timestamp_ms);
}
Offset PartitionLog::start_offset() const { return impl_->start_offset(); }
Offset PartitionLog::end_offset() const { return impl_->end_offset(); }
Offset PartitionLog::durable_offset() const { return impl_->durable_offset(); }
uint64_t PartitionLog::size_bytes() const { return impl_->size_bytes(); }
size_t PartitionLog::segment_count() const { return impl_->segment_count(); }
const std::map<Epoch, Offset>& PartitionLog::epoch_starts() const { return impl_->epoch_starts(); }
const Status& PartitionLog::failed() const { return impl_->failed(); }
const PartitionLog::RecoveryReport& PartitionLog::recovery_report() const {
  return impl_->recovery_report();
}

}  // namespace gafka
