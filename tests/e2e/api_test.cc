// End-to-end tests of the HTTP API against a real gafka-broker process on
// 127.0.0.1: every endpoint, bad inputs and long polls.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "runtime-real/client.h"
#include "tests/util/broker_fixture.h"
#include "tests/util/broker_process.h"

namespace gafka {
namespace {

using Json = nlohmann::json;
using testing::BrokerProcess;
using SteadyClock = std::chrono::steady_clock;

Millis ElapsedMs(SteadyClock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - since).count();
}

class ApiTest : public testing::BrokerFixture {
 protected:
  RawResponse Raw(const std::string& method, const std::string& path,
                  const std::string& body = "") {
    auto raw = client_->Call(method, path, body);
    EXPECT_TRUE(raw.ok()) << raw.status().ToString();
    return raw.ok() ? std::move(raw).value() : RawResponse{};
  }

  // Asserts an error answer: the status, the error_code, a JSON envelope.
  void ExpectError(const std::string& method, const std::string& path, const std::string& body,
                   int status, int error_code) {
    RawResponse raw = Raw(method, path, body);
    EXPECT_EQ(raw.status, status) << method << " " << path << " " << body << " -> " << raw.body;
    Json j = Json::parse(raw.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << raw.body;
    EXPECT_EQ(j.value("error_code", 0), error_code) << method << " " << path << " -> " << raw.body;
    EXPECT_FALSE(j.value("message", std::string()).empty()) << raw.body;
    EXPECT_EQ(raw.content_type, "application/json");
  }

  // Polls /metrics (bounded) until `metric` reaches at least `value`.
  bool WaitForMetric(const std::string& metric, int64_t value, Millis timeout_ms) {
    auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
    while (SteadyClock::now() < deadline) {
      auto text = client_->Metrics();
      if (text.ok()) {
        size_t at = text->find("\n" + metric + " ");
        if (at != std::string::npos && std::stoll(text->substr(at + metric.size() + 2)) >= value) {
          return true;
        }
      }
      std::this_thread::yield();
    }
    return false;
  }

};

TEST_F(ApiTest, HealthStatusAndMetricsAnswer) {
  for (const char* path : {"/healthz", "/api/v1/health"}) {
    RawResponse raw = Raw("GET", path);
    EXPECT_EQ(raw.status, 200) << path;
    EXPECT_EQ(Json::parse(raw.body).value("status", ""), "ok");
  }
  auto health = client_->Health();
  ASSERT_TRUE(health.ok());
  EXPECT_TRUE(health->ok);

  auto status = client_->BrokerStatus();
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->broker_id, NodeId(1));
  EXPECT_EQ(status->role, "leader");

  RawResponse metrics = Raw("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.content_type.find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("gafka_produce_messages_total"), std::string::npos);
  EXPECT_EQ(Raw("GET", "/api/v1/metrics").status, 200);
}

TEST_F(ApiTest, TopicLifecycleCreateListDescribeOffsetsDelete) {
  RawResponse created = Raw("POST", "/api/v1/topics",
                            R"({"name":"orders","partitions":3,"configs":{"retention.ms":60000}})");
  EXPECT_EQ(created.status, 201) << created.body;
  ExpectError("POST", "/api/v1/topics", R"({"name":"orders","partitions":3})", 409, 40905);

  auto topics = client_->ListTopics();
  ASSERT_TRUE(topics.ok()) << topics.status().ToString();
  ASSERT_EQ(topics->size(), 1u);
  EXPECT_EQ((*topics)[0].name, "orders");
  EXPECT_EQ((*topics)[0].partitions, 3);
  EXPECT_EQ((*topics)[0].config.retention_ms, 60000);

  auto described = client_->DescribeTopic("orders");
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->partition_info.size(), 3u);
  for (const PartitionInfo& p : described->partition_info) {
    EXPECT_EQ(p.log_end_offset, Offset(0));
    EXPECT_EQ(p.status, "ok");
  }

