// The C++ client (runtime-real/client) against a real broker: error details,
// address parsing, and following a leader hint.
#include "runtime-real/client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "tests/util/broker_process.h"

namespace gafka {
namespace {

using testing::BrokerProcess;

TEST(ClientTest, ParsesBrokerAddresses) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(ParseBrokerAddress("localhost:9002", &host, &port));
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 9002);
  ASSERT_TRUE(ParseBrokerAddress("http://127.0.0.1:80/", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 80);
  ASSERT_TRUE(ParseBrokerAddress("broker-1", &host, &port));
  EXPECT_EQ(port, 9001);
  EXPECT_FALSE(ParseBrokerAddress("", &host, &port));
  EXPECT_FALSE(ParseBrokerAddress("host:", &host, &port));
  EXPECT_FALSE(ParseBrokerAddress("host:99999", &host, &port));
  EXPECT_FALSE(ParseBrokerAddress("host:12ab", &host, &port));
  EXPECT_EQ(UrlEncode("a b/c&d=é"), "a%20b%2Fc%26d%3D%C3%A9");
}

TEST(ClientTest, ErrorsCarryStatusCodeAndMessage) {
  auto started = BrokerProcess::Start();
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  Client client((*started)->address());
  auto missing = client.DescribeTopic("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  ApiError error = ErrorOf(missing.status());
  EXPECT_EQ(error.http_status, 404);
  EXPECT_EQ(error.error_code, 40401);
  EXPECT_NE(error.message.find("nope"), std::string::npos) << error.message;

  (*started)->Kill();
  auto unreachable = client.ListTopics();
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.status().code(), Code::kUnavailable);
  EXPECT_EQ(ErrorOf(unreachable.status()).http_status, 0);
}

// Until replication lands no real broker answers "not the leader", so a
// minimal HTTP server on 127.0.0.1 plays the demoted broker: every request
// gets 409 with X-Gafka-Leader naming the real broker.
TEST(ClientTest, FollowsLeaderHintOnceAndStaysThere) {
  auto started = BrokerProcess::Start();
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const std::string leader = (*started)->address();

  httplib::Server follower;
  int redirected = 0;
  auto not_leader = [&](const httplib::Request&, httplib::Response& res) {
    ++redirected;
    res.status = 409;
    res.set_header("X-Gafka-Leader", leader);
    res.set_content(R"({"error_code":40903,"message":"not the leader"})", "application/json");
  };
  follower.Get(".*", not_leader);
  follower.Post(".*", not_leader);
  const int port = follower.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { follower.listen_after_bind(); });

  Client client("127.0.0.1:" + std::to_string(port));
  CreateTopicRequest request;
  request.name = "t";
  auto created = client.CreateTopic(request);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(client.broker(), leader);
  ProduceMessage m;
  m.value = "v";
  EXPECT_TRUE(client.Produce("t", m).ok());
  EXPECT_EQ(redirected, 1);  // later calls went straight to the leader

  {
    // Without hint following, the 409 is the answer.
    Client strict("127.0.0.1:" + std::to_string(port), ClientOptions{.follow_leader_hint = false});
    auto refused = strict.ListTopics();
    EXPECT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), Code::kConflict);
    EXPECT_EQ(ErrorOf(refused.status()).error_code, 40903);
  }  // closes its keep-alive connection, so stop() need not wait for it
  follower.stop();
  serving.join();
}

}  // namespace
}  // namespace gafka
