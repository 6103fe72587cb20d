// Why a CURRENT file and a fresh log per compaction, rather than compacting
// the log in place: PartitionLog is append-only with dense offsets and no
// per-key cleaning, and a directory cannot be renamed over a non-empty one.
// A one-record pointer file switched by rename (LevelDB's CURRENT) gives an
// atomic switch with the Disk calls we have, and recovery stays "read
// CURRENT, replay one log, delete everything else".
#include "core/group/offset_store.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"
#include "core/env/durable_files.h"

namespace gafka {

using offset_format::OffsetValue;

namespace {

constexpr size_t kReplayMaxRecords = 4096;
constexpr size_t kReplayMaxBytes = 4u << 20;
constexpr char kCurrentName[] = "CURRENT";
constexpr char kBootName[] = "BOOT";
constexpr char kTempSuffix[] = ".tmp";

}  // namespace

OffsetStore::OffsetStore(Env& env, const GroupConfig& config)
    : env_(env), config_(config), dir_(config.offsets_dir) {
  CHECK(!dir_.empty());
  CHECK(config_.compact_garbage_factor >= 1);
}

OffsetStore::~OffsetStore() {
  if (retire_timer_ != kNoTimer) env_.clock.Cancel(retire_timer_);
}

Result<std::unique_ptr<OffsetStore>> OffsetStore::Open(Env& env, const GroupConfig& config) {
  std::unique_ptr<OffsetStore> store(new OffsetStore(env, config));
  Status s = store->Recover();
  if (!s.ok()) return Status(s.code(), "offsets store " + config.offsets_dir + ": " + s.message());
  return store;
}

Status OffsetStore::Recover() {
  GAFKA_RETURN_IF_ERROR(MakeDirsDurably(env_.disk, dir_));
  GAFKA_ASSIGN_OR_RETURN(const uint64_t number, ReadOrCreateCurrent());
  GAFKA_RETURN_IF_ERROR(RemoveLeftovers(number));
  GAFKA_ASSIGN_OR_RETURN(active_, OpenLog(number));
  GAFKA_RETURN_IF_ERROR(Replay(*active_->log));
  GAFKA_ASSIGN_OR_RETURN(std::optional<uint64_t> last_boot,
                         ReadCounter(kBootName, offset_format::kBootMagic));
  boot_ = last_boot ? *last_boot + 1 : 0;
  GAFKA_RETURN_IF_ERROR(WriteCounter(kBootName, offset_format::kBootMagic, boot_));
  env_.logger.Log(LogLevel::kInfo, "offsets store " + dir_ + ": " +
                                       std::to_string(entries_.size()) +
                                       " committed offsets from " + std::to_string(log_records()) +
                                       " records of " + offset_format::LogDirName(number));
  return Status::Ok();
}

Result<uint64_t> OffsetStore::ReadOrCreateCurrent() {
  GAFKA_ASSIGN_OR_RETURN(std::optional<uint64_t> number,
                         ReadCounter(kCurrentName, offset_format::kCurrentMagic));
  if (number) {
    if (*number == 0) return Corruption(dir_ + "/" + kCurrentName + " names log 0");
    return *number;
  }
  // A missing CURRENT next to logs means someone removed it: refuse to
  // guess which log holds the offsets.
  GAFKA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.disk.List(dir_));
  for (const std::string& name : names) {
    if (offset_format::ParseLogDirName(name)) {
      return Corruption(dir_ + "/" + kCurrentName + " is missing but " + name +
                        " exists; restore CURRENT");
    }
  }
  GAFKA_RETURN_IF_ERROR(WriteCurrent(1));
  return uint64_t{1};
}