  ProduceMessage m;
  m.value = "first";
  m.partition = PartitionId(2);
  ASSERT_TRUE(client_->Produce("orders", m).ok());
  auto offsets = client_->PartitionOffsets("orders", PartitionId(2));
  ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
  EXPECT_EQ(offsets->log_start_offset, Offset(0));
  EXPECT_EQ(offsets->log_end_offset, Offset(1));
  EXPECT_EQ(offsets->high_watermark, Offset(1));

  ASSERT_TRUE(client_->DeleteTopic("orders").ok());
  auto gone = client_->DescribeTopic("orders");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(ErrorOf(gone.status()).http_status, 404);
  EXPECT_EQ(ErrorOf(gone.status()).error_code, 40401);
  // The name can be used again, empty.
  CreateTopic("orders", 1);
  auto fresh = client_->PartitionOffsets("orders", PartitionId(0));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->log_end_offset, Offset(0));
}

TEST_F(ApiTest, ProduceSingleAndBatchThenFetchReturnsEverythingIdentical) {
  CreateTopic("events", 2);
  // The SPEC's original call.
  RawResponse single =
      Raw("POST", "/api/v1/produce", R"({"topic":"events","key":"user123","value":"Hello World"})");
  ASSERT_EQ(single.status, 200) << single.body;
  Json s = Json::parse(single.body);
  const int key_partition = s.at("partition").get<int>();
  EXPECT_EQ(s.at("offset").get<int64_t>(), 0);

  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  std::vector<ProduceMessage> batch(3);
  batch[0].key = "user123";  // same key: same partition, next offset
  batch[0].value = "second";
  batch[0].headers = {{"trace", "abc"}, {"origin", "e2e"}};
  batch[1].value = binary;  // not UTF-8: travels as base64
  batch[1].partition = PartitionId(key_partition);
  batch[2].value = "";
  batch[2].partition = PartitionId(key_partition);
  batch[2].timestamp_ms = 1234567;
  auto results = client_->ProduceBatch("events", batch, {.acks = Acks::kAll});
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_FALSE((*results)[i].error.has_value());
    EXPECT_EQ((*results)[i].partition, PartitionId(key_partition));
    EXPECT_EQ((*results)[i].offset, Offset(static_cast<int64_t>(i) + 1));
  }

  FetchRequest fetch;
  fetch.topic = "events";
  fetch.partition = PartitionId(key_partition);
  fetch.offset_spec = OffsetSpec::kEarliest;
  auto fetched = client_->Fetch(fetch);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_EQ(fetched->records.size(), 4u);
  EXPECT_EQ(fetched->next_offset, Offset(4));
  EXPECT_EQ(fetched->high_watermark, Offset(4));
  const Record& first = fetched->records[0].record;
  EXPECT_EQ(first.key, "user123");
  EXPECT_EQ(first.value, "Hello World");
  EXPECT_GT(first.timestamp_ms, 1'600'000'000'000);
  EXPECT_EQ(fetched->records[1].record.headers, batch[0].headers);
  EXPECT_EQ(fetched->records[2].record.value, binary);
  EXPECT_FALSE(fetched->records[2].record.key.has_value());
  EXPECT_EQ(fetched->records[3].record.value, "");
  EXPECT_EQ(fetched->records[3].record.timestamp_ms, 1234567);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(fetched->records[i].record.offset, Offset(static_cast<int64_t>(i)));
    EXPECT_EQ(fetched->records[i].topic, "events");
  }

  // count limits a read; offset=latest reads nothing and reports the end.
  RawResponse two =
      Raw("GET", "/api/v1/consume?topic=events&partition=" + std::to_string(key_partition) +
                     "&offset=1&count=2");
  ASSERT_EQ(two.status, 200);
  Json t = Json::parse(two.body);
  EXPECT_EQ(t.at("records").size(), 2u);
  EXPECT_EQ(t.at("next_offset").get<int64_t>(), 3);
  fetch.offset_spec = OffsetSpec::kLatest;
  auto latest = client_->Fetch(fetch);
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(latest->records.empty());
  EXPECT_EQ(latest->next_offset, Offset(4));
}

