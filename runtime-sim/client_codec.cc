#include "runtime-sim/client_codec.h"

#include "core/base/check.h"
#include "core/protocol/base64.h"
#include "core/protocol/json_writer.h"
#include "runtime-sim/json_cursor.h"

namespace gafka::sim {
namespace {

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
    case Acks::kNone:
      return "0";
    case Acks::kLeader:
      return "1";
    case Acks::kAll:
      return "all";
  }
  return "1";
}

// A record object of a fetch answer. "encoding" may come after the fields it
// governs, so text is decoded once the object is read.
bool ParseRecord(JsonCursor& c, const std::string& topic, PartitionId partition, Record* record) {
  if (!c.BeginObject()) return false;
  std::string key, text;
  bool has_topic = false, has_partition = false, has_offset = false, has_timestamp = false;
  bool has_value = false, base64 = false;
  std::optional<std::string> record_key;
  int64_t number = 0;
  while (c.NextMember(&key)) {
    if (key == "topic") {
      if (!c.String(&text) || text != topic) return false;
      has_topic = true;
    } else if (key == "partition") {
      if (!c.Int(&number) || number != partition.value()) return false;
      has_partition = true;
    } else if (key == "offset") {
      if (!c.Int(&number)) return false;
      record->offset = Offset(number);
      has_offset = true;
    } else if (key == "timestamp") {
      if (!c.Int(&record->timestamp_ms)) return false;
      has_timestamp = true;
    } else if (key == "key") {
      if (c.Peek() == 'n') {
        if (!c.Null()) return false;
        record_key.reset();
      } else {
        record_key.emplace();
        if (!c.String(&*record_key)) return false;
      }
    } else if (key == "value") {
      if (!c.String(&record->value)) return false;
      has_value = true;
    } else if (key == "headers") {
      // An array of {"key","value"} in stored order (keys may repeat).
      if (!c.BeginArray()) return false;
      while (c.NextElement()) {
        if (!c.BeginObject()) return false;
        RecordHeader header;
        bool has_key = false, has_header_value = false;
        while (c.NextMember(&text)) {
          if (text == "key") {
            if (!c.String(&header.key)) return false;
            has_key = true;
          } else if (text == "value") {
            if (!c.String(&header.value)) return false;
            has_header_value = true;
          } else if (!c.Skip()) {
            return false;
          }
        }
        if (!c.ok() || !has_key || !has_header_value) return false;
        record->headers.push_back(std::move(header));
      }
      if (!c.ok()) return false;
    } else if (key == "encoding") {
      if (!c.String(&text) || text != "base64") return false;
      base64 = true;
    } else if (!c.Skip()) {
      return false;
    }
  }
  if (!c.ok() || !has_topic || !has_partition || !has_offset || !has_timestamp || !has_value) {
    return false;
  }
  record->key = std::move(record_key);
  if (base64) {
    std::string bytes;
    if (record->key) {
      if (!Base64Decode(*record->key, &bytes)) return false;
      record->key = bytes;
    }
    if (!Base64Decode(record->value, &bytes)) return false;
    record->value = std::move(bytes);
    for (RecordHeader& header : record->headers) {
      if (!Base64Decode(header.value, &bytes)) return false;
      header.value = std::move(bytes);
    }
  }
  return true;
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
  JsonCursor c(response.body);
  ApiError error;
  error.http_status = response.status;
  error.leader_hint = response.leader_hint;
  bool has_code = false;
  std::string key;
  int64_t code = 0;
  if (!c.BeginObject()) return std::nullopt;
  while (c.NextMember(&key)) {
    if (key == "error_code") {
      if (!c.Int(&code)) return std::nullopt;
      has_code = true;
    } else if (key == "message") {
      if (!c.String(&error.message)) return std::nullopt;
    } else if (!c.Skip()) {
      return std::nullopt;
    }
  }
  if (!c.End() || !has_code) return std::nullopt;
  error.error_code = static_cast<int>(code);
  return error;
}

namespace {

// One entry of a produce answer's "offsets".
bool ParseProduceResult(JsonCursor& c, ProduceResult* result) {
  if (!c.BeginObject()) return false;
  std::string key;
  int64_t number = 0;
  bool has_partition = false, has_offset = false, has_timestamp = false;
  std::optional<int64_t> code;
  std::string message;
  while (c.NextMember(&key)) {
    if (key == "partition") {
      if (!c.Int(&number)) return false;
      result->partition = PartitionId(static_cast<int32_t>(number));
      has_partition = true;
    } else if (key == "offset") {
      if (!c.Int(&number)) return false;
      result->offset = Offset(number);
      has_offset = true;
    } else if (key == "timestamp") {
      if (!c.Int(&result->timestamp_ms)) return false;
      has_timestamp = true;
    } else if (key == "error_code") {
      if (!c.Int(&number)) return false;
      code = number;
    } else if (key == "message") {
      if (!c.String(&message)) return false;
    } else if (!c.Skip()) {
      return false;
    }
  }
  if (!c.ok() || !has_partition) return false;
  if (code) {
    ApiError error;
    error.error_code = static_cast<int>(*code);
    error.http_status = error.error_code / 100;
    error.message = std::move(message);
    result->error = std::move(error);
    return true;
  }
  return has_offset && has_timestamp;
}

}  // namespace

std::optional<std::vector<ProduceResult>> ParseProduceAnswer(const HttpResponse& response) {
  JsonCursor c(response.body);
  std::vector<ProduceResult> results;
  bool has_offsets = false;
  std::string key;
  if (!c.BeginObject()) return std::nullopt;
  while (c.NextMember(&key)) {
    if (key != "offsets") {
      if (!c.Skip()) return std::nullopt;
      continue;
    }
    has_offsets = true;
    if (!c.BeginArray()) return std::nullopt;
    while (c.NextElement()) {
      ProduceResult result;
      if (!ParseProduceResult(c, &result)) return std::nullopt;
      results.push_back(std::move(result));
    }
    if (!c.ok()) return std::nullopt;
  }
  if (!c.End() || !has_offsets) return std::nullopt;
  return results;
}

std::optional<FetchAnswer> ParseFetchAnswer(const HttpResponse& response, const std::string& topic,
                                            PartitionId partition) {
  JsonCursor c(response.body);
  FetchAnswer answer;
  std::string key;
  int64_t number = 0;
  int found = 0;  // one bit per required field
  if (!c.BeginObject()) return std::nullopt;
  while (c.NextMember(&key)) {
    if (key == "partition") {
      if (!c.Int(&number) || number != partition.value()) return std::nullopt;
      found |= 1;
    } else if (key == "next_offset") {
      if (!c.Int(&number)) return std::nullopt;
      answer.next_offset = Offset(number);
      found |= 2;
    } else if (key == "high_watermark") {
      if (!c.Int(&number)) return std::nullopt;
      answer.high_watermark = Offset(number);
      found |= 4;
    } else if (key == "log_start_offset") {
      if (!c.Int(&number)) return std::nullopt;
      answer.log_start_offset = Offset(number);
      found |= 8;
    } else if (key == "records") {
      if (!c.BeginArray()) return std::nullopt;
      while (c.NextElement()) {
        Record record;
        if (!ParseRecord(c, topic, partition, &record)) return std::nullopt;
        answer.records.push_back(std::move(record));
      }
      if (!c.ok()) return std::nullopt;
      found |= 16;
    } else if (!c.Skip()) {
      return std::nullopt;
    }
  }
  if (!c.End() || found != 31) return std::nullopt;
  return answer;
}

}  // namespace gafka::sim
