// The rules every client-supplied name, id and number must pass (SPEC §1,
// docs/api.md "Validation"), as pure functions shared by the JSON body and
// query-string decoders. Each returns the ApiError to send, or nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/protocol/codec.h"
#include "core/protocol/messages.h"

namespace gafka {

using MaybeError = std::optional<ApiError>;

// Offsets and timestamps from clients stop at 2^53-1: beyond it JSON
// numbers lose precision in JavaScript, and no real log gets there.
inline constexpr int64_t kMaxClientOffset = (int64_t{1} << 53) - 1;
inline constexpr int64_t kMaxClientTimestampMs = (int64_t{1} << 53) - 1;
// Consumer-group session timeouts a join may ask for.
inline constexpr int64_t kMinSessionTimeoutMs = 1'000;
inline constexpr int64_t kMaxSessionTimeoutMs = 300'000;

// `field` names the input in the message ("topic", "messages[2].value").
MaybeError CheckTopicName(std::string_view name, std::string_view field, const ApiLimits& limits);
// Group and consumer ids: 1..max_id_length characters of UTF-8 text without
// control characters (they are echoed in JSON and logs).
MaybeError CheckId(std::string_view id, std::string_view field, const ApiLimits& limits);

// Strict decimal integer: optional '-', 1..19 digits, no spaces, no '+',
// fits in int64.
bool ParseDecimal(std::string_view text, int64_t* out);

// A number 0..kMaxClientOffset, "earliest" or "latest" (40007).
MaybeError ParseOffsetText(std::string_view text, std::string_view field, OffsetSpec* spec,
                           Offset* offset);
// 0..max_partitions-1 (40005).
MaybeError ParsePartitionText(std::string_view text, std::string_view field,
                              const ApiLimits& limits, PartitionId* partition);
// 1..limits.max_count (40008).
MaybeError ParseCountText(std::string_view text, const ApiLimits& limits, int32_t* count);
// "500ms", "30s", "2m" or plain milliseconds; 0..limits.max_timeout_ms (40009).
MaybeError ParseTimeoutText(std::string_view text, std::string_view field, const ApiLimits& limits,
                            Millis* timeout_ms);
// "0", "1", "-1" or "all" (40010).
MaybeError ParseAcksText(std::string_view text, std::string_view field, Acks* acks);
// "true"/"false"/"1"/"0" (40014).
MaybeError ParseBoolText(std::string_view text, std::string_view field, bool* value);

// User text quoted for an error message: 'text', cut to 64 bytes.
std::string Quoted(std::string_view text);

}  // namespace gafka
