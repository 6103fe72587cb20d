// Segment: one `<base>.log` file of a partition log, its in-memory
// SegmentIndex and its sync bookkeeping; RecordCursor: sequential, buffered,
// CRC-checked reading of a segment file. File layout: docs/wal-format.md.
//
// Owned by PartitionLog (one unique_ptr per segment, keyed by base offset);
// single-threaded, used from the core loop only.
//
// Invariants
// - the file holds exactly index().size() bytes of valid records (records
//   [base, next) back to back), except after an I/O error has failed the log;
// - sealed() implies: the data was synced, nothing more is appended, and
//   `<base>.index` holds index() with a valid footer;
// - synced_writes() <= writes(); dirty() == (synced_writes() != writes()).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/env/env.h"
#include "core/log/index.h"
#include "core/log/record.h"

namespace gafka::wal {

// `<base offset as 20 zero-padded digits>.log` / `.index`.
std::string SegmentLogName(Offset base_offset);
std::string SegmentIndexName(Offset base_offset);
enum class SegmentFileKind { kLog, kIndex };
// Parses a name made by the two functions above; false for anything else.
bool ParseSegmentFileName(std::string_view name, Offset* base_offset, SegmentFileKind* kind);

// The header fields of one record about to be written, for the index.
struct RecordMeta {
  Offset offset;
  Millis timestamp_ms = 0;
  Epoch epoch;
  size_t size = 0;
};

class Segment {
 public:
  Segment(std::string dir, std::unique_ptr<File> file, SegmentIndex index, bool sealed,
          Millis created_ms);

  // Appends encoded records (their metas in order, sizes summing to
  // bytes.size()). On a write error the file is cut back to its old size; if
  // that fails too, *file_damaged is set and the caller must fail the log.
  Status Append(std::string_view bytes, std::span<const RecordMeta> metas, bool* file_damaged);

  // Cuts the segment so that `new_next` is its next offset. Unseals it
  // (removes the index file) first when sealed. Reads the records between
  // the nearest index entry and the cut to find the position.
  Status Truncate(Disk& disk, Offset new_next);

  // Writes the index file with its footer and syncs it (segment data must be
  // synced already and no more appends may follow).
  Status Seal(Disk& disk);

  Offset base_offset() const { return index_.base_offset(); }
  Offset next_offset() const { return index_.next_offset(); }
  uint64_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  const SegmentIndex& index() const { return index_; }
  // Where a read of `from` starts: the index entry at or before it, or a
  // later position where an earlier read ended (so a tailing reader goes on
  // where it stopped instead of re-scanning up to index-interval bytes of
  // records from the sparse entry). The hint's max_timestamp_before_ms is
  // not kept: use index().Lookup() for timestamps.
  IndexPosition ReadStart(Offset from) const;
  // Record `offset` (<= next_offset()) starts at byte `position`: a read
  // ended there. Forgotten by Truncate (offsets are reused after a cut).
  void NoteReadEnd(Offset offset, uint64_t position);
  File& file() { return *file_; }
  const std::string& log_path() const { return file_->path(); }
  std::string index_path() const;
  bool sealed() const { return sealed_; }
  Millis created_ms() const { return created_ms_; }
  void set_created_ms(Millis ms) { created_ms_ = ms; }

  // Sync bookkeeping: every Append/Truncate is one write; a sync that
  // started after write N makes writes <= N durable.
  uint64_t writes() const { return writes_; }
  uint64_t synced_writes() const { return synced_writes_; }
  bool dirty() const { return synced_writes_ != writes_; }
  void MarkSynced(uint64_t writes);
  void MarkDirty() { ++writes_; }

 private:
  std::string dir_;
  std::unique_ptr<File> file_;
  SegmentIndex index_;
  bool sealed_;
  Millis created_ms_;
  uint64_t writes_ = 0;
  uint64_t synced_writes_ = 0;
  // A few read ends (one per concurrent tailing reader, round robin).
  static constexpr size_t kReadHints = 4;
  std::array<IndexPosition, kReadHints> read_hints_{};
  size_t next_read_hint_ = 0;
};

// Reads consecutive records of one file from `position` up to `end` through a
// buffer of at least `chunk_bytes` (grown for larger records). Every record
// is CRC-checked; a bad one is reported, never returned.
class RecordCursor {
 public:
  static constexpr size_t kDefaultChunkBytes = 64 << 10;
  RecordCursor(File& file, uint64_t position, uint64_t end,
               size_t chunk_bytes = kDefaultChunkBytes);

  enum class Step {
    kRecord,  // *checked (and *record when given) describe the record; advanced
    kEnd,     // position() == end
    kBad,     // the bytes at position() are not a valid record (checked->outcome)
  };
  // I/O errors come back as a Status; everything else as a Step.
  Result<Step> Next(Checked* checked, Record* record);

  uint64_t position() const { return position_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  // Makes [position_, position_ + n) buffered if the file has it.
  Status Fill(size_t n);
  size_t Buffered() const;

  File& file_;
  uint64_t position_;
  uint64_t end_;
  size_t chunk_bytes_;
  std::string buffer_;
  std::string scratch_;           // what one File::Read returned
  uint64_t buffer_position_ = 0;  // file position of buffer_[0]
  uint64_t bytes_read_ = 0;
};

}  // namespace gafka::wal
