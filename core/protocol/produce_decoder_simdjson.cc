// The produce decoder on simdjson: same rules, fields and error messages as
// the nlohmann version in produce_decoder.cc (a differential property test
// holds them together), ~20x the parse speed (core/protocol/README.md).
// Where the two parsers' models differ — a body simdjson will not parse
// (invalid JSON, integers beyond 64 bits, deep nesting) or a double where an
// integer is expected ("-0") — the nlohmann decoder answers: those inputs
// are rare and never the hot path.
// Compiled only when the build links simdjson and defines
// GAFKA_WITH_SIMDJSON; only simdjson's error-code API is used (no throws).
#ifdef GAFKA_WITH_SIMDJSON

#include <simdjson.h>

#include <algorithm>
#include <string>
#include <utility>

#include "core/protocol/base64.h"
#include "core/protocol/errors.h"
#include "core/protocol/produce_decoder.h"
#include "core/protocol/validation.h"

namespace gafka {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// The names nlohmann's type_name() uses, so both decoders say the same.
const char* TypeName(element value) {
  switch (value.type()) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "unknown";
}

// FieldReader (json_reader.h) for a simdjson object: first error wins,
// null counts as absent, and a repeated member name means its last
// occurrence (as in the nlohmann tree).
class SimdReader {
 public:
  SimdReader(object object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  bool Find(std::string_view name, element* out) const {
    bool found = false;
    for (auto [key, value] : object_) {
      if (key == name) {
        *out = value;
        found = true;
      }
    }
    return found && !out->is_null();
  }
  // Stops decoding: this input is one where the parsers' models differ, and
  // the nlohmann decoder must answer. Used for numbers simdjson holds as
  // doubles where an integer is expected ("-0" is an integer to nlohmann).
  bool Defer() {
    if (!ok()) return false;
    deferred_ = true;
    return Fail(api_errors::kMalformedJson, "deferred to the reference decoder");
  }
  bool deferred() const { return deferred_; }
  std::string FieldName(std::string_view name) const { return prefix_ + std::string(name); }
  bool ok() const { return !error_.has_value(); }
  bool Fail(int code, std::string message) {
    if (!error_) error_ = MakeApiError(code, std::move(message));
    return false;
  }
  bool FailWrongType(std::string_view name, const char* expected, element got) {
    return Fail(api_errors::kWrongType,
                FieldName(name) + " must be " + expected + ", got " + TypeName(got));
  }
  bool FailMissing(std::string_view name) {
    return Fail(api_errors::kMissingField, "missing required field " + FieldName(name));
  }
  bool Adopt(SimdReader& inner) {
    if (ok() && inner.deferred_) deferred_ = true;
    ApiError error = inner.TakeError();
    return Fail(error.error_code, std::move(error.message));
  }
  ApiError TakeError() { return std::move(*error_); }

  bool OptionalString(std::string_view name, std::optional<std::string>* out) {
    if (!ok()) return false;
    element value;
    if (!Find(name, &value)) return true;
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      return FailWrongType(name, "a string", value);
    }
    out->emplace(text);
    return true;
  }
  bool RequiredString(std::string_view name, std::string* out) {
    if (!ok()) return false;
    element value;
    if (!Find(name, &value)) return FailMissing(name);
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      return FailWrongType(name, "a string", value);
    }
    out->assign(text);
    return true;
  }
  bool OptionalInt(std::string_view name, int64_t min, int64_t max, int range_code,
                   const char* range_text, std::optional<int64_t>* out) {
    if (!ok()) return false;
    element value;
    if (!Find(name, &value)) return true;
    if (value.is_double()) return Defer();
    if (!value.is_int64() && !value.is_uint64()) return FailWrongType(name, "an integer", value);
    int64_t v = 0;
    if (value.get_int64().get(v) != simdjson::SUCCESS || v < min || v > max) {
      return Fail(range_code, FieldName(name) + " must be " + range_text);
    }
    *out = v;
    return true;
  }

 private:
  object object_;
  std::string prefix_;
  std::optional<ApiError> error_;
  bool deferred_ = false;
};

