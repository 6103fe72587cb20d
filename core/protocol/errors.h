// The error_code table of the HTTP API (docs/api.md, "Errors"), and the one
// place that maps a core Status to it. error_code = http_status*100 + n, so a
// client that only knows the status still reads the right class of error.
#pragma once

#include <string>

#include "core/base/status.h"
#include "core/protocol/messages.h"

namespace gafka::api_errors {

// 400: the request is wrong; retrying it unchanged fails again.
inline constexpr int kInvalidArgument = 40000;   // a core InvalidArgument without detail
inline constexpr int kMalformedJson = 40001;     // body is not JSON
inline constexpr int kWrongType = 40002;         // a field or the body has the wrong JSON type
inline constexpr int kMissingField = 40003;      // a required field or query parameter is absent
inline constexpr int kBadTopicName = 40004;      // topic name rules (SPEC §1)
inline constexpr int kBadPartition = 40005;      // partition count or partition id out of range
inline constexpr int kBadId = 40006;             // group_id / consumer_id rules
inline constexpr int kBadOffset = 40007;         // offset not a number in range, earliest or latest
inline constexpr int kBadCount = 40008;          // count outside 1..max
inline constexpr int kBadTimeout = 40009;        // timeout unparsable or over the cap
inline constexpr int kBadAcks = 40010;           // acks not 0, 1, -1 or "all"
inline constexpr int kBadBase64 = 40011;         // a base64 field does not decode
inline constexpr int kBadBatch = 40012;          // a list is empty or over its maximum
inline constexpr int kOffsetOutOfRange = 40013;  // core OutOfRange: offset outside the log
inline constexpr int kBadValue = 40014;          // any other field value outside its domain
// 404
inline constexpr int kNotFound = 40400;  // unknown path, or core NotFound without detail
inline constexpr int kTopicNotFound = 40401;
inline constexpr int kPartitionNotFound = 40402;
inline constexpr int kGroupNotFound = 40403;
inline constexpr int kMemberNotFound = 40404;
// 405
inline constexpr int kMethodNotAllowed = 40501;
// 409
inline constexpr int kConflict = 40900;
inline constexpr int kNotOwner = 40901;
inline constexpr int kStaleGeneration = 40902;
inline constexpr int kNotLeader = 40903;
inline constexpr int kPollInFlight = 40904;
inline constexpr int kAlreadyExists = 40905;
// 413
inline constexpr int kTooLarge = 41300;
inline constexpr int kMessageTooLarge = 41301;
inline constexpr int kRequestTooLarge = 41302;
// 500
inline constexpr int kInternal = 50001;
// 503: the broker cannot serve now; retry later or elsewhere.
inline constexpr int kUnavailable = 50300;
inline constexpr int kNotEnoughReplicas = 50301;
inline constexpr int kShuttingDown = 50302;
inline constexpr int kPartitionFailed = 50303;
inline constexpr int kCorruption = 50304;
inline constexpr int kStorageError = 50305;  // I/O error or no space left
// 504
inline constexpr int kTimeout = 50401;

}  // namespace gafka::api_errors

namespace gafka {

// An ApiError whose http_status is error_code / 100.
ApiError MakeApiError(int error_code, std::string message);

// ErrorFromStatus (codec.h) is defined in errors.cc, next to the table.

}  // namespace gafka