Result<std::optional<uint64_t>> OffsetStore::ReadCounter(const std::string& name, uint32_t magic) {
  const std::string path = dir_ + "/" + name;
  if (!env_.disk.Exists(path)) return std::optional<uint64_t>();
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, env_.disk.Open(path, OpenMode::kOpenExisting));
  std::string bytes;
  GAFKA_RETURN_IF_ERROR(file->Read(0, offset_format::kCounterSize + 1, &bytes));
  Result<uint64_t> value = offset_format::DecodeCounter(magic, bytes);
  if (!value.ok()) return Corruption(path + " " + value.status().message());
  return std::optional<uint64_t>(*value);
}

// Replaced atomically: the file is always either the old or the new record.
Status OffsetStore::WriteCounter(const std::string& name, uint32_t magic, uint64_t value) {
  return ReplaceFileDurably(env_.disk, dir_, name, offset_format::EncodeCounter(magic, value));
}

Status OffsetStore::WriteCurrent(uint64_t number) {
  return WriteCounter(kCurrentName, offset_format::kCurrentMagic, number);
}

Result<uint64_t> OffsetStore::AdvanceBoot() {
  GAFKA_RETURN_IF_ERROR(WriteCounter(kBootName, offset_format::kBootMagic, boot_ + 1));
  return ++boot_;
}

// Removes logs other than `keep_number` (an interrupted compaction's new
// log, or an old log whose removal a crash interrupted) and stray temp files.
Status OffsetStore::RemoveLeftovers(uint64_t keep_number) {
  GAFKA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.disk.List(dir_));
  for (const std::string& name : names) {
    const std::optional<uint64_t> number = offset_format::ParseLogDirName(name);
    if (number && *number != keep_number) RemoveLogDir(dir_ + "/" + name);
    if (name.size() > 4 && name.ends_with(kTempSuffix)) {
      Status s = env_.disk.Remove(dir_ + "/" + name);
      if (!s.ok()) env_.logger.Log(LogLevel::kWarn, "offsets store: " + s.ToString());
    }
  }
  return env_.disk.SyncDir(dir_);
}

// Best effort: what is left is removed again on the next Open.
void OffsetStore::RemoveLogDir(const std::string& path) {
  Result<std::vector<std::string>> names = env_.disk.List(path);
  Status s = names.status();
  if (names.ok()) {
    for (const std::string& name : *names) {
      Status removed = env_.disk.Remove(path + "/" + name);
      if (s.ok() && !removed.ok()) s = removed;
    }
  }
  if (s.ok()) s = env_.disk.Remove(path);
  if (s.ok()) s = env_.disk.SyncDir(dir_);
  if (!s.ok()) {
    env_.logger.Log(LogLevel::kWarn, "offsets store: removing " + path + ": " + s.ToString());
  }
}

std::string OffsetStore::LogPath(uint64_t number) const {
  return dir_ + "/" + offset_format::LogDirName(number);
}

Result<std::unique_ptr<OffsetStore::LogSlot>> OffsetStore::OpenLog(uint64_t number) {
  LogConfig log_config;
  log_config.segment_bytes = config_.log_segment_bytes;
  log_config.retention_bytes = -1;  // every key's latest value must stay
  log_config.retention_ms = -1;
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<PartitionLog> log,
                         PartitionLog::Open(env_, LogPath(number), log_config));
  if (!log->failed().ok()) return log->failed();
  GAFKA_RETURN_IF_ERROR(env_.disk.SyncDir(dir_));  // the log directory's entry
  auto slot = std::make_unique<LogSlot>();
  slot->number = number;
  slot->log = std::move(log);
  return slot;
}

// Later records win: a reset may move an offset backwards, so replay must
// not take the maximum.
Status OffsetStore::Replay(PartitionLog& log) {
  Offset from = log.start_offset();
  while (from < log.end_offset()) {
    GAFKA_ASSIGN_OR_RETURN(ReadResult read, log.Read(from, kReplayMaxRecords, kReplayMaxBytes));
    if (read.records.empty())
      return Internal("replay made no progress at " + std::to_string(from.value()));
    for (const Record& record : read.records) {
      Key key;
      OffsetValue value;
      if (!record.key || !offset_format::DecodeKey(*record.key, &key) ||
          !offset_format::DecodeValue(record.value, &value)) {
        return Corruption("record at offset " + std::to_string(record.offset.value()) +
                          " is not an offset record");
      }
      Entry& entry = entries_[key];
      entry.durable = value.committed;
      entry.latest = value.committed;
      entry.durable_seq = entry.latest_seq = next_seq_++;
      ++durable_version_;
    }
    CHECK(read.next_offset > from);
    from = read.next_offset;
  }
  return Status::Ok();
}

