// Record encoding. The layout is in record.h and, byte by byte, in
// docs/wal-format.md. Decoding is defensive: every length read from the
// bytes is checked against what is actually there before it is used, so
// garbage (a torn tail, a flipped bit, zeros) can only produce an outcome,
// never an out-of-bounds read.
#include "core/log/record.h"

#include "core/base/check.h"
#include "core/base/coding.h"
#include "core/base/crc32c.h"

namespace gafka::wal {
namespace {

// Field positions inside the fixed header.
constexpr size_t kLengthAt = 0;
constexpr size_t kCrcAt = 4;
constexpr size_t kMagicAt = 8;
constexpr size_t kAttributesAt = 9;
constexpr size_t kReservedAt = 10;
constexpr size_t kEpochAt = 12;
constexpr size_t kOffsetAt = 16;
constexpr size_t kTimestampAt = 24;
constexpr size_t kKeyLengthAt = 32;
constexpr size_t kValueLengthAt = 36;
constexpr size_t kHeaderCountAt = 40;
static_assert(kHeaderCountAt + 4 == kHeaderSize);
static_assert(kCrcAt + 4 == kCrcStart);

// The smallest legal value of the length field: a header with no payload.
constexpr uint32_t kMinLength = kHeaderSize - 4;

// Walks the payload (key, value, headers) of a record whose CRC checked.
// Returns false when the inner lengths do not add up to exactly `end`.
// When `out` is given, copies the fields into it.
bool ParsePayload(const char* p, size_t end, Record* out) {
  CHECK(p != nullptr);
  CHECK(end >= kHeaderSize);
  const uint32_t key_length = DecodeFixed32(p + kKeyLengthAt);
  const uint32_t value_length = DecodeFixed32(p + kValueLengthAt);
  const uint32_t header_count = DecodeFixed32(p + kHeaderCountAt);
  size_t at = kHeaderSize;
  if (key_length != kNullKey) {
    if (key_length > end - at) return false;
    if (out) out->key.emplace(p + at, key_length);
    at += key_length;
  }
  if (value_length > end - at) return false;
  if (out) out->value.assign(p + at, value_length);
  at += value_length;
  // Each header takes at least 8 bytes: bound the count before looping.
  if (header_count > (end - at) / 8) return false;
  if (out) out->headers.reserve(header_count);
  for (uint32_t i = 0; i < header_count; ++i) {
    std::string_view fields[2];
    for (auto& field : fields) {
      if (end - at < 4) return false;
      const uint32_t n = DecodeFixed32(p + at);
      at += 4;
      if (n > end - at) return false;
      field = std::string_view(p + at, n);
      at += n;
    }
    if (out) out->headers.push_back(RecordHeader{std::string(fields[0]), std::string(fields[1])});
  }
  return at == end;
}

}  // namespace

size_t EncodedSize(const Record& r) {
  size_t size = kHeaderSize + (r.key ? r.key->size() : 0) + r.value.size();
  for (const auto& h : r.headers) size += 8 + h.key.size() + h.value.size();
  return size;
}

void EncodeRecord(const Record& r, std::string* dst) {
  CHECK(dst != nullptr);
  CHECK(r.offset.value() >= 0);
  const size_t size = EncodedSize(r);
  CHECK_MSG(size - 4 <= kMaxRecordLength, "record over kMaxRecordLength");
  CHECK(!r.key || r.key->size() < kNullKey);
  const size_t start = dst->size();
  PutFixed32(dst, static_cast<uint32_t>(size - 4));
  PutFixed32(dst, 0);  // CRC, filled in below
  PutFixed8(dst, kMagic);
  PutFixed8(dst, 0);   // attributes
  PutFixed16(dst, 0);  // reserved
  PutFixed32(dst, static_cast<uint32_t>(r.epoch.value()));
  PutFixed64(dst, static_cast<uint64_t>(r.offset.value()));
  PutFixed64(dst, static_cast<uint64_t>(r.timestamp_ms));
  PutFixed32(dst, r.key ? static_cast<uint32_t>(r.key->size()) : kNullKey);
  PutFixed32(dst, static_cast<uint32_t>(r.value.size()));
  PutFixed32(dst, static_cast<uint32_t>(r.headers.size()));
  if (r.key) dst->append(*r.key);
  dst->append(r.value);
  for (const auto& h : r.headers) {
    PutFixed32(dst, static_cast<uint32_t>(h.key.size()));
    dst->append(h.key);
    PutFixed32(dst, static_cast<uint32_t>(h.value.size()));
    dst->append(h.value);
  }
  CHECK(dst->size() - start == size);
  char* p = dst->data() + start;
  EncodeFixed32(p + kCrcAt, crc32c::Value(p + kCrcStart, size - kCrcStart));
}

Checked CheckRecord(const char* data, size_t n) {
  CHECK(data != nullptr || n == 0);
  Checked c;
  if (n < 4) return c;  // kTruncated
  const uint32_t length = DecodeFixed32(data + kLengthAt);
  if (length < kMinLength || length > kMaxRecordLength) {
    c.outcome = DecodeOutcome::kBadLength;
    return c;
  }
  if (n > kMagicAt && static_cast<uint8_t>(data[kMagicAt]) != kMagic) {
    c.outcome = DecodeOutcome::kBadMagic;
    return c;
  }
  const size_t size = size_t{4} + length;
  if (n < size) return c;  // kTruncated: the declared record runs past the data
  const uint32_t crc = crc32c::Value(data + kCrcStart, size - kCrcStart);
  if (crc != DecodeFixed32(data + kCrcAt)) {
    c.outcome = DecodeOutcome::kBadCrc;
    return c;
  }
  const auto offset = static_cast<int64_t>(DecodeFixed64(data + kOffsetAt));
  if (data[kAttributesAt] != 0 || DecodeFixed16(data + kReservedAt) != 0 || offset < 0 ||
      !ParsePayload(data, size, nullptr)) {
    c.outcome = DecodeOutcome::kBadLayout;
    return c;
  }
  c.outcome = DecodeOutcome::kOk;
  c.size = size;
  c.offset = Offset(offset);
  c.timestamp_ms = static_cast<Millis>(DecodeFixed64(data + kTimestampAt));
  c.epoch = Epoch(static_cast<int32_t>(DecodeFixed32(data + kEpochAt)));
  CHECK(c.size >= kHeaderSize && c.size <= n);
  return c;
}

Decoded DecodeRecord(const char* data, size_t n) {
  Decoded d;
  const Checked c = CheckRecord(data, n);
  d.outcome = c.outcome;
  if (c.outcome != DecodeOutcome::kOk) return d;
  d.size = c.size;
  d.record.offset = c.offset;
  d.record.timestamp_ms = c.timestamp_ms;
  d.record.epoch = c.epoch;
  const bool parsed = ParsePayload(data, c.size, &d.record);
  CHECK_MSG(parsed, "payload parsed by CheckRecord must parse again");
  return d;
}

bool PeekHeader(const char* data, size_t n, size_t* total_size, Offset* offset) {
  CHECK(total_size != nullptr);
  CHECK(offset != nullptr);
  if (n < kHeaderSize) return false;
  const uint32_t length = DecodeFixed32(data + kLengthAt);
  if (length < kMinLength || length > kMaxRecordLength) return false;
  if (static_cast<uint8_t>(data[kMagicAt]) != kMagic) return false;
  *total_size = size_t{4} + length;
  *offset = Offset(static_cast<int64_t>(DecodeFixed64(data + kOffsetAt)));
  return true;
}

const char* DecodeOutcomeName(DecodeOutcome o) {
  switch (o) {
    case DecodeOutcome::kOk:
      return "ok";
    case DecodeOutcome::kTruncated:
      return "truncated";
    case DecodeOutcome::kBadLength:
      return "bad length";
    case DecodeOutcome::kBadMagic:
      return "bad magic";
    case DecodeOutcome::kBadCrc:
      return "bad crc";
    case DecodeOutcome::kBadLayout:
      return "bad layout";
  }
  return "unknown";
}

}  // namespace gafka::wal
