// Pure functions between the HTTP boundary (http.h) and the API structs
// (messages.h). Thread-safe: no state. Routes, query parameters and bodies
// are validated here; everything that reaches Broker::Execute is well-formed.
#pragma once

#include "core/base/status.h"
#include "core/protocol/http.h"
#include "core/protocol/messages.h"

namespace gafka {

struct ApiLimits {
  int64_t max_message_bytes = 1 << 20;  // broker-wide cap on one value
  int32_t max_partitions = 100;
  size_t max_name_length = 255;         // topic
  size_t max_id_length = 128;           // group and consumer ids
  int32_t max_count = 10000;            // records per fetch
  Millis max_timeout_ms = 30000;        // long-poll cap
  size_t max_batch_messages = 10000;    // messages per produce request, entries per offset commit
  size_t max_request_bytes = 64u << 20; // request body cap (413, 41302); HTTP server's cap >= it
  int64_t max_fetch_bytes = 64ll << 20; // cap on a fetch's max_bytes parameter
  int32_t max_replication_factor = 16;  // replication_factor accepted by create-topic
};

// HttpRequest -> a typed request, or the ApiError to send back.
std::variant<ApiRequest, ApiError> DecodeRequest(const HttpRequest& request, const ApiLimits& limits);

// A typed response (or error) -> the HTTP answer.
HttpResponse EncodeResponse(const ApiResponse& response);

// Maps a core Status to the error envelope (status*100+n codes; see docs/api.md).
ApiError ErrorFromStatus(const Status& status);

}  // namespace gafka
