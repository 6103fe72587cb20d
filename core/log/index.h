// SegmentIndex: everything the log knows about one segment without reading
// its records — the sparse offset index, the offset and byte extent, the
// largest timestamp and where each leader epoch starts. Built while records
// are appended (or by the recovery scan), kept in memory for every segment,
// and written to `<base>.index` when the segment is sealed. Layout of the
// index file: docs/wal-format.md ("Index file and seal").
//
// Owned by its Segment; single-threaded.
//
// Invariants
// - entries are strictly increasing in relative offset and in position;
// - an entry is added for the first record that starts at least
//   `interval_bytes` after the previous entry (or after position 0), so the
//   same records always give the same entries, whether appended or scanned;
// - epochs are strictly increasing, their offsets too, and the first one (if
//   any) is the segment's first record.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"

namespace gafka::wal {

// The timestamp of "no record yet".
constexpr Millis kNoTimestamp = std::numeric_limits<Millis>::min();

struct IndexEntry {
  uint32_t relative_offset = 0;  // record offset - segment base offset
  uint32_t position = 0;         // byte position of that record in the .log
  // Largest timestamp of the records before `position` in this segment
  // (kNoTimestamp if none): lets OffsetForTimestamp skip ahead.
  Millis max_timestamp_before_ms = kNoTimestamp;
  bool operator==(const IndexEntry&) const = default;
};

struct EpochStart {
  Epoch epoch;
  Offset offset;
  bool operator==(const EpochStart&) const = default;
};

// Where to start reading for a lookup: a record boundary at or before the
// wanted record.
struct IndexPosition {
  Offset offset;
  uint64_t position = 0;
  Millis max_timestamp_before_ms = kNoTimestamp;  // of the records before `position`
};

// The index file's footer, fixed size, at the very end of the file.
constexpr uint32_t kIndexMagic = 0x31584947;  // "GIX1" little-endian
constexpr uint32_t kIndexVersion = 1;
constexpr size_t kIndexEntrySize = 16;
constexpr size_t kEpochEntrySize = 12;
constexpr size_t kIndexFooterSize = 52;

class SegmentIndex {
 public:
  SegmentIndex(Offset base_offset, uint64_t interval_bytes);

  // Notes one record of `size` bytes that starts at `position` (== size()).
  void Add(Offset offset, uint64_t position, size_t size, Millis timestamp_ms, Epoch epoch);

  // The last indexed record boundary at or before `offset` (>= base).
  IndexPosition Lookup(Offset offset) const;
  // A record boundary before which every record's timestamp is < ts.
  IndexPosition LookupTimestamp(Millis timestamp_ms) const;

  // Forgets every record at or after `new_next` (which starts at byte
  // `new_size`); `max_timestamp_ms` is the largest timestamp of what stays.
  void Truncate(Offset new_next, uint64_t new_size, Millis max_timestamp_ms);

  // The sealed index file: entries, epochs, footer with CRC32C.
  std::string EncodeFile() const;
  // Parses an index file written by EncodeFile for the segment at `base`;
  // kCorruption when anything is off (the caller then scans the segment).
  static Result<SegmentIndex> DecodeFile(std::string_view bytes, Offset base_offset,
                                         uint64_t interval_bytes);

  Offset base_offset() const { return base_offset_; }
  Offset next_offset() const { return next_offset_; }
  uint64_t size() const { return size_; }
  bool empty() const { return next_offset_ == base_offset_; }
  Millis max_timestamp_ms() const { return max_timestamp_ms_; }
  const std::vector<IndexEntry>& entries() const { return entries_; }
  const std::vector<EpochStart>& epochs() const { return epochs_; }

 private:
  Status Validate() const;

  Offset base_offset_;
  uint64_t interval_bytes_;
  Offset next_offset_;
  uint64_t size_ = 0;
  uint64_t last_entry_position_ = 0;
  Millis max_timestamp_ms_ = kNoTimestamp;
  std::vector<IndexEntry> entries_;
  std::vector<EpochStart> epochs_;
};

}  // namespace gafka::wal
