#include "core/protocol/produce_decoder.h"

#include <string>
#include <utility>

#include "core/protocol/base64.h"
#include "core/protocol/errors.h"
#include "core/protocol/json_reader.h"
#include "core/protocol/validation.h"

namespace gafka {
namespace {

// What a batch's top level lends to each of its messages.
struct MessageDefaults {
  bool base64 = false;
  std::optional<PartitionId> partition;
};

// Reads "encoding": absent keeps *base64; "base64" or "utf8" set it.
bool ReadEncoding(FieldReader& reader, bool* base64) {
  std::optional<std::string> encoding;
  if (!reader.OptionalString("encoding", &encoding)) return false;
  if (!encoding) return true;
  if (*encoding == "base64") {
    *base64 = true;
  } else if (*encoding == "utf8" || *encoding == "utf-8") {
    *base64 = false;
  } else {
    return reader.Fail(api_errors::kBadValue, reader.FieldName("encoding") + " " +
                                                  Quoted(*encoding) +
                                                  " is invalid: use \"base64\" or \"utf8\"");
  }
  return true;
}

bool DecodeInPlace(FieldReader& reader, std::string_view field, std::string* text) {
  std::string bytes;
  if (!Base64Decode(*text, &bytes)) {
    return reader.Fail(api_errors::kBadBase64,
                       reader.FieldName(field) + " is not valid base64 (the encoding is base64)");
  }
  *text = std::move(bytes);
  return true;
}

bool ReadHeaderObject(FieldReader& reader, Json& headers, bool base64,
                      std::vector<RecordHeader>* out) {
  out->reserve(headers.size());
  for (auto it = headers.begin(); it != headers.end(); ++it) {
    if (!it->is_string()) return reader.FailWrongType("headers." + it.key(), "a string", *it);
    RecordHeader header{it.key(), std::move(it->get_ref<std::string&>())};
    if (base64 && !DecodeInPlace(reader, "headers." + header.key, &header.value)) return false;
    out->push_back(std::move(header));
  }
  return true;
}

bool ReadHeaderArray(FieldReader& reader, Json& headers, bool base64,
                     std::vector<RecordHeader>* out) {
  out->reserve(headers.size());
  for (size_t i = 0; i < headers.size(); ++i) {
    Json& entry = headers[i];
    const std::string field = "headers[" + std::to_string(i) + "]";
    if (!entry.is_object()) return reader.FailWrongType(field, "an object", entry);
    FieldReader entry_reader(entry, reader.FieldName(field) + ".");
    RecordHeader header;
    if (!entry_reader.RequiredString("key", &header.key) ||
        !entry_reader.RequiredString("value", &header.value)) {
      return reader.Adopt(entry_reader);
    }
    if (base64 && !DecodeInPlace(reader, field + ".value", &header.value)) return false;
    out->push_back(std::move(header));
  }
  return true;
}

bool ReadHeaders(FieldReader& reader, bool base64, std::vector<RecordHeader>* out) {
  if (!reader.ok()) return false;
  Json* headers = reader.Find("headers");
  if (headers == nullptr) return true;
  if (headers->is_object()) return ReadHeaderObject(reader, *headers, base64, out);
  if (headers->is_array()) return ReadHeaderArray(reader, *headers, base64, out);
  return reader.FailWrongType("headers", "an object or an array", *headers);
}

bool CheckSizes(FieldReader& reader, const ProduceMessage& message, const ApiLimits& limits) {
  const auto limit = static_cast<uint64_t>(limits.max_message_bytes);
  if (message.value.size() > limit) {
    return reader.Fail(api_errors::kMessageTooLarge,
                       reader.FieldName("value") + " is " + std::to_string(message.value.size()) +
                           " bytes; the limit is " + std::to_string(limit));
  }
  uint64_t extra = message.key ? message.key->size() : 0;
  for (const RecordHeader& header : message.headers)
    extra += header.key.size() + header.value.size();
  if (extra > limit) {
    return reader.Fail(api_errors::kMessageTooLarge,
                       reader.FieldName("key") + " and headers are " + std::to_string(extra) +
                           " bytes; the limit is " + std::to_string(limit));
  }
  return true;
}

// One message object (the body itself in the single form).
bool DecodeMessage(FieldReader& reader, const MessageDefaults& defaults, const ApiLimits& limits,
                   ProduceMessage* message) {
  bool base64 = defaults.base64;
  std::optional<int64_t> partition;
  std::optional<int64_t> timestamp_ms;
  const FieldReader::IntRange partition_range{0, limits.max_partitions - 1,
                                              api_errors::kBadPartition,
                                              "a partition id 0..max_partitions-1"};
  const FieldReader::IntRange timestamp_range{0, kMaxClientTimestampMs, api_errors::kBadValue,
                                              "a timestamp in ms since the epoch, >= 0"};
  if (!ReadEncoding(reader, &base64) || !reader.OptionalString("key", &message->key) ||
      !reader.RequiredString("value", &message->value) ||
      !reader.OptionalInt("partition", partition_range, &partition) ||
      !reader.OptionalInt("timestamp", timestamp_range, &timestamp_ms) ||
      !ReadHeaders(reader, base64, &message->headers)) {
    return false;
  }
  if (base64) {
    if (message->key && !DecodeInPlace(reader, "key", &*message->key)) return false;
    if (!DecodeInPlace(reader, "value", &message->value)) return false;
  }
  message->partition = defaults.partition;
  if (partition) message->partition = PartitionId(static_cast<int32_t>(*partition));
  message->timestamp_ms = timestamp_ms;
  return CheckSizes(reader, *message, limits);
}

// acks from the body (0, 1, -1, "0", "1", "-1", "all") and/or ?acks=.
// A body value that is neither a string nor an int64 is named by its type.
bool ReadAcks(FieldReader& reader, const HttpRequest& request, Acks* acks) {
  std::optional<Acks> from_body;
  if (Json* value = reader.Find("acks")) {
    std::string text;
    int64_t number = 0;
    if (value->is_string()) {
      text = value->get_ref<const std::string&>();
    } else if (ReadInt64(*value, &number) == IntRead::kOk) {
      text = std::to_string(number);
    } else {
      text = value->type_name();
    }
    Acks parsed{};
    if (MaybeError error = ParseAcksText(text, "acks", &parsed)) {
      return reader.Fail(error->error_code, std::move(error->message));
    }
    from_body = parsed;
  }
  std::optional<Acks> from_query;
  if (auto it = request.query.find("acks"); it != request.query.end()) {
    Acks parsed{};
    if (MaybeError error = ParseAcksText(it->second, "query parameter acks", &parsed)) {
      return reader.Fail(error->error_code, std::move(error->message));
    }
    from_query = parsed;
  }
  if (from_body && from_query && *from_body != *from_query) {
    return reader.Fail(api_errors::kBadAcks,
                       "acks is given in the query and in the body with different values");
  }
  *acks = from_body ? *from_body : from_query.value_or(Acks::kLeader);
  return true;
}

bool DecodeBatch(FieldReader& root, Json& messages, const MessageDefaults& defaults,
                 const ApiLimits& limits, ProduceRequest* request) {
  if (!messages.is_array()) return root.FailWrongType("messages", "an array", messages);
  if (messages.empty() || messages.size() > limits.max_batch_messages) {
    return root.Fail(api_errors::kBadBatch, "messages has " + std::to_string(messages.size()) +
                                                " entries; send 1.." +
                                                std::to_string(limits.max_batch_messages));
  }
  if (root.Find("value") != nullptr || root.Find("key") != nullptr) {
    return root.Fail(api_errors::kBadValue,
                     "use either \"messages\" (batch form) or \"key\"/\"value\" (single form), "
                     "not both");
  }
  request->messages.resize(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string prefix = "messages[" + std::to_string(i) + "]";
    if (!messages[i].is_object()) return root.FailWrongType(prefix, "an object", messages[i]);
    FieldReader reader(messages[i], prefix + ".");
    if (!DecodeMessage(reader, defaults, limits, &request->messages[i])) return root.Adopt(reader);
  }
  return true;
}

}  // namespace

std::variant<ApiRequest, ApiError> DecodeProduce(const HttpRequest& http, const ApiLimits& limits) {
#ifdef GAFKA_WITH_SIMDJSON
  if (http.body.size() <= kSimdjsonMaxBodyBytes) return DecodeProduceSimdjson(http, limits);
#endif
  return DecodeProduceNlohmann(http, limits);
}

std::variant<ApiRequest, ApiError> DecodeProduceNlohmann(const HttpRequest& http,
                                                         const ApiLimits& limits) {
  std::variant<Json, ApiError> parsed = ParseJsonObject(http.body);
  if (auto* error = std::get_if<ApiError>(&parsed)) return std::move(*error);
  Json& body = std::get<Json>(parsed);
  FieldReader root(body, "");
  ProduceRequest request;
  if (!root.RequiredString("topic", &request.topic)) return root.TakeError();
  if (MaybeError error = CheckTopicName(request.topic, "topic", limits)) return *error;
  if (!ReadAcks(root, http, &request.acks)) return root.TakeError();
  if (Json* messages = root.Find("messages")) {
    MessageDefaults defaults;
    std::optional<int64_t> partition;
    const FieldReader::IntRange partition_range{0, limits.max_partitions - 1,
                                                api_errors::kBadPartition,
                                                "a partition id 0..max_partitions-1"};
    if (!ReadEncoding(root, &defaults.base64) ||
        !root.OptionalInt("partition", partition_range, &partition)) {
      return root.TakeError();
    }
    if (partition) defaults.partition = PartitionId(static_cast<int32_t>(*partition));
    request.batch_form = true;
    if (!DecodeBatch(root, *messages, defaults, limits, &request)) return root.TakeError();
  } else {
    request.messages.resize(1);
    if (!DecodeMessage(root, MessageDefaults{}, limits, &request.messages[0])) {
      return root.TakeError();
    }
  }
  return ApiRequest(std::move(request));
}

}  // namespace gafka
