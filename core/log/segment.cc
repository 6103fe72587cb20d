// Segment files and sequential record reading (docs/wal-format.md).
#include "core/log/segment.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"

namespace gafka::wal {
namespace {

constexpr size_t kNameDigits = 20;
constexpr std::string_view kLogSuffix = ".log";
constexpr std::string_view kIndexSuffix = ".index";

std::string Digits(Offset base_offset) {
  CHECK(base_offset.value() >= 0);
  std::string digits(kNameDigits, '0');
  auto v = static_cast<uint64_t>(base_offset.value());
  for (size_t i = kNameDigits; i > 0 && v > 0; --i, v /= 10) {
    digits[i - 1] = static_cast<char>('0' + v % 10);
  }
  CHECK(v == 0);
  return digits;
}

}  // namespace

std::string SegmentLogName(Offset base_offset) {
  return Digits(base_offset) + std::string(kLogSuffix);
}

std::string SegmentIndexName(Offset base_offset) {
  return Digits(base_offset) + std::string(kIndexSuffix);
}

bool ParseSegmentFileName(std::string_view name, Offset* base_offset, SegmentFileKind* kind) {
  CHECK(base_offset != nullptr);
  CHECK(kind != nullptr);
  if (name.size() < kNameDigits) return false;
  const std::string_view suffix = name.substr(kNameDigits);
  if (suffix == kLogSuffix) {
    *kind = SegmentFileKind::kLog;
  } else if (suffix == kIndexSuffix) {
    *kind = SegmentFileKind::kIndex;
  } else {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < kNameDigits; ++i) {
    const char ch = name[i];
    if (ch < '0' || ch > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(ch - '0');
    if (v > (static_cast<uint64_t>(INT64_MAX) - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *base_offset = Offset(static_cast<int64_t>(v));
  return true;
}

Segment::Segment(std::string dir, std::unique_ptr<File> file, SegmentIndex index, bool sealed,
                 Millis created_ms)
    : dir_(std::move(dir)),
      file_(std::move(file)),
      index_(std::move(index)),
      sealed_(sealed),
      created_ms_(created_ms) {
  CHECK(file_ != nullptr);
  CHECK(file_->Size() >= index_.size());
}

std::string Segment::index_path() const { return dir_ + "/" + SegmentIndexName(base_offset()); }

void Segment::MarkSynced(uint64_t writes) {
  CHECK(writes <= writes_);
  synced_writes_ = std::max(synced_writes_, writes);
  CHECK(synced_writes_ <= writes_);
}

Status Segment::Append(std::string_view bytes, std::span<const RecordMeta> metas,
                       bool* file_damaged) {
  CHECK(!sealed_);
  CHECK(!metas.empty());
  CHECK(file_damaged != nullptr);
  *file_damaged = false;
  const uint64_t old_size = index_.size();
  ++writes_;
  Status s = file_->Append(bytes);
  if (!s.ok()) {
    // A failed write may have left part of the bytes behind: cut them.
    if (file_->Size() != old_size && !file_->Truncate(old_size).ok()) *file_damaged = true;
    return s;
  }
  uint64_t position = old_size;
  for (const RecordMeta& m : metas) {
    index_.Add(m.offset, position, m.size, m.timestamp_ms, m.epoch);
    position += m.size;
  }
  CHECK(position == old_size + bytes.size());
  return Status::Ok();
}

IndexPosition Segment::ReadStart(Offset from) const {
  IndexPosition start = index_.Lookup(from);
  for (const IndexPosition& hint : read_hints_) {
    if (hint.offset > start.offset && hint.offset <= from && hint.offset <= next_offset()) {
      start = IndexPosition{hint.offset, hint.position, kNoTimestamp};
    }
  }
  return start;
}

void Segment::NoteReadEnd(Offset offset, uint64_t position) {
  CHECK(offset >= base_offset() && offset <= next_offset() && position <= size());
  if (offset == base_offset()) return;  // the index has it
  for (const IndexPosition& hint : read_hints_) {
    if (hint.offset == offset) return;
  }
  read_hints_[next_read_hint_] = IndexPosition{offset, position, kNoTimestamp};
  next_read_hint_ = (next_read_hint_ + 1) % kReadHints;
}

Status Segment::Truncate(Disk& disk, Offset new_next) {
  CHECK(new_next >= base_offset() && new_next <= next_offset());
  if (new_next == next_offset()) return Status::Ok();
  read_hints_.fill(IndexPosition{});
  uint64_t position = 0;
  Millis max_timestamp_ms = kNoTimestamp;
  if (new_next > base_offset()) {
    // Walk from the last index entry before the cut to find its position and
    // the largest timestamp that stays.
    const IndexPosition start = index_.Lookup(new_next - 1);
    max_timestamp_ms = start.max_timestamp_before_ms;
    RecordCursor cursor(*file_, start.position, index_.size());
    for (Offset expected = start.offset; expected < new_next; ++expected) {
      Checked c;
      GAFKA_ASSIGN_OR_RETURN(RecordCursor::Step step, cursor.Next(&c, nullptr));
      if (step != RecordCursor::Step::kRecord || c.offset != expected) {
        return Corruption(log_path() + ": invalid record at byte " +
                          std::to_string(cursor.position()) + " (offset " +
                          std::to_string(expected.value()) + ") while truncating");
      }
      max_timestamp_ms = std::max(max_timestamp_ms, c.timestamp_ms);
    }
    position = cursor.position();
  }
  if (sealed_) {
    // The seal must be gone (durably) before the file shrinks, or recovery
    // would find a sealed segment shorter than its seal: "corruption".
    Status removed = disk.Remove(index_path());
    if (!removed.ok() && removed.code() != Code::kNotFound) return removed;
    GAFKA_RETURN_IF_ERROR(disk.SyncDir(dir_));
    sealed_ = false;
  }
  GAFKA_RETURN_IF_ERROR(file_->Truncate(position));
  index_.Truncate(new_next, position, max_timestamp_ms);
  ++writes_;
  return Status::Ok();
}

Status Segment::Seal(Disk& disk) {
  CHECK(!sealed_);
  CHECK_MSG(!dirty(), "seal only synced segments");
  Result<std::unique_ptr<File>> opened = disk.Open(index_path(), OpenMode::kTruncate);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<File> index_file = std::move(opened).value();
  Status s = index_file->Append(index_.EncodeFile());
  if (s.ok()) s = index_file->SyncNow();
  if (s.ok()) s = disk.SyncDir(dir_);
  if (!s.ok()) {
    // An unsealed segment is merely scanned at recovery; a half-written seal
    // fails its CRC. Remove it anyway to keep the directory tidy.
    index_file.reset();
    disk.Remove(index_path()).IgnoreError();
    return s;
  }
  sealed_ = true;
  return Status::Ok();
}

RecordCursor::RecordCursor(File& file, uint64_t position, uint64_t end, size_t chunk_bytes)
    : file_(file), position_(position), end_(end), chunk_bytes_(chunk_bytes) {
  CHECK(position <= end);
  CHECK(chunk_bytes >= kHeaderSize);
}

size_t RecordCursor::Buffered() const {
  if (position_ < buffer_position_ || position_ >= buffer_position_ + buffer_.size()) return 0;
  const uint64_t in_buffer = buffer_position_ + buffer_.size() - position_;
  return static_cast<size_t>(std::min(in_buffer, end_ - position_));
}

Status RecordCursor::Fill(size_t n) {
  CHECK(position_ + n <= end_);
  if (Buffered() >= n) return Status::Ok();
  // Keep the unread bytes already buffered and read only what is missing, so
  // a record that straddles two chunks is not read twice.
  if (position_ >= buffer_position_ && position_ <= buffer_position_ + buffer_.size()) {
    buffer_.erase(0, static_cast<size_t>(position_ - buffer_position_));
  } else {
    buffer_.clear();
  }
  buffer_position_ = position_;
  const uint64_t want = std::min<uint64_t>(std::max(n, chunk_bytes_), end_ - position_);
  CHECK(buffer_.size() < want);
  GAFKA_RETURN_IF_ERROR(file_.Read(position_ + buffer_.size(),
                                   static_cast<size_t>(want - buffer_.size()), &scratch_));
  bytes_read_ += scratch_.size();
  buffer_.append(scratch_);
  return Status::Ok();
}

Result<RecordCursor::Step> RecordCursor::Next(Checked* checked, Record* record) {
  CHECK(checked != nullptr);
  CHECK(position_ <= end_);
  if (position_ == end_) return Step::kEnd;
  const uint64_t remaining = end_ - position_;
  GAFKA_RETURN_IF_ERROR(Fill(static_cast<size_t>(std::min<uint64_t>(remaining, kHeaderSize))));
  auto inspect = [&] {
    const char* p = Buffered() == 0 ? nullptr : buffer_.data() + (position_ - buffer_position_);
    if (record == nullptr) {
      *checked = CheckRecord(p, Buffered());
      return;
    }
    Decoded d = DecodeRecord(p, Buffered());
    *checked = Checked{d.outcome, d.size, d.record.offset, d.record.timestamp_ms, d.record.epoch};
    if (d.outcome == DecodeOutcome::kOk) *record = std::move(d.record);
  };
  inspect();
  if (checked->outcome == DecodeOutcome::kTruncated && Buffered() >= 4 && Buffered() < remaining) {
    // The record is longer than what is buffered: read all of it.
    size_t total = 0;
    Offset ignored;
    const char* p = buffer_.data() + (position_ - buffer_position_);
    if (!PeekHeader(p, Buffered(), &total, &ignored)) total = kHeaderSize;
    GAFKA_RETURN_IF_ERROR(Fill(static_cast<size_t>(std::min<uint64_t>(total, remaining))));
    inspect();
  }
  if (checked->outcome != DecodeOutcome::kOk) return Step::kBad;
  position_ += checked->size;
  CHECK(position_ <= end_);
  return Step::kRecord;
}

}  // namespace gafka::wal
