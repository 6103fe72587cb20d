// Round trips: encode, parse the body back with nlohmann, compare the data.
#include "core/protocol/response_encoder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/protocol/base64.h"
#include "core/protocol/codec.h"
#include "core/protocol/errors.h"

namespace gafka {
namespace {

using nlohmann::json;

json Parse(const HttpResponse& response) {
  json parsed = json::parse(response.body, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << response.body;
  return parsed;
}

Record MakeRecord(int64_t offset, std::optional<std::string> key, std::string value,
                  std::vector<RecordHeader> headers = {}) {
  Record r;
  r.offset = Offset(offset);
  r.timestamp_ms = 1700000000000 + offset;
  r.key = std::move(key);
  r.value = std::move(value);
  r.headers = std::move(headers);
  return r;
}

TEST(EncodeResponse, ErrorEnvelopeWithLeaderHint) {
  ApiError error = MakeApiError(api_errors::kNotLeader, "not the leader");
  error.leader_hint = "localhost:9001";
  const HttpResponse http = EncodeResponse(error);
  EXPECT_EQ(http.status, 409);
  EXPECT_EQ(http.leader_hint, "localhost:9001");
  EXPECT_EQ(http.content_type, "application/json");
  EXPECT_EQ(
      Parse(http),
      json({{"error_code", 40903}, {"message", "not the leader"}, {"leader", "localhost:9001"}}));
  EXPECT_EQ(Parse(EncodeResponse(MakeApiError(api_errors::kTopicNotFound, "no topic 'x'"))),
            json({{"error_code", 40401}, {"message", "no topic 'x'"}}));
}

TEST(EncodeResponse, ErrorMessageWithInvalidUtf8IsRepaired) {
  const HttpResponse http = EncodeResponse(MakeApiError(api_errors::kBadId, "bad id '\xff\xfe'"));
  EXPECT_EQ(Parse(http)["message"], "bad id '\xEF\xBF\xBD\xEF\xBF\xBD'");
}

TEST(EncodeResponse, SingleProduceCarriesTopLevelPosition) {
  ProduceResponse response{
      "t", {ProduceResult{PartitionId(1), Offset(41), 123, std::nullopt}}, false};
  const HttpResponse http = EncodeResponse(response);
  EXPECT_EQ(http.status, 200);
  EXPECT_EQ(Parse(http), json::parse(R"({"topic":"t","partition":1,"offset":41,"timestamp":123,
      "offsets":[{"partition":1,"offset":41,"timestamp":123}]})"));
}

TEST(EncodeResponse, FailedSingleProduceTakesTheErrorStatus) {
  ApiError error = MakeApiError(api_errors::kNotEnoughReplicas, "1 in sync, 2 required");
  ProduceResponse response{"t", {ProduceResult{PartitionId(0), Offset(), 0, error}}, false};
  const HttpResponse http = EncodeResponse(response);
  EXPECT_EQ(http.status, 503);
  const json body = Parse(http);
  EXPECT_EQ(body["error_code"], 50301);
  EXPECT_EQ(body["message"], "1 in sync, 2 required");
  EXPECT_EQ(body["offsets"][0]["error_code"], 50301);
  EXPECT_FALSE(body.contains("offset"));
}

TEST(EncodeResponse, BatchProduceIs200WithPerMessageResults) {
  ApiError error = MakeApiError(api_errors::kPartitionNotFound, "no partition 9");
  ProduceResponse response{"t",
                           {ProduceResult{PartitionId(0), Offset(5), 10, std::nullopt},
                            ProduceResult{PartitionId(9), Offset(), 0, error}},
                           true};
  const HttpResponse http = EncodeResponse(response);
  EXPECT_EQ(http.status, 200);
  EXPECT_EQ(Parse(http), json::parse(R"({"topic":"t","offsets":[
      {"partition":0,"offset":5,"timestamp":10},
      {"partition":9,"error_code":40402,"message":"no partition 9"}]})"));
}

TEST(EncodeResponse, DirectFetchRoundTrip) {
  FetchResponse response;
  response.topic = "t";
  response.partition = PartitionId(2);
  response.next_offset = Offset(12);
  response.high_watermark = Offset(20);
  response.log_start_offset = Offset(3);
  response.records.push_back(
      {"t", PartitionId(2), MakeRecord(10, "k", "v\"\\\n\x01 é", {{"h", "x"}})});
  response.records.push_back({"t", PartitionId(2), MakeRecord(11, std::nullopt, "")});
  const HttpResponse http = EncodeResponse(response);
  EXPECT_EQ(http.status, 200);
  const json body = Parse(http);
  EXPECT_EQ(body["next_offset"], 12);
  EXPECT_EQ(body["high_watermark"], 20);
  EXPECT_EQ(body["log_start_offset"], 3);
  EXPECT_EQ(body["partition"], 2);
  EXPECT_FALSE(body.contains("generation"));
  ASSERT_EQ(body["records"].size(), 2u);
  EXPECT_EQ(body["records"][0], json::parse(R"({"topic":"t","partition":2,"offset":10,
      "timestamp":1700000000010,"key":"k","value":"v\"\\\n\u0001 é",
      "headers":[{"key":"h","value":"x"}]})"));
  EXPECT_TRUE(body["records"][1]["key"].is_null());
  EXPECT_EQ(body["records"][1]["value"], "");
  EXPECT_EQ(body["records"][1]["headers"], json::array());
}

TEST(EncodeResponse, NonUtf8RecordIsBase64) {
  FetchResponse response;
  const std::string binary("\x00\xff\xfe\x80", 4);
  response.records.push_back({"t", PartitionId(0), MakeRecord(0, "key", binary, {{"h", "hi"}})});
  response.records.push_back({"t", PartitionId(0), MakeRecord(1, "k\xc3", "text")});  // truncated é
  response.records.push_back(
      {"t", PartitionId(0), MakeRecord(2, "k", "v", {{"h", "\xed\xa0\x80"}})});
  response.records.push_back({"t", PartitionId(0), MakeRecord(3, std::nullopt, "plain")});
  const json records = Parse(EncodeResponse(response))["records"];
  ASSERT_EQ(records.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    const json& r = records[i];
    EXPECT_EQ(r["encoding"], "base64") << r;
    std::string key;
    std::string value;
    ASSERT_TRUE(Base64Decode(r["key"].get<std::string>(), &key));
    ASSERT_TRUE(Base64Decode(r["value"].get<std::string>(), &value));
    EXPECT_EQ(value, response.records[i].record.value);
    EXPECT_EQ(key, *response.records[i].record.key);
    const std::vector<RecordHeader>& headers = response.records[i].record.headers;
    ASSERT_EQ(r["headers"].size(), headers.size());
    for (size_t k = 0; k < headers.size(); ++k) {
      std::string header;
      EXPECT_EQ(r["headers"][k]["key"], headers[k].key);  // keys stay text
      ASSERT_TRUE(Base64Decode(r["headers"][k]["value"].get<std::string>(), &header));
      EXPECT_EQ(header, headers[k].value);
    }
    EXPECT_EQ(r["offset"], i);
  }
  EXPECT_FALSE(records[3].contains("encoding"));
  EXPECT_EQ(records[3]["value"], "plain");
}

TEST(EncodeResponse, GroupPollCarriesMembershipFacts) {
  FetchResponse response;
  response.topic = "t";
  response.generation = Generation(4);
  response.session_expires_in_ms = 9500;
  response.assigned = {PartitionId(0), PartitionId(2)};
  response.records.push_back({"t", PartitionId(2), MakeRecord(7, "k", "v")});
  const json body = Parse(EncodeResponse(response));
  EXPECT_EQ(body["generation"], 4);
  EXPECT_EQ(body["session_expires_in_ms"], 9500);
  EXPECT_EQ(body["assigned_partitions"], json::array({0, 2}));
  EXPECT_EQ(body["records"][0]["partition"], 2);
  EXPECT_FALSE(body.contains("next_offset"));
}

TopicInfo MakeTopic() {
  TopicInfo topic;
  topic.name = "orders";
  topic.partitions = 1;
  topic.replication_factor = 2;
  topic.config.retention_ms = 1000;
  topic.partition_info.push_back(PartitionInfo{PartitionId(0), Offset(1), Offset(9), Offset(8),
                                               4096, "ok", NodeId(1), Epoch(3)});
  return topic;
}

TEST(EncodeResponse, TopicsRoundTrip) {
  TopicResponse created{MakeTopic(), true};
  created.topic.partition_info.clear();
  HttpResponse http = EncodeResponse(created);
  EXPECT_EQ(http.status, 201);
  json body = Parse(http);
  EXPECT_EQ(body["name"], "orders");
  EXPECT_EQ(body["partitions"], 1);
  EXPECT_EQ(body["replication_factor"], 2);
  EXPECT_EQ(body["configs"], json::parse(R"({"retention.ms":1000,"retention.bytes":-1,
      "segment.bytes":67108864,"max.message.bytes":1048576})"));
  EXPECT_FALSE(body.contains("partition_info"));

  http = EncodeResponse(TopicResponse{MakeTopic(), false});
  EXPECT_EQ(http.status, 200);
  EXPECT_EQ(Parse(http)["partition_info"][0], json::parse(R"({"partition":0,"earliest_offset":1,
      "latest_offset":9,"high_watermark":8,"size_bytes":4096,"status":"ok","leader":1,
      "leader_epoch":3})"));

  body = Parse(EncodeResponse(TopicListResponse{{MakeTopic(), MakeTopic()}}));
  EXPECT_EQ(body["topics"].size(), 2u);
  body = Parse(EncodeResponse(TopicListResponse{}));
  EXPECT_EQ(body, json::parse(R"({"topics":[]})"));
}

TEST(EncodeResponse, OffsetsDeletedHealth) {
  PartitionOffsetsResponse offsets{"t", MakeTopic().partition_info[0]};
  EXPECT_EQ(
      Parse(EncodeResponse(offsets)),
      json::parse(R"({"topic":"t","partition":0,"earliest":1,"latest":9,"high_watermark":8})"));
  EXPECT_EQ(Parse(EncodeResponse(DeletedResponse{"topic orders"})),
            json::parse(R"({"deleted":"topic orders"})"));
  HttpResponse health = EncodeResponse(HealthResponse{true, ""});
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Parse(health), json::parse(R"({"status":"ok"})"));
  health = EncodeResponse(HealthResponse{false, "partition t-0 failed"});
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(Parse(health)["detail"], "partition t-0 failed");
}

TEST(EncodeResponse, StatusMergesExtraJson) {
  StatusResponse status{NodeId(1),
                        "leader",
                        5000,
                        {MakeTopic()},
                        R"({"replication":{"followers":[2]},"role":"ignored"})"};
  const json body = Parse(EncodeResponse(status));
  EXPECT_EQ(body["broker_id"], 1);
  EXPECT_EQ(body["role"], "leader");
  EXPECT_EQ(body["uptime_ms"], 5000);
  EXPECT_EQ(body["topics"][0]["partition_info"][0]["leader_epoch"], 3);
  EXPECT_EQ(body["replication"]["followers"][0], 2);
  for (const char* broken : {"", "not json", "[1]", "{\"a\":"}) {
    status.json_extra = broken;
    const json plain = Parse(EncodeResponse(status));
    EXPECT_EQ(plain.size(), 4u) << broken;
  }
}

TEST(EncodeResponse, MetricsAreTextAndGroupsPassThrough) {
  const HttpResponse metrics = EncodeResponse(MetricsResponse{"gafka_up 1\n"});
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body, "gafka_up 1\n");
  EXPECT_EQ(metrics.content_type.rfind("text/plain", 0), 0u);
  const HttpResponse group = EncodeResponse(GroupResponse{409, R"({"error_code":40902})"});
  EXPECT_EQ(group.status, 409);
  EXPECT_EQ(group.body, R"({"error_code":40902})");
  EXPECT_EQ(EncodeResponse(GroupResponse{200, ""}).body, "{}");
}

}  // namespace
}  // namespace gafka
