#include "core/protocol/admin_decoder.h"

#include <limits>
#include <string>
#include <utility>

#include "core/protocol/errors.h"
#include "core/protocol/json_reader.h"
#include "core/protocol/validation.h"

namespace gafka {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// ---- topics -----------------------------------------------------------------

struct ConfigKey {
  const char* dotted;
  const char* snake;
  std::optional<int64_t> TopicConfigOverrides::*field;
  int64_t min;
  int64_t max;  // 0: limits.max_message_bytes
  const char* range_text;
};

constexpr ConfigKey kConfigKeys[] = {
    {"retention.ms", "retention_ms", &TopicConfigOverrides::retention_ms, -1, kInt64Max,
     "-1 (forever) or >= 0"},
    {"retention.bytes", "retention_bytes", &TopicConfigOverrides::retention_bytes, -1, kInt64Max,
     "-1 (unlimited) or >= 0"},
    {"segment.bytes", "segment_bytes", &TopicConfigOverrides::segment_bytes, 1024, int64_t{1} << 30,
     "1024..1073741824"},
    {"max.message.bytes", "max_message_bytes", &TopicConfigOverrides::max_message_bytes, 1, 0,
     "1..the broker's max_message_bytes"},
};

// One config value: an integer or a decimal string (Kafka tools send strings).
bool ReadConfigValue(FieldReader& reader, const std::string& name, const Json& value,
                     const ConfigKey& key, const ApiLimits& limits, int64_t* out) {
  const int64_t max = key.max == 0 ? limits.max_message_bytes : key.max;
  int64_t number = 0;
  bool parsed = false;
  if (value.is_string()) {
    parsed = ParseDecimal(value.get_ref<const std::string&>(), &number);
  } else if (value.is_number()) {
    parsed = ReadInt64(value, &number) == IntRead::kOk;
  } else {
    return reader.FailWrongType(name, "an integer or a decimal string", value);
  }
  if (!parsed || number < key.min || number > max) {
    return reader.Fail(api_errors::kBadValue,
                       reader.FieldName(name) + " must be an integer " + key.range_text);
  }
  *out = number;
  return true;
}

bool ReadConfigs(FieldReader& root, const ApiLimits& limits, TopicConfigOverrides* overrides) {
  Json* configs = root.Find("configs");
  if (configs == nullptr) return root.ok();
  if (!configs->is_object()) return root.FailWrongType("configs", "an object", *configs);
  FieldReader reader(*configs, "configs.");
  for (auto it = configs->begin(); it != configs->end(); ++it) {
    if (it->is_null()) continue;
    const ConfigKey* key = nullptr;
    for (const ConfigKey& candidate : kConfigKeys) {
      if (it.key() == candidate.dotted || it.key() == candidate.snake) key = &candidate;
    }
    if (key == nullptr) {
      return root.Fail(api_errors::kBadValue,
                       "configs." + Quoted(it.key()) + " is not a supported topic config; use " +
                           "retention.ms, retention.bytes, segment.bytes or max.message.bytes");
    }
    std::optional<int64_t>& slot = overrides->*(key->field);
    if (slot.has_value()) {
      return root.Fail(api_errors::kBadValue, std::string("configs.") + key->dotted +
                                                  " is given twice (dotted and snake_case)");
    }
    int64_t value = 0;
    if (!ReadConfigValue(reader, it.key(), *it, *key, limits, &value)) return root.Adopt(reader);
    slot = value;
  }
  return true;
}

std::variant<ApiRequest, ApiError> DecodeCreateTopic(const HttpRequest& http,
                                                     const ApiLimits& limits) {
  std::variant<Json, ApiError> parsed = ParseJsonObject(http.body);
  if (auto* error = std::get_if<ApiError>(&parsed)) return std::move(*error);
  FieldReader reader(std::get<Json>(parsed), "");
  CreateTopicRequest request;
  std::optional<int64_t> partitions;
  std::optional<int64_t> replication_factor;
  const FieldReader::IntRange partitions_range{1, limits.max_partitions, api_errors::kBadPartition,
                                               "1..max_partitions"};
  const FieldReader::IntRange replication_range{1, limits.max_replication_factor,
                                                api_errors::kBadValue, "1..max_replication_factor"};
  if (!reader.RequiredString("name", &request.name)) return reader.TakeError();
  if (MaybeError error = CheckTopicName(request.name, "name", limits)) return *error;
  if (!reader.OptionalInt("partitions", partitions_range, &partitions) ||
      !reader.OptionalInt("replication_factor", replication_range, &replication_factor) ||
      !ReadConfigs(reader, limits, &request.overrides)) {
    return reader.TakeError();
  }
  request.partitions = static_cast<int32_t>(partitions.value_or(1));
  request.replication_factor = static_cast<int32_t>(replication_factor.value_or(1));
  request.config = request.overrides.ApplyTo(TopicConfig{});
  return ApiRequest(std::move(request));
}

// ---- consumer groups ----------------------------------------------------------

std::variant<ApiRequest, ApiError> DecodeJoin(const HttpRequest& http, const ApiLimits& limits,
                                              JoinGroupRequest request) {
  // The body is optional: an empty one joins with the defaults.
  if (http.body.find_first_not_of(" \t\r\n") == std::string::npos) return ApiRequest(request);
  std::variant<Json, ApiError> parsed = ParseJsonObject(http.body);
  if (auto* error = std::get_if<ApiError>(&parsed)) return std::move(*error);
  FieldReader reader(std::get<Json>(parsed), "");
  std::optional<std::string> topic;
  std::optional<int64_t> session_timeout_ms;
  const FieldReader::IntRange session_range{kMinSessionTimeoutMs, kMaxSessionTimeoutMs,
                                            api_errors::kBadValue, "1000..300000 (ms)"};
  if (!reader.OptionalString("topic", &topic) ||
      !reader.OptionalInt("session_timeout_ms", session_range, &session_timeout_ms)) {
    return reader.TakeError();
  }
  if (topic) {
    if (MaybeError error = CheckTopicName(*topic, "topic", limits)) return *error;
    request.topic = std::move(*topic);
  }
  if (session_timeout_ms) request.session_timeout_ms = *session_timeout_ms;
  return ApiRequest(std::move(request));
}

bool ReadCommitEntry(FieldReader& reader, const ApiLimits& limits,
                     CommitOffsetsRequest::Entry* entry) {
  int64_t partition = 0;
  int64_t offset = 0;
  const FieldReader::IntRange partition_range{0, limits.max_partitions - 1,
                                              api_errors::kBadPartition, "0..max_partitions-1"};
  const FieldReader::IntRange offset_range{0, kMaxClientOffset, api_errors::kBadOffset,
                                           "0..9007199254740991"};
  if (!reader.RequiredString("topic", &entry->topic)) return false;
  if (MaybeError error = CheckTopicName(entry->topic, reader.FieldName("topic"), limits)) {
    return reader.Fail(error->error_code, std::move(error->message));
  }
  if (!reader.RequiredInt("partition", partition_range, &partition) ||
      !reader.RequiredInt("offset", offset_range, &offset)) {
    return false;
  }
  entry->partition = PartitionId(static_cast<int32_t>(partition));
  entry->offset = Offset(offset);
  return true;
}

std::variant<ApiRequest, ApiError> DecodeCommit(const HttpRequest& http, const ApiLimits& limits,
                                                CommitOffsetsRequest request) {
  std::variant<Json, ApiError> parsed = ParseJsonObject(http.body);
  if (auto* error = std::get_if<ApiError>(&parsed)) return std::move(*error);
  FieldReader reader(std::get<Json>(parsed), "");
  std::optional<std::string> consumer_id;
  std::optional<int64_t> generation;
  const FieldReader::IntRange generation_range{-1, std::numeric_limits<int32_t>::max(),
                                               api_errors::kBadValue, "-1 (none) or >= 0"};
  if (!reader.OptionalString("consumer_id", &consumer_id) ||
      !reader.OptionalInt("generation", generation_range, &generation)) {
    return reader.TakeError();
  }
  if (consumer_id) {
    if (MaybeError error = CheckId(*consumer_id, "consumer_id", limits)) return *error;
    request.consumer_id = std::move(*consumer_id);
  }
  if (generation && *generation >= 0)
    request.generation = Generation(static_cast<int32_t>(*generation));
  Json* offsets = reader.Find("offsets");
  if (offsets == nullptr)
    return MakeApiError(api_errors::kMissingField, "missing required field offsets");
  if (!offsets->is_array()) {
    reader.FailWrongType("offsets", "an array", *offsets);
    return reader.TakeError();
  }
  if (offsets->empty() || offsets->size() > limits.max_batch_messages) {
    return MakeApiError(api_errors::kBadBatch, "offsets has " + std::to_string(offsets->size()) +
                                                   " entries; send 1.." +
                                                   std::to_string(limits.max_batch_messages));
  }
  request.offsets.resize(offsets->size());
  for (size_t i = 0; i < offsets->size(); ++i) {
    const std::string field = "offsets[" + std::to_string(i) + "]";
    Json& entry = (*offsets)[i];
    if (!entry.is_object()) {
      reader.FailWrongType(field, "an object", entry);
      return reader.TakeError();
    }
    FieldReader entry_reader(entry, field + ".");
    if (!ReadCommitEntry(entry_reader, limits, &request.offsets[i]))
      return entry_reader.TakeError();
  }
  return ApiRequest(std::move(request));
}

std::variant<ApiRequest, ApiError> DecodeReset(const HttpRequest& http, const ApiLimits& limits,
                                               ResetOffsetsRequest request) {
  std::variant<Json, ApiError> parsed = ParseJsonObject(http.body);
  if (auto* error = std::get_if<ApiError>(&parsed)) return std::move(*error);
  FieldReader reader(std::get<Json>(parsed), "");
  std::string to;
  std::optional<bool> force;
  if (!reader.RequiredString("topic", &request.topic) || !reader.RequiredString("to", &to) ||
      !reader.OptionalBool("force", &force)) {
    return reader.TakeError();
  }
  if (MaybeError error = CheckTopicName(request.topic, "topic", limits)) return *error;
  request.force = force.value_or(false);
  const FieldReader::IntRange offset_range{0, kMaxClientOffset, api_errors::kBadOffset,
                                           "0..9007199254740991"};
  const FieldReader::IntRange timestamp_range{0, kMaxClientTimestampMs, api_errors::kBadValue,
                                              "a timestamp in ms since the epoch, >= 0"};
  if (to == "earliest" || to == "latest") {
    request.to = to == "earliest" ? OffsetSpec::kEarliest : OffsetSpec::kLatest;
  } else if (to == "offset") {
    int64_t offset = 0;
    if (!reader.RequiredInt("offset", offset_range, &offset)) return reader.TakeError();
    request.to = OffsetSpec::kExplicit;
    request.offset = Offset(offset);
  } else if (to == "timestamp") {
    int64_t timestamp_ms = 0;
    if (!reader.RequiredInt("timestamp", timestamp_range, &timestamp_ms)) return reader.TakeError();
    request.to = OffsetSpec::kExplicit;
    request.timestamp_ms = timestamp_ms;
  } else {
    return MakeApiError(
        api_errors::kBadValue,
        "to " + Quoted(to) + " is invalid: use earliest, latest, offset or timestamp");
  }
  return ApiRequest(std::move(request));
}

}  // namespace

