#include "runtime-sim/client_codec.h"

#include <nlohmann/json.hpp>

#include "core/base/check.h"
#include "core/protocol/base64.h"
#include "core/protocol/json_writer.h"

namespace gafka::sim {
namespace {

using Json = nlohmann::json;

bool NeedsBase64(const ProduceMessage& m) {
  if (m.key && !IsValidUtf8(*m.key)) return true;
  if (!IsValidUtf8(m.value)) return true;
  for (const RecordHeader& h : m.headers) {
    if (!IsValidUtf8(h.value)) return true;
  }
  return false;
}

void WriteBytes(JsonWriter& writer, std::string_view bytes, bool base64) {
  if (base64) {
    writer.Base64String(bytes);
  } else {
    writer.String(bytes);
  }
}

void WriteMessage(JsonWriter& writer, const ProduceMessage& m) {
  const bool base64 = NeedsBase64(m);
  writer.BeginObject();
  if (base64) {
    writer.Key("encoding");
    writer.String("base64");
  }
  if (m.key) {
    writer.Key("key");
    WriteBytes(writer, *m.key, base64);
  }
  writer.Key("value");
  WriteBytes(writer, m.value, base64);
  if (m.partition) {
    writer.Key("partition");
    writer.Int(m.partition->value());
  }
  if (m.timestamp_ms) {
    writer.Key("timestamp");
    writer.Int(*m.timestamp_ms);
  }
  if (!m.headers.empty()) {
    writer.Key("headers");
    writer.BeginObject();
    for (const RecordHeader& h : m.headers) {
      writer.Key(h.key);
      WriteBytes(writer, h.value, base64);
    }
    writer.EndObject();
  }
  writer.EndObject();
}

const char* AcksText(Acks acks) {
  switch (acks) {
    case Acks::kNone: return "0";
    case Acks::kLeader: return "1";
    case Acks::kAll: return "all";
  }
  return "1";
}

std::optional<Json> ParseObject(const std::string& body) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

bool GetInt(const Json& object, const char* key, int64_t* out) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

bool GetText(const Json& value, bool base64, std::string* out) {
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (!base64) {
    *out = text;
    return true;
  }
  return Base64Decode(text, out);
}

std::optional<Record> ParseRecord(const Json& json, const std::string& topic,
                                  PartitionId partition) {
  if (!json.is_object()) return std::nullopt;
  int64_t p = 0, offset = 0, timestamp = 0;
  auto topic_it = json.find("topic");
  if (topic_it == json.end() || *topic_it != topic || !GetInt(json, "partition", &p) ||
      p != partition.value() || !GetInt(json, "offset", &offset) ||
      !GetInt(json, "timestamp", &timestamp)) {
    return std::nullopt;
  }
  bool base64 = false;
  if (auto it = json.find("encoding"); it != json.end()) {
    if (*it != "base64") return std::nullopt;
    base64 = true;
  }
  Record record;
  record.offset = Offset(offset);
  record.timestamp_ms = timestamp;
  auto key = json.find("key");
  if (key != json.end() && !key->is_null()) {
    std::string bytes;
    if (!GetText(*key, base64, &bytes)) return std::nullopt;
    record.key = std::move(bytes);
  }
  auto value = json.find("value");
  if (value == json.end() || !GetText(*value, base64, &record.value)) return std::nullopt;
  if (auto headers = json.find("headers"); headers != json.end()) {
    if (!headers->is_object()) return std::nullopt;
    for (auto it = headers->begin(); it != headers->end(); ++it) {
      RecordHeader header;
      header.key = it.key();
      if (!GetText(*it, base64, &header.value)) return std::nullopt;
      record.headers.push_back(std::move(header));
    }
  }
  return record;
}

}  // namespace

HttpRequest ProduceHttp(const std::string& topic, std::span<const ProduceMessage> messages,
                        Acks acks) {
  CHECK(!messages.empty());
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/v1/produce";
  JsonWriter writer(&request.body);
  writer.BeginObject();
  writer.Key("topic");
  writer.String(topic);
  writer.Key("acks");
  writer.String(AcksText(acks));
  writer.Key("messages");
  writer.BeginArray();
  for (const ProduceMessage& m : messages) WriteMessage(writer, m);
  writer.EndArray();
  writer.EndObject();
  CHECK(writer.done());
  return request;
}

HttpRequest FetchHttp(const std::string& topic, PartitionId partition, Offset offset,
                      int32_t max_count, int64_t max_bytes, Millis timeout_ms) {
  CHECK(max_count > 0 && max_bytes > 0 && timeout_ms >= 0);
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/consume";
  request.query["topic"] = topic;
  request.query["partition"] = std::to_string(partition.value());
  request.query["offset"] = std::to_string(offset.value());
  request.query["count"] = std::to_string(max_count);
  request.query["max_bytes"] = std::to_string(max_bytes);
  request.query["timeout"] = std::to_string(timeout_ms) + "ms";
  return request;
}

HttpRequest CreateTopicHttp(const std::string& name, int32_t partitions,
                            const TopicConfig& config) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/v1/topics";
  JsonWriter writer(&request.body);
  writer.BeginObject();
  writer.Key("name");
  writer.String(name);
  writer.Key("partitions");
  writer.Int(partitions);
  writer.Key("configs");
  writer.BeginObject();
  writer.Key("retention.ms");
  writer.Int(config.retention_ms);
  writer.Key("retention.bytes");
  writer.Int(config.retention_bytes);
  writer.Key("segment.bytes");
  writer.Int(config.segment_bytes);
  writer.Key("max.message.bytes");
  writer.Int(config.max_message_bytes);
  writer.EndObject();
  writer.EndObject();
  CHECK(writer.done());
  return request;
}

