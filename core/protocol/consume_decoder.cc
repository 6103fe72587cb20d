#include "core/protocol/consume_decoder.h"

#include <string>

#include "core/protocol/errors.h"
#include "core/protocol/validation.h"

namespace gafka {
namespace {

using Query = std::map<std::string, std::string>;

const std::string* Param(const Query& query, const char* name) {
  auto it = query.find(name);
  return it == query.end() ? nullptr : &it->second;
}

ApiError MissingParam(const char* name, const char* why) {
  return MakeApiError(api_errors::kMissingField,
                      std::string("missing required query parameter ") + name + " (" + why + ")");
}

// count, timeout and max_bytes: shared by both forms.
MaybeError ReadLimits(const Query& query, const ApiLimits& limits, int32_t* count,
                      Millis* timeout_ms, int64_t* max_bytes) {
  if (const std::string* text = Param(query, "count")) {
    if (MaybeError error = ParseCountText(*text, limits, count)) return error;
  }
  if (const std::string* text = Param(query, "timeout")) {
    if (MaybeError error = ParseTimeoutText(*text, "timeout", limits, timeout_ms)) return error;
  }
  if (const std::string* text = Param(query, "max_bytes")) {
    int64_t value = 0;
    if (!ParseDecimal(*text, &value) || value < 1 || value > limits.max_fetch_bytes) {
      return MakeApiError(api_errors::kBadValue, "max_bytes " + Quoted(*text) +
                                                     " is invalid: use 1.." +
                                                     std::to_string(limits.max_fetch_bytes));
    }
    *max_bytes = value;
  }
  return std::nullopt;
}

std::variant<ApiRequest, ApiError> DecodeDirect(const Query& query, const ApiLimits& limits,
                                                std::string topic) {
  for (const char* name : {"auto_offset_reset", "auto_commit"}) {
    if (Param(query, name) != nullptr) {
      return MakeApiError(api_errors::kBadValue,
                          std::string(name) + " applies only to group consumption (group_id)");
    }
  }
  FetchRequest request;
  request.topic = std::move(topic);
  const std::string* partition = Param(query, "partition");
  if (partition == nullptr) return MissingParam("partition", "or group_id and consumer_id");
  if (MaybeError error = ParsePartitionText(*partition, "partition", limits, &request.partition)) {
    return *error;
  }
  const std::string* offset = Param(query, "offset");
  if (offset == nullptr) return MissingParam("offset", "a number, earliest or latest");
  if (MaybeError error =
          ParseOffsetText(*offset, "offset", &request.offset_spec, &request.offset)) {
    return *error;
  }
  if (MaybeError error =
          ReadLimits(query, limits, &request.max_count, &request.timeout_ms, &request.max_bytes)) {
    return *error;
  }
  return ApiRequest(std::move(request));
}

std::variant<ApiRequest, ApiError> DecodeGroupPoll(const Query& query, const ApiLimits& limits,
                                                   std::string topic) {
  for (const char* name : {"partition", "offset"}) {
    if (Param(query, name) != nullptr) {
      return MakeApiError(api_errors::kBadValue,
                          std::string(name) +
                              " is not allowed with group_id: the group assigns partitions and "
                              "tracks offsets");
    }
  }
  GroupPollRequest request;
  request.topic = std::move(topic);
  for (auto [name, out] :
       {std::pair{"group_id", &request.group_id}, std::pair{"consumer_id", &request.consumer_id}}) {
    const std::string* id = Param(query, name);
    if (id == nullptr)
      return MissingParam(name, "group consumption needs group_id and consumer_id");
    if (MaybeError error = CheckId(*id, name, limits)) return *error;
    *out = *id;
  }
  if (const std::string* text = Param(query, "auto_offset_reset")) {
    if (*text == "earliest") {
      request.auto_offset_reset = OffsetSpec::kEarliest;
    } else if (*text == "latest") {
      request.auto_offset_reset = OffsetSpec::kLatest;
    } else {
      return MakeApiError(api_errors::kBadOffset, "auto_offset_reset " + Quoted(*text) +
                                                      " is invalid: use earliest or latest");
    }
  }
  if (const std::string* text = Param(query, "auto_commit")) {
    if (MaybeError error = ParseBoolText(*text, "auto_commit", &request.auto_commit)) return *error;
  }
  if (MaybeError error =
          ReadLimits(query, limits, &request.max_count, &request.timeout_ms, &request.max_bytes)) {
    return *error;
  }
  return ApiRequest(std::move(request));
}

}  // namespace

std::variant<ApiRequest, ApiError> DecodeConsume(const HttpRequest& http, const ApiLimits& limits) {
  const std::string* topic = Param(http.query, "topic");
  if (topic == nullptr) return MissingParam("topic", "the topic to read");
  if (MaybeError error = CheckTopicName(*topic, "topic", limits)) return *error;
  if (Param(http.query, "group_id") != nullptr || Param(http.query, "consumer_id") != nullptr) {
    return DecodeGroupPoll(http.query, limits, *topic);
  }
  return DecodeDirect(http.query, limits, *topic);
}

}  // namespace gafka