const CommittedOffset* OffsetStore::Latest(const Key& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.latest;
}

const CommittedOffset* OffsetStore::Durable(const Key& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() || !it->second.durable ? nullptr : &*it->second.durable;
}

std::vector<std::pair<TopicPartition, CommittedOffset>> OffsetStore::DurableOfGroup(
    const std::string& group) const {
  std::vector<std::pair<TopicPartition, CommittedOffset>> out;
  for (auto it = entries_.lower_bound(Key{group, {}});
       it != entries_.end() && it->first.group == group; ++it) {
    if (it->second.durable) out.emplace_back(it->first.tp, *it->second.durable);
  }
  return out;
}

bool OffsetStore::HasGroup(const std::string& group) const {
  auto it = entries_.lower_bound(Key{group, {}});
  return it != entries_.end() && it->first.group == group;
}

std::vector<std::string> OffsetStore::Groups() const {
  std::vector<std::string> out;
  for (const auto& [key, entry] : entries_) {
    if (out.empty() || out.back() != key.group) out.push_back(key.group);
  }
  return out;
}

int64_t OffsetStore::log_records() const {
  return active_->log->end_offset() - active_->log->start_offset();
}

uint64_t OffsetStore::log_number() const { return active_->number; }

Status OffsetStore::Apply(std::vector<Write> writes, std::function<void(Status)> done) {
  CHECK(!writes.empty());
  CHECK(done != nullptr);
  if (!failed_.ok()) return failed_;
  std::vector<RecordInput> records;
  records.reserve(writes.size());
  Batch batch;
  batch.first_seq = next_seq_;
  for (const Write& w : writes) {
    CHECK(w.value.committed.offset.value() >= 0);
    RecordInput record;
    record.key = offset_format::EncodeKey(w.key);
    record.value = offset_format::EncodeValue(w.value);
    records.push_back(std::move(record));
    batch.keys.push_back(w.key);
    batch.values.push_back(w.value.committed);
  }
  LogSlot* slot = active_.get();
  Result<AppendResult> appended = slot->log->Append(
      records, Epoch(0), [this, slot, batch, done = std::move(done)](Status status) {
        OnBatchDurable(slot, batch, status);
        done(std::move(status));
      });
  if (!appended.ok()) {
    if (!slot->log->failed().ok()) Fail(slot->log->failed());
    return appended.status();
  }
  ++slot->pending;
  for (size_t i = 0; i < batch.keys.size(); ++i) {
    Entry& entry = entries_[batch.keys[i]];
    entry.latest = batch.values[i];
    entry.latest_seq = next_seq_++;
  }
  CHECK(next_seq_ == batch.first_seq + batch.keys.size());
  MaybeCompact();
  return Status::Ok();
}

void OffsetStore::OnBatchDurable(LogSlot* slot, const Batch& batch, const Status& status) {
  CHECK(slot->pending > 0);
  --slot->pending;
  if (!status.ok()) {
    Fail(status);
  } else {
    for (size_t i = 0; i < batch.keys.size(); ++i) {
      const uint64_t seq = batch.first_seq + i;
      Entry& entry = entries_[batch.keys[i]];
      // Two logs complete independently during a compaction: only a newer
      // write may replace the durable value.
      if (seq > entry.durable_seq) {
        entry.durable = batch.values[i];
        entry.durable_seq = seq;
        ++durable_version_;
      }
      CHECK(entry.durable_seq <= entry.latest_seq);
    }
  }
  if (slot == previous_.get()) RetirePreviousWhenIdle();
}

