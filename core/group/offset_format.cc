#include "core/group/offset_format.h"

#include <cstdio>

#include "core/base/check.h"
#include "core/base/coding.h"
#include "core/base/crc32c.h"

namespace gafka::offset_format {
namespace {

// Reads fields front to back; every read checks the remaining length first.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool U8(uint8_t* v) {
    if (rest_.size() < 1) return false;
    *v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool U16(uint16_t* v) {
    if (rest_.size() < 2) return false;
    *v = DecodeFixed16(rest_.data());
    rest_.remove_prefix(2);
    return true;
  }
  bool U32(uint32_t* v) {
    if (rest_.size() < 4) return false;
    *v = DecodeFixed32(rest_.data());
    rest_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (rest_.size() < 8) return false;
    *v = DecodeFixed64(rest_.data());
    rest_.remove_prefix(8);
    return true;
  }
  bool Bytes(size_t n, std::string* out) {
    if (rest_.size() < n) return false;
    out->assign(rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

void PutName(std::string* dst, const std::string& name) {
  CHECK_MSG(name.size() <= kMaxNameBytes, "offset key name too long");
  PutFixed16(dst, static_cast<uint16_t>(name.size()));
  dst->append(name);
}

bool GetName(Reader* reader, std::string* name) {
  uint16_t length = 0;
  return reader->U16(&length) && reader->Bytes(length, name);
}

}  // namespace

std::string EncodeKey(const OffsetKey& key) {
  std::string out;
  out.reserve(1 + 2 + key.group.size() + 2 + key.tp.topic.size() + 4);
  PutFixed8(&out, kFormat);
  PutName(&out, key.group);
  PutName(&out, key.tp.topic);
  PutFixed32(&out, static_cast<uint32_t>(key.tp.partition.value()));
  return out;
}

bool DecodeKey(std::string_view bytes, OffsetKey* key) {
  CHECK(key != nullptr);
  Reader reader(bytes);
  uint8_t format = 0;
  uint32_t partition = 0;
  if (!reader.U8(&format) || format != kFormat) return false;
  if (!GetName(&reader, &key->group) || !GetName(&reader, &key->tp.topic)) return false;
  if (!reader.U32(&partition) || !reader.done()) return false;
  key->tp.partition = PartitionId(static_cast<int32_t>(partition));
  return key->tp.partition.value() >= 0;
}

std::string EncodeValue(const OffsetValue& value) {
  const CommittedOffset& c = value.committed;
  CHECK(c.offset.value() >= 0);
  std::string out;
  out.reserve(1 + 1 + 8 + 8 + 4 + c.metadata.size());
  PutFixed8(&out, kFormat);
  PutFixed8(&out, static_cast<uint8_t>(value.kind));
  PutFixed64(&out, static_cast<uint64_t>(c.offset.value()));
  PutFixed64(&out, static_cast<uint64_t>(c.commit_timestamp_ms));
  PutFixed32(&out, static_cast<uint32_t>(c.metadata.size()));
  out.append(c.metadata);
  return out;
}

bool DecodeValue(std::string_view bytes, OffsetValue* value) {
  CHECK(value != nullptr);
  Reader reader(bytes);
  uint8_t format = 0;
  uint8_t kind = 0;
  uint64_t offset = 0;
  uint64_t timestamp_ms = 0;
  uint32_t metadata_length = 0;
  if (!reader.U8(&format) || format != kFormat || !reader.U8(&kind)) return false;
  if (kind < static_cast<uint8_t>(ValueKind::kCommit) ||
      kind > static_cast<uint8_t>(ValueKind::kSnapshot)) {
    return false;
  }
  if (!reader.U64(&offset) || !reader.U64(&timestamp_ms) || !reader.U32(&metadata_length)) {
    return false;
  }
  if (!reader.Bytes(metadata_length, &value->committed.metadata) || !reader.done()) return false;
  value->kind = static_cast<ValueKind>(kind);
  value->committed.offset = Offset(static_cast<int64_t>(offset));
  value->committed.commit_timestamp_ms = static_cast<Millis>(timestamp_ms);
  return value->committed.offset.value() >= 0;
}

std::string EncodeCounter(uint32_t magic, uint64_t value) {
  std::string out;
  PutFixed32(&out, magic);
  PutFixed32(&out, kFormat);
  PutFixed64(&out, value);
  PutFixed32(&out, crc32c::Value(out));
  CHECK(out.size() == kCounterSize);
  return out;
}

Result<uint64_t> DecodeCounter(uint32_t magic, std::string_view bytes) {
  if (bytes.size() != kCounterSize) {
    return Corruption("has " + std::to_string(bytes.size()) + " bytes, expected " +
                      std::to_string(kCounterSize));
  }
  if (DecodeFixed32(bytes.data() + 16) != crc32c::Value(bytes.data(), 16)) {
    return Corruption("fails its CRC");
  }
  if (DecodeFixed32(bytes.data()) != magic || DecodeFixed32(bytes.data() + 4) != kFormat) {
    return Corruption("has an unknown magic or format");
  }
  return DecodeFixed64(bytes.data() + 8);
}

std::string LogDirName(uint64_t log_number) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "log-%020llu", static_cast<unsigned long long>(log_number));
  return buffer;
}

std::optional<uint64_t> ParseLogDirName(std::string_view name) {
  constexpr std::string_view kPrefix = "log-";
  if (name.size() != kPrefix.size() + 20 || name.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  uint64_t number = 0;
  for (char c : name.substr(kPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (number > (UINT64_MAX - digit) / 10) return std::nullopt;
    number = number * 10 + digit;
  }
  return number;
}

}  // namespace gafka::offset_format