// Kafka allows a header key to repeat; the fetch answer lists headers as an
// array of {key, value} in stored order so that none of them collapses.
TEST_F(ApiTest, RepeatedHeaderKeysSurviveProduceAndFetchInOrder) {
  CreateTopic("hdr", 1);
  RawResponse produced = Raw("POST", "/api/v1/produce", R"({"topic":"hdr","value":"v",
      "headers":[{"key":"trace","value":"b"},{"key":"trace","value":"a"},
                 {"key":"id","value":"1"}]})");
  ASSERT_EQ(produced.status, 200) << produced.body;
  std::vector<ProduceMessage> batch(1);
  batch[0].value = std::string("\xff", 1);  // not UTF-8: the record travels as base64
  batch[0].headers = {{"k", "2"}, {"k", "1"}};
  ASSERT_TRUE(client_->ProduceBatch("hdr", batch).ok());

  RawResponse raw = Raw("GET", "/api/v1/consume?topic=hdr&partition=0&offset=0");
  ASSERT_EQ(raw.status, 200) << raw.body;
  Json records = Json::parse(raw.body).at("records");
  ASSERT_EQ(records.size(), 2u) << raw.body;
  EXPECT_EQ(records[0].at("headers"), Json::parse(R"([{"key":"trace","value":"b"},
      {"key":"trace","value":"a"},{"key":"id","value":"1"}])"));
  EXPECT_EQ(records[1].at("encoding"), "base64");
  EXPECT_EQ(records[1].at("headers"),
            Json::parse(R"([{"key":"k","value":"Mg=="},{"key":"k","value":"MQ=="}])"));

  FetchRequest fetch;
  fetch.topic = "hdr";
  fetch.partition = PartitionId(0);
  fetch.offset = Offset(0);
  auto fetched = client_->Fetch(fetch);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_EQ(fetched->records.size(), 2u);
  EXPECT_EQ(fetched->records[0].record.headers,
            (std::vector<RecordHeader>{{"trace", "b"}, {"trace", "a"}, {"id", "1"}}));
  EXPECT_EQ(fetched->records[1].record.headers, batch[0].headers);
}

TEST_F(ApiTest, AcksZeroAndAllAreAccepted) {
  CreateTopic("acks", 1);
  ProduceMessage m;
  m.value = "x";
  ASSERT_TRUE(client_->Produce("acks", m, {.acks = Acks::kNone}).ok());
  ASSERT_TRUE(client_->Produce("acks", m, {.acks = Acks::kAll}).ok());
  RawResponse raw = Raw("POST", "/api/v1/produce?acks=all", R"({"topic":"acks","value":"y"})");
  EXPECT_EQ(raw.status, 200) << raw.body;
  // acks=0 may answer before the append is durable; a long poll sees all three.
  FetchRequest fetch;
  fetch.topic = "acks";
  fetch.partition = PartitionId(0);
  fetch.offset = Offset(2);
  fetch.timeout_ms = 5000;
  auto fetched = client_->Fetch(fetch);
  ASSERT_TRUE(fetched.ok());
  ASSERT_EQ(fetched->records.size(), 1u);
  EXPECT_EQ(fetched->records[0].record.value, "y");
}

TEST_F(ApiTest, GroupEndpointsAnswerJson) {
  CreateTopic("g", 1);
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"GET", "/api/v1/consumer-groups"},
      {"POST", "/api/v1/consumer-groups/g1/members/c1/join"},
      {"POST", "/api/v1/consumer-groups/g1/members/c1/heartbeat"},
      {"GET", "/api/v1/consume?topic=g&group_id=g1&consumer_id=c1&count=10&timeout=0s"},
      {"GET", "/api/v1/consumer-groups/g1/status"},
      {"GET", "/api/v1/consumer-groups/g1/offsets"},
      {"POST", "/api/v1/consumer-groups/g1/members/c1/leave"},
  };
  for (const auto& [method, path] : calls) {
    RawResponse raw = Raw(method, path, method == "POST" ? R"({"topic":"g"})" : "");
    EXPECT_NE(raw.status, 500) << path << " -> " << raw.body;
    EXPECT_NE(raw.status, 0) << path;
    Json j = Json::parse(raw.body, nullptr, false);
    EXPECT_TRUE(j.is_object()) << path << " -> " << raw.body;
    if (raw.status >= 400) {
      EXPECT_EQ(j.value("error_code", 0) / 100, raw.status) << raw.body;
    }
  }
  EXPECT_EQ(client_->Health()->ok, true);
}

