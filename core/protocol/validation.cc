#include "core/protocol/validation.h"

#include <limits>

#include "core/protocol/errors.h"
#include "core/protocol/json_writer.h"

namespace gafka {
namespace {

bool IsTopicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string Field(std::string_view field) { return std::string(field); }

}  // namespace

std::string Quoted(std::string_view text) {
  constexpr size_t kMaxEcho = 64;
  std::string quoted = "'";
  quoted.append(text.substr(0, kMaxEcho));
  if (text.size() > kMaxEcho) quoted.append("...");
  quoted.push_back('\'');
  return quoted;
}

MaybeError CheckTopicName(std::string_view name, std::string_view field, const ApiLimits& limits) {
  const char* rule = " must be 1-255 characters of [A-Za-z0-9._-] and not '.' or '..'";
  if (name.empty() || name.size() > limits.max_name_length || name == "." || name == "..") {
    return MakeApiError(api_errors::kBadTopicName,
                        Field(field) + " " + Quoted(name) + " is invalid: it" + rule);
  }
  for (const char c : name) {
    if (!IsTopicChar(c)) {
      return MakeApiError(api_errors::kBadTopicName,
                          Field(field) + " " + Quoted(name) + " is invalid: it" + rule);
    }
  }
  return std::nullopt;
}

MaybeError CheckId(std::string_view id, std::string_view field, const ApiLimits& limits) {
  if (id.empty()) return MakeApiError(api_errors::kBadId, Field(field) + " must not be empty");
  if (!IsValidUtf8(id)) {
    return MakeApiError(api_errors::kBadId, Field(field) + " must be valid UTF-8");
  }
  const size_t length = Utf8Length(id);
  if (length > limits.max_id_length) {
    return MakeApiError(api_errors::kBadId, Field(field) + " is " + std::to_string(length) +
                                                " characters; at most " +
                                                std::to_string(limits.max_id_length) + " allowed");
  }
  for (const char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return MakeApiError(api_errors::kBadId,
                          Field(field) + " must not contain control characters");
    }
  }
  return std::nullopt;
}

bool ParseDecimal(std::string_view text, int64_t* out) {
  bool negative = false;
  if (!text.empty() && text[0] == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 19) return false;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');  // 19 digits cannot overflow uint64
  }
  const uint64_t limit =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  if (value > limit) return false;
  *out = negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
  return true;
}

MaybeError ParseOffsetText(std::string_view text, std::string_view field, OffsetSpec* spec,
                           Offset* offset) {
  if (text == "earliest") {
    *spec = OffsetSpec::kEarliest;
    return std::nullopt;
  }
  if (text == "latest") {
    *spec = OffsetSpec::kLatest;
    return std::nullopt;
  }
  int64_t value = 0;
  if (!ParseDecimal(text, &value) || value < 0 || value > kMaxClientOffset) {
    return MakeApiError(api_errors::kBadOffset,
                        Field(field) + " " + Quoted(text) +
                            " is invalid: use a number 0..9007199254740991, earliest or latest");
  }
  *spec = OffsetSpec::kExplicit;
  *offset = Offset(value);
  return std::nullopt;
}

MaybeError ParsePartitionText(std::string_view text, std::string_view field,
                              const ApiLimits& limits, PartitionId* partition) {
  int64_t value = 0;
  if (!ParseDecimal(text, &value) || value < 0 || value >= limits.max_partitions) {
    return MakeApiError(api_errors::kBadPartition, Field(field) + " " + Quoted(text) +
                                                       " is invalid: use a number 0.." +
                                                       std::to_string(limits.max_partitions - 1));
  }
  *partition = PartitionId(static_cast<int32_t>(value));
  return std::nullopt;
}

MaybeError ParseCountText(std::string_view text, const ApiLimits& limits, int32_t* count) {
  int64_t value = 0;
  if (!ParseDecimal(text, &value) || value < 1 || value > limits.max_count) {
    return MakeApiError(api_errors::kBadCount, "count " + Quoted(text) + " is invalid: use 1.." +
                                                   std::to_string(limits.max_count));
  }
  *count = static_cast<int32_t>(value);
  return std::nullopt;
}

MaybeError ParseTimeoutText(std::string_view text, std::string_view field, const ApiLimits& limits,
                            Millis* timeout_ms) {
  const std::string rule = " is invalid: use 500ms, 30s, 2m or milliseconds, at most " +
                           std::to_string(limits.max_timeout_ms) + " ms";
  int64_t scale = 1;
  std::string_view digits = text;
  if (digits.ends_with("ms")) {
    digits.remove_suffix(2);
  } else if (digits.ends_with("s")) {
    digits.remove_suffix(1);
    scale = 1000;
  } else if (digits.ends_with("m")) {
    digits.remove_suffix(1);
    scale = 60'000;
  }
  int64_t value = 0;
  // Nine digits of minutes still fit in int64 after scaling.
  if (digits.empty() || digits[0] == '-' || digits.size() > 9 || !ParseDecimal(digits, &value) ||
      value * scale > limits.max_timeout_ms) {
    return MakeApiError(api_errors::kBadTimeout, Field(field) + " " + Quoted(text) + rule);
  }
  *timeout_ms = value * scale;
  return std::nullopt;
}

MaybeError ParseAcksText(std::string_view text, std::string_view field, Acks* acks) {
  if (text == "0") {
    *acks = Acks::kNone;
  } else if (text == "1") {
    *acks = Acks::kLeader;
  } else if (text == "all" || text == "-1") {
    *acks = Acks::kAll;
  } else {
    return MakeApiError(api_errors::kBadAcks,
                        Field(field) + " " + Quoted(text) + " is invalid: use 0, 1, -1 or \"all\"");
  }
  return std::nullopt;
}

MaybeError ParseBoolText(std::string_view text, std::string_view field, bool* value) {
  if (text == "true" || text == "1") {
    *value = true;
  } else if (text == "false" || text == "0") {
    *value = false;
  } else {
    return MakeApiError(api_errors::kBadValue,
                        Field(field) + " " + Quoted(text) + " is invalid: use true or false");
  }
  return std::nullopt;
}

}  // namespace gafka