std::optional<ApiError> ParseError(const HttpResponse& response) {
  std::optional<Json> json = ParseObject(response.body);
  if (!json) return std::nullopt;
  ApiError error;
  error.http_status = response.status;
  int64_t code = 0;
  if (!GetInt(*json, "error_code", &code)) return std::nullopt;
  error.error_code = static_cast<int>(code);
  if (auto it = json->find("message"); it != json->end() && it->is_string()) {
    error.message = it->get<std::string>();
  }
  error.leader_hint = response.leader_hint;
  return error;
}

std::optional<std::vector<ProduceResult>> ParseProduceAnswer(const HttpResponse& response) {
  std::optional<Json> json = ParseObject(response.body);
  if (!json) return std::nullopt;
  auto offsets = json->find("offsets");
  if (offsets == json->end() || !offsets->is_array()) return std::nullopt;
  std::vector<ProduceResult> results;
  results.reserve(offsets->size());
  for (const Json& entry : *offsets) {
    if (!entry.is_object()) return std::nullopt;
    ProduceResult result;
    int64_t partition = 0;
    if (!GetInt(entry, "partition", &partition)) return std::nullopt;
    result.partition = PartitionId(static_cast<int32_t>(partition));
    int64_t code = 0;
    if (GetInt(entry, "error_code", &code)) {
      ApiError error;
      error.error_code = static_cast<int>(code);
      error.http_status = error.error_code / 100;
      if (auto it = entry.find("message"); it != entry.end() && it->is_string()) {
        error.message = it->get<std::string>();
      }
      result.error = std::move(error);
    } else {
      int64_t offset = 0, timestamp = 0;
      if (!GetInt(entry, "offset", &offset) || !GetInt(entry, "timestamp", &timestamp)) {
        return std::nullopt;
      }
      result.offset = Offset(offset);
      result.timestamp_ms = timestamp;
    }
    results.push_back(std::move(result));
  }
  return results;
}

std::optional<FetchAnswer> ParseFetchAnswer(const HttpResponse& response, const std::string& topic,
                                            PartitionId partition) {
  std::optional<Json> json = ParseObject(response.body);
  if (!json) return std::nullopt;
  FetchAnswer answer;
  int64_t next = 0, high = 0, start = 0, p = 0;
  if (!GetInt(*json, "partition", &p) || p != partition.value() ||
      !GetInt(*json, "next_offset", &next) || !GetInt(*json, "high_watermark", &high) ||
      !GetInt(*json, "log_start_offset", &start)) {
    return std::nullopt;
  }
  answer.next_offset = Offset(next);
  answer.high_watermark = Offset(high);
  answer.log_start_offset = Offset(start);
  auto records = json->find("records");
  if (records == json->end() || !records->is_array()) return std::nullopt;
  answer.records.reserve(records->size());
  for (const Json& entry : *records) {
    std::optional<Record> record = ParseRecord(entry, topic, partition);
    if (!record) return std::nullopt;
    answer.records.push_back(std::move(*record));
  }
  return answer;
}

}  // namespace gafka::sim
