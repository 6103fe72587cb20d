// One log record and its on-disk encoding. Byte layout: docs/wal-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"

namespace gafka {

struct RecordHeader {
  std::string key;
  std::string value;
  bool operator==(const RecordHeader&) const = default;
};

// What a producer hands to the log: the log assigns offset and epoch, and the
// timestamp when the producer gave none.
struct RecordInput {
  std::optional<std::string> key;
  std::string value;
  std::vector<RecordHeader> headers;
  std::optional<Millis> timestamp_ms;
};

// A record as stored and served.
struct Record {
  Offset offset;
  Millis timestamp_ms = 0;
  Epoch epoch;
  std::optional<std::string> key;
  std::string value;
  std::vector<RecordHeader> headers;

  bool operator==(const Record&) const = default;
};

namespace wal {

constexpr uint8_t kMagic = 0x67;  // 'g'
// length(4) crc(4) magic(1) attributes(1) reserved(2) epoch(4) offset(8)
// timestamp(8) key_length(4) value_length(4) header_count(4)
constexpr size_t kHeaderSize = 44;
// Offset of the first byte covered by the CRC (everything after the CRC).
constexpr size_t kCrcStart = 8;
// A record's length field counts the bytes after itself.
constexpr uint32_t kMaxRecordLength = 64u << 20;  // 64 MiB: larger lengths are garbage
constexpr uint32_t kNullKey = 0xFFFFFFFFu;

// Appends the encoding of `r` to *dst.
void EncodeRecord(const Record& r, std::string* dst);
// Size EncodeRecord would produce.
size_t EncodedSize(const Record& r);

enum class DecodeOutcome {
  kOk,         // a whole record with a valid CRC
  kTruncated,  // fewer bytes than the header or the declared length: a short tail
  kBadLength,  // length field impossible (too small / over kMaxRecordLength)
  kBadMagic,   // unknown format byte
  kBadCrc,     // CRC mismatch
  kBadLayout,  // CRC ok but inner lengths inconsistent (a bug or a forged record)
};
const char* DecodeOutcomeName(DecodeOutcome o);

struct Decoded {
  DecodeOutcome outcome = DecodeOutcome::kTruncated;
  size_t size = 0;  // bytes consumed when kOk
  Record record;
};

// Decodes one record from the start of [data, data+n). Never reads outside
// [data, data+n), whatever the bytes are.
Decoded DecodeRecord(const char* data, size_t n);

// What CheckRecord learns without copying key, value or headers.
struct Checked {
  DecodeOutcome outcome = DecodeOutcome::kTruncated;
  size_t size = 0;  // bytes of the whole record when kOk
  Offset offset;
  Millis timestamp_ms = 0;
  Epoch epoch;
};

// Verifies one record at the start of [data, data+n) exactly as DecodeRecord
// does (length, magic, CRC, inner layout) but copies nothing: the recovery
// scan uses it to walk a segment quickly.
Checked CheckRecord(const char* data, size_t n);

// Peeks at the header only (no CRC check): the total record size and offset,
// when the header is complete. Used by the sparse-index scan of a segment.
bool PeekHeader(const char* data, size_t n, size_t* total_size, Offset* offset);

}  // namespace wal
}  // namespace gafka
