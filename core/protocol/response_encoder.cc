#include "core/protocol/response_encoder.h"

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/protocol/json_writer.h"

namespace gafka {
namespace {

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// The envelope fields, inside an object the caller has opened.
void WriteErrorFields(JsonWriter& writer, const ApiError& error) {
  writer.Key("error_code");
  writer.Int(error.error_code);
  writer.Key("message");
  writer.String(error.message);
  if (!error.leader_hint.empty()) {
    writer.Key("leader");
    writer.String(error.leader_hint);
  }
}

void WriteProduceResult(JsonWriter& writer, const ProduceResult& result) {
  writer.BeginObject();
  writer.Key("partition");
  writer.Int(result.partition.value());
  if (result.error) {
    WriteErrorFields(writer, *result.error);
  } else {
    writer.Key("offset");
    writer.Int(result.offset.value());
    writer.Key("timestamp");
    writer.Int(result.timestamp_ms);
  }
  writer.EndObject();
}

void WritePartitionInfo(JsonWriter& writer, const PartitionInfo& info) {
  writer.BeginObject();
  writer.Key("partition");
  writer.Int(info.partition.value());
  writer.Key("earliest_offset");
  writer.Int(info.log_start_offset.value());
  writer.Key("latest_offset");
  writer.Int(info.log_end_offset.value());
  writer.Key("high_watermark");
  writer.Int(info.high_watermark.value());
  writer.Key("size_bytes");
  writer.Int(static_cast<int64_t>(info.size_bytes));
  writer.Key("status");
  writer.String(info.status);
  writer.Key("leader");
  writer.Int(info.leader.value());
  writer.Key("leader_epoch");
  writer.Int(info.leader_epoch.value());
  writer.EndObject();
}

void WriteTopicInfo(JsonWriter& writer, const TopicInfo& topic) {
  writer.BeginObject();
  writer.Key("name");
  writer.String(topic.name);
  writer.Key("partitions");
  writer.Int(topic.partitions);
  writer.Key("replication_factor");
  writer.Int(topic.replication_factor);
  writer.Key("configs");
  writer.BeginObject();
  writer.Key("retention.ms");
  writer.Int(topic.config.retention_ms);
  writer.Key("retention.bytes");
  writer.Int(topic.config.retention_bytes);
  writer.Key("segment.bytes");
  writer.Int(topic.config.segment_bytes);
  writer.Key("max.message.bytes");
  writer.Int(topic.config.max_message_bytes);
  writer.EndObject();
  if (!topic.partition_info.empty()) {
    writer.Key("partition_info");
    writer.BeginArray();
    for (const PartitionInfo& info : topic.partition_info) WritePartitionInfo(writer, info);
    writer.EndArray();
  }
  writer.EndObject();
}

// Appends the members of `extra` (a JSON object as text) that do not clash
// with `taken`. Anything that is not an object is dropped: the status page
// must render even when a subsystem's report is broken.
void MergeExtra(JsonWriter& writer, const std::string& extra,
                std::initializer_list<std::string_view> taken) {
  if (extra.empty()) return;
  const nlohmann::json parsed = nlohmann::json::parse(extra, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    bool clash = false;
    for (std::string_view name : taken) clash = clash || it.key() == name;
    if (clash) continue;
    writer.Key(it.key());
    // Parsed strings are valid UTF-8; "replace" makes dump() unable to throw anyway.
    writer.Raw(it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

}  // namespace

HttpResponse EncodeError(const ApiError& error) {
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  WriteErrorFields(writer, error);
  writer.EndObject();
  HttpResponse response = Json(error.http_status, std::move(body));
  response.leader_hint = error.leader_hint;
  return response;
}

HttpResponse EncodeProduce(const ProduceResponse& response) {
  std::string body;
  body.reserve(64 + response.results.size() * 48);
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("topic");
  writer.String(response.topic);
  const bool single = !response.batch_form && response.results.size() == 1;
  const ApiError* single_error = nullptr;
  if (single) {
    const ProduceResult& result = response.results[0];
    writer.Key("partition");
    writer.Int(result.partition.value());
    if (result.error) {
      single_error = &*result.error;
      WriteErrorFields(writer, *single_error);
    } else {
      writer.Key("offset");
      writer.Int(result.offset.value());
      writer.Key("timestamp");
      writer.Int(result.timestamp_ms);
    }
  }
  writer.Key("offsets");
  writer.BeginArray();
  std::string leader_hint;
  for (const ProduceResult& result : response.results) {
    WriteProduceResult(writer, result);
    if (result.error && leader_hint.empty()) leader_hint = result.error->leader_hint;
  }
  writer.EndArray();
  writer.EndObject();
  HttpResponse http = Json(single_error ? single_error->http_status : 200, std::move(body));
  http.leader_hint = std::move(leader_hint);
  return http;
}

HttpResponse EncodeTopic(const TopicResponse& response) {
  std::string body;
  JsonWriter writer(&body);
  WriteTopicInfo(writer, response.topic);
  return Json(response.created ? 201 : 200, std::move(body));
}

HttpResponse EncodeTopicList(const TopicListResponse& response) {
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("topics");
  writer.BeginArray();
  for (const TopicInfo& topic : response.topics) WriteTopicInfo(writer, topic);
  writer.EndArray();
  writer.EndObject();
  return Json(200, std::move(body));
}

HttpResponse EncodePartitionOffsets(const PartitionOffsetsResponse& response) {
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("topic");
  writer.String(response.topic);
  writer.Key("partition");
  writer.Int(response.info.partition.value());
  writer.Key("earliest");
  writer.Int(response.info.log_start_offset.value());
  writer.Key("latest");
  writer.Int(response.info.log_end_offset.value());
  writer.Key("high_watermark");
  writer.Int(response.info.high_watermark.value());
  writer.EndObject();
  return Json(200, std::move(body));
}

HttpResponse EncodeDeleted(const DeletedResponse& response) {
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("deleted");
  writer.String(response.what);
  writer.EndObject();
  return Json(200, std::move(body));
}

HttpResponse EncodeHealth(const HealthResponse& response) {
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("status");
  writer.String(response.ok ? "ok" : "unavailable");
  if (!response.detail.empty()) {
    writer.Key("detail");
    writer.String(response.detail);
  }
  writer.EndObject();
  return Json(response.ok ? 200 : 503, std::move(body));
}

HttpResponse EncodeStatus(const StatusResponse& response) {
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("broker_id");
  writer.Int(response.broker_id.value());
  writer.Key("role");
  writer.String(response.role);
  writer.Key("uptime_ms");
  writer.Int(response.uptime_ms);
  writer.Key("topics");
  writer.BeginArray();
  for (const TopicInfo& topic : response.topics) WriteTopicInfo(writer, topic);
  writer.EndArray();
  MergeExtra(writer, response.json_extra, {"broker_id", "role", "uptime_ms", "topics"});
  writer.EndObject();
  return Json(200, std::move(body));
}

HttpResponse EncodeMetrics(const MetricsResponse& response) {
  HttpResponse http;
  http.body = response.text;
  http.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return http;
}

HttpResponse EncodeGroup(const GroupResponse& response) {
  return Json(response.http_status, response.json.empty() ? "{}" : response.json);
}

}  // namespace gafka