TEST_F(ApiTest, BadInputsGetTheRightErrorAndLeaveBrokerAndDataIntact) {
  CreateTopic("t", 2);
  ProduceMessage kept;
  kept.key = "k";
  kept.value = "kept";
  kept.partition = PartitionId(0);
  ASSERT_TRUE(client_->Produce("t", kept).ok());

  const std::string produce = "/api/v1/produce";
  ExpectError("POST", produce, "{not json", 400, 40001);
  ExpectError("POST", produce, "", 400, 40001);
  ExpectError("POST", produce, R"({"topic":"t","value":5})", 400, 40002);
  ExpectError("POST", produce, R"(["topic"])", 400, 40002);
  ExpectError("POST", produce, R"({"value":"x"})", 400, 40003);
  ExpectError("POST", produce, R"({"topic":"t"})", 400, 40003);
  ExpectError("POST", produce, R"({"topic":"nope","value":"x"})", 404, 40401);
  ExpectError("POST", produce, R"({"topic":"bad name!","value":"x"})", 400, 40004);
  ExpectError("POST", produce, R"({"topic":"t","value":"x","acks":2})", 400, 40010);
  ExpectError("POST", produce, R"({"topic":"t","value":"%%%","encoding":"base64"})", 400, 40011);
  ExpectError("POST", produce, R"({"topic":"t","messages":[]})", 400, 40012);
  ExpectError("POST", produce, R"({"topic":"t","value":"x","partition":-1})", 400, 40005);
  const std::string big(1 << 20 | 1, 'v');
  ExpectError("POST", produce, R"({"topic":"t","value":")" + big + R"("})", 413, 41301);

  const std::string topics = "/api/v1/topics";
  ExpectError("POST", topics, R"({"name":"bad name!"})", 400, 40004);
  ExpectError("POST", topics, R"({"name":".."})", 400, 40004);
  ExpectError("POST", topics, R"({"name":"."})", 400, 40004);
  ExpectError("POST", topics, R"({"name":""})", 400, 40004);
  ExpectError("POST", topics, R"({"name":")" + std::string(256, 'a') + R"("})", 400, 40004);
  ExpectError("POST", topics, R"({"name":"ok","partitions":0})", 400, 40005);
  ExpectError("POST", topics, R"({"name":"ok","partitions":101})", 400, 40005);
  ExpectError("GET", "/api/v1/topics/nope", "", 404, 40401);

  const std::string consume = "/api/v1/consume?topic=t&partition=0";
  ExpectError("GET", consume + "&offset=0&count=0", "", 400, 40008);
  ExpectError("GET", consume + "&offset=0&count=10001", "", 400, 40008);
  ExpectError("GET", consume + "&offset=0&timeout=31s", "", 400, 40009);
  ExpectError("GET", consume + "&offset=0&timeout=soon", "", 400, 40009);
  ExpectError("GET", consume + "&offset=-1", "", 400, 40007);
  ExpectError("GET", consume + "&offset=abc", "", 400, 40007);
  ExpectError("GET", consume, "", 400, 40003);
  ExpectError("GET", "/api/v1/consume?topic=nope&partition=0&offset=0", "", 404, 40401);
  ExpectError("GET", "/api/v1/consume?topic=t&partition=7&offset=0", "", 404, 40402);
  ExpectError("GET", "/api/v1/topics/t/partitions/9/offsets", "", 404, 40402);

  ExpectError("GET", "/api/v1/nothing-here", "", 404, 40400);
  ExpectError("PUT", produce, "{}", 405, 40501);
  ExpectError("DELETE", "/api/v1/produce", "", 405, 40501);

  // Still serving, and the record produced before is intact.
  auto health = client_->Health();
  ASSERT_TRUE(health.ok());
  EXPECT_TRUE(health->ok);
  FetchRequest fetch;
  fetch.topic = "t";
  fetch.partition = PartitionId(0);
  auto fetched = client_->Fetch(fetch);
  ASSERT_TRUE(fetched.ok());
  ASSERT_EQ(fetched->records.size(), 1u);
  EXPECT_EQ(fetched->records[0].record.value, "kept");
  EXPECT_EQ(fetched->records[0].record.key, "k");
  EXPECT_EQ(fetched->high_watermark, Offset(1));
  auto next = client_->Produce("t", kept);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->offset, Offset(1));
}