void OffsetStore::Fail(const Status& status) {
  CHECK(!status.ok());
  if (!failed_.ok()) return;
  failed_ = status;
  env_.logger.Log(LogLevel::kError, "offsets store " + dir_ + " failed: " + status.ToString());
}

void OffsetStore::MaybeCompact() {
  if (compacting_ || previous_ != nullptr || !failed_.ok() || entries_.empty()) return;
  const int64_t live = static_cast<int64_t>(entries_.size());
  const int64_t threshold =
      std::max(config_.compact_min_records, config_.compact_garbage_factor * live);
  if (log_records() < threshold && !env_.buggify.Fire("group/offsets-compact-early")) return;
  Status s = CompactNow();
  if (!s.ok()) env_.logger.Log(LogLevel::kWarn, "offsets compaction: " + s.ToString());
}

Status OffsetStore::CompactNow() {
  if (!failed_.ok()) return failed_;
  if (compacting_ || previous_ != nullptr) return Status::Ok();
  if (entries_.empty()) return Status::Ok();
  const uint64_t number = active_->number + 1;
  RemoveLogDir(LogPath(number));  // a leftover would be replayed as ours
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<LogSlot> slot, OpenLog(number));
  if (slot->log->end_offset() != Offset(0)) return Internal(LogPath(number) + " is not empty");
  std::vector<RecordInput> records;
  records.reserve(entries_.size());
  for (const auto& [key, entry] : entries_) {
    RecordInput record;
    record.key = offset_format::EncodeKey(key);
    record.value =
        offset_format::EncodeValue(OffsetValue{offset_format::ValueKind::kSnapshot, entry.latest});
    records.push_back(std::move(record));
  }
  LogSlot* raw = slot.get();
  Result<AppendResult> appended = raw->log->Append(
      records, Epoch(0), [this, raw](Status status) { OnSnapshotDurable(raw, status); });
  if (!appended.ok()) return appended.status();  // the new log is dropped; nothing switched
  ++raw->pending;
  previous_ = std::move(active_);
  active_ = std::move(slot);
  compacting_ = true;
  env_.logger.Log(LogLevel::kInfo, "offsets store: compacting " +
                                       std::to_string(previous_->log->end_offset().value()) +
                                       " records into " + std::to_string(records.size()));
  return Status::Ok();
}

// The snapshot is durable: switch CURRENT, then retire the old log. Writes
// appended to the new log after the snapshot get their callbacks after this
// one (a log completes in order), so they are acknowledged only once CURRENT
// names the log that holds them.
void OffsetStore::OnSnapshotDurable(LogSlot* slot, const Status& status) {
  CHECK(slot == active_.get());
  CHECK(compacting_);
  CHECK(slot->pending > 0);
  --slot->pending;
  if (!status.ok()) {
    Fail(status);
    return;
  }
  Status switched = WriteCurrent(slot->number);
  if (!switched.ok()) {
    Fail(Status(switched.code(),
                "switching CURRENT to " + LogPath(slot->number) + ": " + switched.message()));
    return;
  }
  compacting_ = false;
  ++compactions_;
  RetirePreviousWhenIdle();
}

// The old log may be destroyed only once no callback of it is pending, and
// never from inside one of its own callbacks: do it from a fresh task.
void OffsetStore::RetirePreviousWhenIdle() {
  if (compacting_ || previous_ == nullptr || previous_->pending > 0 || retire_timer_ != kNoTimer) {
    return;
  }
  retire_timer_ = env_.clock.After(0, [this] {
    retire_timer_ = kNoTimer;
    if (previous_ == nullptr || previous_->pending > 0) return;
    const std::string path = LogPath(previous_->number);
    previous_.reset();
    RemoveLogDir(path);
  });
}

}  // namespace gafka
