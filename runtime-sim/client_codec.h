// The client side of the HTTP/JSON API for simulated clients: builds the
// HttpRequests a real client would send (docs/api.md) and parses the
// answers. The server side is the production codec (core/protocol), so
// every simulated request crosses both.
//
// Parsing is strict: a body that does not have the documented shape yields
// nullopt, which the simulation reports as a protocol violation.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/log/record.h"
#include "core/protocol/http.h"
#include "core/protocol/messages.h"

namespace gafka::sim {

// POST /api/v1/produce, batch form. Messages whose key, value or a header
// value is not valid UTF-8 travel with "encoding":"base64".
HttpRequest ProduceHttp(const std::string& topic, std::span<const ProduceMessage> messages,
                        Acks acks);

// GET /api/v1/consume, direct form.
HttpRequest FetchHttp(const std::string& topic, PartitionId partition, Offset offset,
                      int32_t max_count, int64_t max_bytes, Millis timeout_ms);

// POST /api/v1/topics.
HttpRequest CreateTopicHttp(const std::string& name, int32_t partitions, const TopicConfig& config);

// The error envelope of a non-2xx answer ({"error_code","message"}).
std::optional<ApiError> ParseError(const HttpResponse& response);

// A 200 produce answer: one result per message, in request order.
std::optional<std::vector<ProduceResult>> ParseProduceAnswer(const HttpResponse& response);

struct FetchAnswer {
  std::vector<Record> records;
  Offset next_offset;
  Offset high_watermark;
  Offset log_start_offset;
};
// A 200 direct-fetch answer; records must all belong to `topic`/`partition`.
std::optional<FetchAnswer> ParseFetchAnswer(const HttpResponse& response, const std::string& topic,
                                            PartitionId partition);

}  // namespace gafka::sim