TEST_F(ApiTest, OffsetPastTheEndIsOutOfRange) {
  CreateTopic("t", 1);
  RawResponse raw = Raw("GET", "/api/v1/consume?topic=t&partition=0&offset=5");
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_EQ(Json::parse(raw.body).value("error_code", 0), 40013) << raw.body;
}

TEST_F(ApiTest, FormEncodedContentTypeIsStillJson) {
  // curl -d labels bodies application/x-www-form-urlencoded; httplib would
  // cap those at 8 KiB and parse them as query parameters.
  CreateTopic("t", 1);
  httplib::Client raw("127.0.0.1", broker_->port());
  const std::string value(100'000, 'z');
  auto res = raw.Post("/api/v1/produce", R"({"topic":"t","value":")" + value + R"(&a=b"})",
                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body.substr(0, 300);
  FetchRequest fetch;
  fetch.topic = "t";
  fetch.partition = PartitionId(0);
  auto fetched = client_->Fetch(fetch);
  ASSERT_TRUE(fetched.ok());
  ASSERT_EQ(fetched->records.size(), 1u);
  EXPECT_EQ(fetched->records[0].record.value, value + "&a=b");
}

TEST_F(ApiTest, LongPollIsWokenByProduceWellBeforeItsTimeout) {
  CreateTopic("t", 1);
  auto started = SteadyClock::now();
  auto poll = std::async(std::launch::async, [&] {
    Client reader(broker_->address());
    FetchRequest fetch;
    fetch.topic = "t";
    fetch.partition = PartitionId(0);
    fetch.offset = Offset(0);
    fetch.timeout_ms = 20'000;
    return reader.Fetch(fetch);
  });
  // Produce only once the poll is parked, so the wake-up path is what runs.
  ASSERT_TRUE(WaitForMetric("gafka_parked_waiters", 1, 10'000));
  ProduceMessage m;
  m.value = "wake up";
  ASSERT_TRUE(client_->Produce("t", m).ok());
  ASSERT_EQ(poll.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto fetched = poll.get();
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_EQ(fetched->records.size(), 1u);
  EXPECT_EQ(fetched->records[0].record.value, "wake up");
  EXPECT_LT(ElapsedMs(started), 10'000);
}

TEST_F(ApiTest, LongPollTimesOutEmptyAfterItsTimeout) {
  CreateTopic("t", 1);
  FetchRequest fetch;
  fetch.topic = "t";
  fetch.partition = PartitionId(0);
  fetch.offset = Offset(0);
  fetch.timeout_ms = 800;
  auto started = SteadyClock::now();
  auto fetched = client_->Fetch(fetch);
  const Millis elapsed = ElapsedMs(started);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_TRUE(fetched->records.empty());
  EXPECT_EQ(fetched->next_offset, Offset(0));
  EXPECT_GE(elapsed, 750);
  EXPECT_LT(elapsed, 5'000);
}

TEST_F(ApiTest, ManyConcurrentClientsAreServed) {
  CreateTopic("t", 2);
  constexpr int kThreads = 16;
  constexpr int kEach = 25;
  std::vector<std::future<int>> workers;
  for (int w = 0; w < kThreads; ++w) {
    workers.push_back(std::async(std::launch::async, [&, w] {
      Client c(broker_->address());
      int ok = 0;
      for (int i = 0; i < kEach; ++i) {
        ProduceMessage m;
        m.key = "w" + std::to_string(w);
        m.value = std::to_string(i);
        ok += c.Produce("t", m).ok() ? 1 : 0;
      }
      return ok;
    }));
  }
  int total = 0;
  for (auto& w : workers) total += w.get();
  EXPECT_EQ(total, kThreads * kEach);
  auto d = client_->DescribeTopic("t");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(
      d->partition_info[0].high_watermark.value() + d->partition_info[1].high_watermark.value(),
      kThreads * kEach);
}

}  // namespace
}  // namespace gafka