struct MessageDefaults {
  bool base64 = false;
  std::optional<PartitionId> partition;
};

bool ReadEncoding(SimdReader& reader, bool* base64) {
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

bool DecodeInPlace(SimdReader& reader, std::string_view field, std::string* text) {
  std::string bytes;
  if (!Base64Decode(*text, &bytes)) {
    return reader.Fail(api_errors::kBadBase64,
                       reader.FieldName(field) + " is not valid base64 (the encoding is base64)");
  }
  *text = std::move(bytes);
  return true;
}

bool ReadHeaderObject(SimdReader& reader, object headers, bool base64,
                      std::vector<RecordHeader>* out) {
  // The nlohmann tree keeps one member per name (the last) sorted by name,
  // and is checked in that order: do the same, so the same member fails first.
  std::vector<std::pair<std::string_view, element>> members;
  members.reserve(headers.size());
  for (auto [key, value] : headers) members.emplace_back(key, value);
  std::stable_sort(members.begin(), members.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out->reserve(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (i + 1 < members.size() && members[i + 1].first == members[i].first) continue;
    const auto& [key, value] = members[i];
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
      return reader.FailWrongType("headers." + std::string(key), "a string", value);
    }
    RecordHeader header{std::string(key), std::string(text)};
    if (base64 && !DecodeInPlace(reader, "headers." + header.key, &header.value)) return false;
    out->push_back(std::move(header));
  }
  return true;
}

bool ReadHeaderArray(SimdReader& reader, array headers, bool base64,
                     std::vector<RecordHeader>* out) {
  out->reserve(headers.size());
  size_t i = 0;
  for (element entry : headers) {
    const std::string field = "headers[" + std::to_string(i++) + "]";
    object entry_object;
    if (entry.get_object().get(entry_object) != simdjson::SUCCESS) {
      return reader.FailWrongType(field, "an object", entry);
    }
    SimdReader entry_reader(entry_object, reader.FieldName(field) + ".");
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

bool ReadHeaders(SimdReader& reader, bool base64, std::vector<RecordHeader>* out) {
  if (!reader.ok()) return false;
  element headers;
  if (!reader.Find("headers", &headers)) return true;
  object as_object;
  if (headers.get_object().get(as_object) == simdjson::SUCCESS) {
    return ReadHeaderObject(reader, as_object, base64, out);
  }
  array as_array;
  if (headers.get_array().get(as_array) == simdjson::SUCCESS) {
    return ReadHeaderArray(reader, as_array, base64, out);
  }
  return reader.FailWrongType("headers", "an object or an array", headers);
}

bool CheckSizes(SimdReader& reader, const ProduceMessage& message, const ApiLimits& limits) {
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

bool DecodeMessage(SimdReader& reader, const MessageDefaults& defaults, const ApiLimits& limits,
                   ProduceMessage* message) {
  bool base64 = defaults.base64;
  std::optional<int64_t> partition;
  std::optional<int64_t> timestamp_ms;
  if (!ReadEncoding(reader, &base64) || !reader.OptionalString("key", &message->key) ||
      !reader.RequiredString("value", &message->value) ||
      !reader.OptionalInt("partition", 0, limits.max_partitions - 1, api_errors::kBadPartition,
                          "a partition id 0..max_partitions-1", &partition) ||
      !reader.OptionalInt("timestamp", 0, kMaxClientTimestampMs, api_errors::kBadValue,
                          "a timestamp in ms since the epoch, >= 0", &timestamp_ms) ||
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

// acks as text for ParseAcksText: a string as it is, an int64 in decimal,
// anything else by its type name (the same in both decoders).
std::string AcksText(element value) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) return std::string(text);
  int64_t number = 0;
  if (value.get_int64().get(number) == simdjson::SUCCESS) return std::to_string(number);
  return TypeName(value);
}

bool ReadAcks(SimdReader& reader, const HttpRequest& request, Acks* acks) {
  std::optional<Acks> from_body;
  element value;
  if (reader.Find("acks", &value)) {
    if (value.is_double()) return reader.Defer();
    Acks parsed{};
    if (MaybeError error = ParseAcksText(AcksText(value), "acks", &parsed)) {
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

bool DecodeBatch(SimdReader& root, element messages, const MessageDefaults& defaults,
                 const ApiLimits& limits, ProduceRequest* request) {
  array list;
  if (messages.get_array().get(list) != simdjson::SUCCESS) {
    return root.FailWrongType("messages", "an array", messages);
  }
  const size_t count = list.size();
  if (count == 0 || count > limits.max_batch_messages) {
    return root.Fail(api_errors::kBadBatch, "messages has " + std::to_string(count) +
                                                " entries; send 1.." +
                                                std::to_string(limits.max_batch_messages));
  }
  element ignored;
  if (root.Find("value", &ignored) || root.Find("key", &ignored)) {
    return root.Fail(api_errors::kBadValue,
                     "use either \"messages\" (batch form) or \"key\"/\"value\" (single form), "
                     "not both");
  }
  request->messages.resize(count);
  size_t i = 0;
  for (element entry : list) {
    const std::string prefix = "messages[" + std::to_string(i) + "]";
    object entry_object;
    if (entry.get_object().get(entry_object) != simdjson::SUCCESS) {
      return root.FailWrongType(prefix, "an object", entry);
    }
    SimdReader reader(entry_object, prefix + ".");
    if (!DecodeMessage(reader, defaults, limits, &request->messages[i])) return root.Adopt(reader);
    ++i;
  }
  return true;
}

std::variant<ApiRequest, ApiError> DecodeBody(SimdReader& root, const HttpRequest& http,
                                              const ApiLimits& limits) {
  ProduceRequest request;
  if (!root.RequiredString("topic", &request.topic)) return root.TakeError();
  if (MaybeError error = CheckTopicName(request.topic, "topic", limits)) return *error;
  if (!ReadAcks(root, http, &request.acks)) return root.TakeError();
  element messages;
  if (root.Find("messages", &messages)) {
    MessageDefaults defaults;
    std::optional<int64_t> partition;
    if (!ReadEncoding(root, &defaults.base64) ||
        !root.OptionalInt("partition", 0, limits.max_partitions - 1, api_errors::kBadPartition,
                          "a partition id 0..max_partitions-1", &partition)) {
      return root.TakeError();
    }
    if (partition) defaults.partition = PartitionId(static_cast<int32_t>(*partition));
    request.batch_form = true;
    if (!DecodeBatch(root, messages, defaults, limits, &request)) return root.TakeError();
  } else {
    request.messages.resize(1);
    if (!DecodeMessage(root, MessageDefaults{}, limits, &request.messages[0])) {
      return root.TakeError();
    }
  }
  return ApiRequest(std::move(request));
}

}  // namespace

std::variant<ApiRequest, ApiError> DecodeProduceSimdjson(const HttpRequest& http,
                                                         const ApiLimits& limits) {
  if (http.body.empty()) {
    return MakeApiError(api_errors::kMalformedJson,
                        "request body is empty; expected a JSON object");
  }
  // One parser per call keeps the decoder stateless; its buffers are sized
  // to the body (about 14x: hence the size cap in DecodeProduce).
  simdjson::dom::parser parser;
  element body;
  if (parser.parse(http.body).get(body) != simdjson::SUCCESS) {
    // Invalid JSON, or JSON simdjson refuses and nlohmann reads (integers
    // beyond 64 bits, deep nesting): rare, and the reference decides.
    return DecodeProduceNlohmann(http, limits);
  }
  object root_object;
  if (body.get_object().get(root_object) != simdjson::SUCCESS) {
    return MakeApiError(api_errors::kWrongType,
                        std::string("request body must be a JSON object, got ") + TypeName(body));
  }
  SimdReader root(root_object, "");
  std::variant<ApiRequest, ApiError> decoded = DecodeBody(root, http, limits);
  if (root.deferred()) return DecodeProduceNlohmann(http, limits);
  return decoded;
}

}  // namespace gafka

#endif  // GAFKA_WITH_SIMDJSON
