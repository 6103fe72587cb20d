// End-to-end tests of the HTTP front door's limits (runtime-real/http_server):
// the bounded number of pending requests (503) and the answer deadline (504),
// each followed by proof that the broker still serves.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime-real/client.h"
#include "tests/util/broker_fixture.h"
#include "tests/util/broker_process.h"

namespace gafka {
namespace {

using Json = nlohmann::json;
using testing::BrokerOptions;
using testing::BrokerProcess;
using SteadyClock = std::chrono::steady_clock;

std::unique_ptr<BrokerProcess> StartBroker(std::vector<std::string> args) {
  auto started = BrokerProcess::Start(BrokerOptions{.extra_args = std::move(args)});
  EXPECT_TRUE(started.ok()) << started.status().ToString();
  return started.ok() ? std::move(started).value() : nullptr;
}

TEST(HttpServerTest, RequestsBeyondThePendingLimitGet503AndServiceResumes) {
  auto broker = StartBroker({"--max-pending-requests=1"});
  ASSERT_NE(broker, nullptr);
  Client client(broker->address());
  testing::CreateTopicOrFail(client, "t");
  // A long poll holds the one pending slot for its timeout. (It is retried
  // while one of our health probes below holds the slot.)
  auto poll = std::async(std::launch::async, [address = broker->address()] {
    Client reader(address);
    FetchRequest fetch;
    fetch.topic = "t";
    fetch.partition = PartitionId(0);
    fetch.timeout_ms = 3000;
    auto deadline = SteadyClock::now() + std::chrono::seconds(5);
    for (;;) {
      auto fetched = reader.Fetch(fetch);
      if (fetched.ok() || ErrorOf(fetched.status()).http_status != 503 ||
          SteadyClock::now() > deadline) {
        return fetched;
      }
    }
  });
  RawResponse busy;
  auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  while (SteadyClock::now() < deadline) {
    auto raw = client.Call("GET", "/healthz");
    ASSERT_TRUE(raw.ok());
    busy = *raw;
    if (busy.status == 503) break;
  }
  ASSERT_EQ(busy.status, 503) << "the long poll never held the pending slot";
  Json j = Json::parse(busy.body);
  EXPECT_EQ(j.value("error_code", 0), 50300) << busy.body;

  ASSERT_EQ(poll.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto polled = poll.get();
  ASSERT_TRUE(polled.ok()) << polled.status().ToString();
  EXPECT_TRUE(polled->records.empty());
  auto health = client.Health();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_TRUE(health->ok);
}

TEST(HttpServerTest, AnswerPastItsDeadlineIs504AndBrokerKeepsServing) {
  // Deadline = the poll's own timeout - 1 s: the HTTP thread gives up first.
  auto broker = StartBroker({"--poll-margin-ms=-1000"});
  ASSERT_NE(broker, nullptr);
  Client client(broker->address());
  testing::CreateTopicOrFail(client, "t");
  auto started = SteadyClock::now();
  auto raw = client.Call("GET", "/api/v1/consume?topic=t&partition=0&offset=0&timeout=2s");
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->status, 504) << raw->body;
  EXPECT_EQ(Json::parse(raw->body).value("error_code", 0), 50401) << raw->body;
  EXPECT_GE(elapsed_ms, 900);
  EXPECT_LT(elapsed_ms, 1900);

  // The abandoned poll completes inside the broker later; nothing breaks.
  ProduceMessage m;
  m.value = "still here";
  auto produced = client.Produce("t", m);
  ASSERT_TRUE(produced.ok()) << produced.status().ToString();
  FetchRequest fetch;
  fetch.topic = "t";
  fetch.partition = PartitionId(0);
  fetch.timeout_ms = 3000;  // answer deadline 2 s; data is there, so it returns at once
  auto fetched = client.Fetch(fetch);
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  ASSERT_EQ(fetched->records.size(), 1u);
  EXPECT_EQ(fetched->records[0].record.value, "still here");
}

TEST(HttpServerTest, BodyOverTheHttpCapIs413Json) {
  auto broker = StartBroker({});
  ASSERT_NE(broker, nullptr);
  Client client(broker->address());
  // 66 MiB: over limits.max_request_bytes (64 MiB) + 1 MiB, refused by httplib
  // before the body is read.
  const std::string body(66u << 20, 'x');
  auto raw = client.Call("POST", "/api/v1/produce", body);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(raw->status, 413);
  EXPECT_EQ(Json::parse(raw->body, nullptr, false).value("error_code", 0), 41302) << raw->body;
  auto health = client.Health();
  ASSERT_TRUE(health.ok());
  EXPECT_TRUE(health->ok);
}

}  // namespace
}  // namespace gafka
