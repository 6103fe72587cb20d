// On-disk format of committed offsets (byte layout: core/group/README.md,
// "Offsets on disk"). Pure encode/decode; every decoder accepts any bytes
// and never reads outside them.
//
// Each commit or reset is one record of the internal offsets log (a
// PartitionLog, so records carry their own length and CRC):
//   key   = format(1)=1 | group_len(u16) | group | topic_len(u16) | topic | partition(i32)
//   value = format(1)=1 | kind(1) | offset(i64) | commit_timestamp_ms(i64) |
//           metadata_len(u32) | metadata
// all little-endian. Two small counter files sit next to the logs, both
//   magic(u32) | format(u32)=1 | value(u64) | crc32c(u32) of the 16 bytes before
// CURRENT (magic "GOFC") names the active log directory by number; BOOT
// (magic "GOFB") counts coordinator starts, the base of group generations.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/group/group_types.h"

namespace gafka::offset_format {

// What one committed offset is stored under.
struct OffsetKey {
  std::string group;
  TopicPartition tp;

  auto operator<=>(const OffsetKey&) const = default;
  bool operator==(const OffsetKey&) const = default;
};

enum class ValueKind : uint8_t {
  kCommit = 1,    // a member's (or a standalone) commit: never moved the offset backwards
  kReset = 2,     // an explicit reset: may move it anywhere
  kSnapshot = 3,  // rewritten by a compaction: the key's latest value then
};

struct OffsetValue {
  ValueKind kind = ValueKind::kCommit;
  CommittedOffset committed;
};

inline constexpr uint8_t kFormat = 1;
inline constexpr size_t kMaxNameBytes = 0xFFFF;
inline constexpr uint32_t kCurrentMagic = 0x43464F47;  // "GOFC" little-endian
inline constexpr uint32_t kBootMagic = 0x42464F47;     // "GOFB" little-endian
inline constexpr size_t kCounterSize = 20;

// Group and topic must be at most kMaxNameBytes long (CHECKed: the
// coordinator validates ids before anything reaches the disk).
std::string EncodeKey(const OffsetKey& key);
bool DecodeKey(std::string_view bytes, OffsetKey* key);

std::string EncodeValue(const OffsetValue& value);
bool DecodeValue(std::string_view bytes, OffsetValue* value);

std::string EncodeCounter(uint32_t magic, uint64_t value);
// kCorruption when the bytes are not a whole, valid counter with `magic`.
Result<uint64_t> DecodeCounter(uint32_t magic, std::string_view bytes);

// "log-00000000000000000001": directory names of the offsets logs, so that
// a bytewise listing sorts them by number.
std::string LogDirName(uint64_t log_number);
std::optional<uint64_t> ParseLogDirName(std::string_view name);

}  // namespace gafka::offset_format