std::variant<ApiRequest, ApiError> DecodeTopicEndpoint(const RouteMatch& route,
                                                       const HttpRequest& http,
                                                       const ApiLimits& limits) {
  if (route.endpoint == Endpoint::kCreateTopic) return DecodeCreateTopic(http, limits);
  std::string name(route.params[0]);
  if (MaybeError error = CheckTopicName(name, "topic", limits)) return *error;
  switch (route.endpoint) {
    case Endpoint::kDescribeTopic:
      return ApiRequest(DescribeTopicRequest{std::move(name)});
    case Endpoint::kDeleteTopic:
      return ApiRequest(DeleteTopicRequest{std::move(name)});
    case Endpoint::kPartitionOffsets: {
      PartitionOffsetsRequest request{std::move(name), PartitionId()};
      if (MaybeError error =
              ParsePartitionText(route.params[1], "partition", limits, &request.partition)) {
        return *error;
      }
      return ApiRequest(std::move(request));
    }
    default:
      break;
  }
  CHECK_MSG(false, "DecodeTopicEndpoint: not a topic endpoint");
  return MakeApiError(api_errors::kInternal, "internal: unrouted topic endpoint");
}

std::variant<ApiRequest, ApiError> DecodeGroupEndpoint(const RouteMatch& route,
                                                       const HttpRequest& http,
                                                       const ApiLimits& limits) {
  std::string group(route.params[0]);
  if (MaybeError error = CheckId(group, "group_id", limits)) return *error;
  std::string consumer(route.params[1]);
  const bool has_member = route.endpoint == Endpoint::kJoinGroup ||
                          route.endpoint == Endpoint::kLeaveGroup ||
                          route.endpoint == Endpoint::kHeartbeat;
  if (has_member) {
    if (MaybeError error = CheckId(consumer, "consumer_id", limits)) return *error;
  }
  switch (route.endpoint) {
    case Endpoint::kJoinGroup:
      return DecodeJoin(http, limits, JoinGroupRequest{std::move(group), std::move(consumer), {}});
    case Endpoint::kLeaveGroup:
      return ApiRequest(LeaveGroupRequest{std::move(group), std::move(consumer)});
    case Endpoint::kHeartbeat:
      return ApiRequest(HeartbeatRequest{std::move(group), std::move(consumer)});
    case Endpoint::kCommitOffsets: {
      CommitOffsetsRequest request;
      request.group_id = std::move(group);
      return DecodeCommit(http, limits, std::move(request));
    }
    case Endpoint::kFetchOffsets:
      return ApiRequest(FetchOffsetsRequest{std::move(group)});
    case Endpoint::kGroupStatus:
      return ApiRequest(GroupStatusRequest{std::move(group)});
    case Endpoint::kResetOffsets: {
      ResetOffsetsRequest request;
      request.group_id = std::move(group);
      return DecodeReset(http, limits, std::move(request));
    }
    default:
      break;
  }
  CHECK_MSG(false, "DecodeGroupEndpoint: not a group endpoint");
  return MakeApiError(api_errors::kInternal, "internal: unrouted group endpoint");
}

}  // namespace gafka
