// End-to-end tests of the HTTP front door's limits (runtime-real/http_server):
// the bounded number of pending requests (503) and the answer deadline (504),
// each followed by proof that the broker still serves.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

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

// The broker still serves: /healthz answers ok.
void ExpectServing(const BrokerProcess& broker) {
  Client client(broker.address());
  auto health = client.Health();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_TRUE(health->ok);
}

// A bare TCP connection to the broker, to send HTTP exactly as written.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }
  void CloseWrite() { ::shutdown(fd_, SHUT_WR); }
  // Reads until `done(buffer)` holds, EOF, or 5 s pass. Returns what came.
  std::string ReadUntil(const std::function<bool(const std::string&)>& done) {
    const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
    while (!done(buffer_) && SteadyClock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    return buffer_;
  }
  // Reads `count` whole responses (Content-Length framed); returns them and
  // keeps what follows.
  std::vector<std::string> ReadResponses(size_t count) {
    std::vector<std::string> responses;
    while (responses.size() < count) {
      size_t length = 0;
      ReadUntil([&](const std::string& b) { return ResponseLength(b, &length); });
      if (!ResponseLength(buffer_, &length)) break;
      responses.push_back(buffer_.substr(0, length));
      buffer_.erase(0, length);
    }
    return responses;
  }
  bool eof() const { return eof_; }

 private:
  static bool ResponseLength(const std::string& b, size_t* length) {
    const size_t head_end = b.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    if (b.rfind("HTTP/1.1 100", 0) == 0) {
      *length = head_end + 4;
      return true;
    }
    const size_t at = b.find("Content-Length: ");
    if (at == std::string::npos || at > head_end) return false;
    *length = head_end + 4 + std::stoul(b.substr(at + 16));
    return b.size() >= *length;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

std::string Body(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

std::string ProduceWire(const std::string& value, const std::string& extra_headers = "") {
  const std::string body = R"({"topic":"t","partition":0,"value":")" + value + R"("})";
  return "POST /api/v1/produce HTTP/1.1\r\nHost: x\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  auto broker = StartBroker({});
  ASSERT_NE(broker, nullptr);
  Client client(broker->address());
  testing::CreateTopicOrFail(client, "t");
  RawConnection raw(broker->port());
  ASSERT_TRUE(raw.connected());
  raw.Send(ProduceWire("a") + ProduceWire("b") + ProduceWire("c"));
  auto responses = raw.ReadResponses(3);
  ASSERT_EQ(responses.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(responses[i].rfind("HTTP/1.1 200 OK", 0), 0u) << responses[i];
    EXPECT_EQ(Json::parse(Body(responses[i])).value("offset", -1), static_cast<int64_t>(i))
        << responses[i];
  }
}

TEST(HttpServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
  auto broker = StartBroker({});
  ASSERT_NE(broker, nullptr);
  Client client(broker->address());
  testing::CreateTopicOrFail(client, "t");
  RawConnection raw(broker->port());
  const std::string wire = ProduceWire("x", "Expect: 100-continue\r\n");
  const size_t head_end = wire.find("\r\n\r\n") + 4;
  raw.Send(wire.substr(0, head_end));
  auto interim = raw.ReadResponses(1);
  ASSERT_EQ(interim.size(), 1u);
  EXPECT_EQ(interim[0], "HTTP/1.1 100 Continue\r\n\r\n");
  raw.Send(wire.substr(head_end));
  auto final_response = raw.ReadResponses(1);
  ASSERT_EQ(final_response.size(), 1u);
  EXPECT_EQ(final_response[0].rfind("HTTP/1.1 200 OK", 0), 0u) << final_response[0];
}

TEST(HttpServerTest, ChunkedBodyIsAccepted) {
  auto broker = StartBroker({});
  ASSERT_NE(broker, nullptr);
  Client client(broker->address());
  testing::CreateTopicOrFail(client, "t");
  RawConnection raw(broker->port());
  const std::string body = R"({"topic":"t","partition":0,"value":"chunky"})";
  raw.Send("POST /api/v1/produce HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
           std::string("a\r\n") + body.substr(0, 10) + "\r\n" +
           [&] {
             char size[16];
             std::snprintf(size, sizeof(size), "%zx", body.size() - 10);
             return std::string(size);
           }() +
           "\r\n" + body.substr(10) + "\r\n0\r\n\r\n");
  auto responses = raw.ReadResponses(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].rfind("HTTP/1.1 200 OK", 0), 0u) << responses[0];
  FetchRequest fetch;
  fetch.topic = "t";
  fetch.partition = PartitionId(0);
  auto fetched = client.Fetch(fetch);
  ASSERT_TRUE(fetched.ok());
  ASSERT_EQ(fetched->records.size(), 1u);
  EXPECT_EQ(fetched->records[0].record.value, "chunky");
}

TEST(HttpServerTest, MalformedHttpGetsJson400AndTheBrokerKeepsServing) {
  auto broker = StartBroker({});
  ASSERT_NE(broker, nullptr);
  for (const std::string bad :
       {"NOT A REQUEST\r\n\r\n", "GET / HTTP/3.0\r\n\r\n",
        "POST /api/v1/produce HTTP/1.1\r\nContent-Length: zz\r\n\r\n"}) {
    RawConnection raw(broker->port());
    raw.Send(bad);
    auto responses = raw.ReadResponses(1);
    ASSERT_EQ(responses.size(), 1u) << bad;
    const int status = std::stoi(responses[0].substr(9, 3));
    EXPECT_TRUE(status == 400 || status == 505) << responses[0];
    EXPECT_EQ(Json::parse(Body(responses[0])).value("error_code", 0), status * 100) << responses[0];
    EXPECT_NE(responses[0].find("Connection: close"), std::string::npos);
  }
  ExpectServing(*broker);
}

TEST(HttpServerTest, HalfClosedClientStillGetsItsAnswer) {
  auto broker = StartBroker({});
  ASSERT_NE(broker, nullptr);
  Client client(broker->address());
  testing::CreateTopicOrFail(client, "t");
  RawConnection raw(broker->port());
  raw.Send(ProduceWire("last words"));
  raw.CloseWrite();
  auto responses = raw.ReadResponses(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].rfind("HTTP/1.1 200 OK", 0), 0u) << responses[0];
  raw.ReadUntil([](const std::string&) { return false; });
  EXPECT_TRUE(raw.eof());
}

// CPU time (user + system) the process used so far, in clock ticks.
long CpuTicks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

// Out of file descriptors, the broker stops accepting for a moment instead of
// spinning on its ready listening socket, keeps serving the connections it
// has, and accepts the waiting ones once descriptors are free again.
TEST(HttpServerTest, OutOfDescriptorsItPausesAcceptingAndRecovers) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 96;  // inherited by the broker
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  auto broker = StartBroker({});
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_NE(broker, nullptr);
  RawConnection first(broker->port());  // accepted while descriptors last
  ASSERT_TRUE(first.connected());
  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int i = 0; i < 150; ++i) flood.push_back(std::make_unique<RawConnection>(broker->port()));
  // Wait until the broker ran out (some connections never get an answer), then
  // check it is not burning a core meanwhile.
  first.Send("GET /healthz HTTP/1.1\r\n\r\n");
  ASSERT_EQ(first.ReadResponses(1).size(), 1u) << "a connection it holds is still served";
  const long before = CpuTicks(broker->pid());
  const auto start = SteadyClock::now();
  while (SteadyClock::now() - start < std::chrono::seconds(1)) std::this_thread::yield();
  const long used = CpuTicks(broker->pid()) - before;
  EXPECT_LT(used, 30) << "the broker spins while it cannot accept (ticks in 1 s)";
  flood.clear();  // frees the broker's descriptors as it notices the closes
  ExpectServing(*broker);
}

// A client that sends part of a request and stops gets 408 and is closed,
// not held for ever; the broker keeps serving.
TEST(HttpServerTest, ARequestThatNeverArrivesWholeGets408) {
  auto broker = StartBroker({"--request-read-timeout-ms=300"});
  ASSERT_NE(broker, nullptr);
  RawConnection raw(broker->port());
  raw.Send("POST /api/v1/produce HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"topic\"");
  auto responses = raw.ReadResponses(1);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].rfind("HTTP/1.1 408 ", 0), 0u) << responses[0];
  EXPECT_EQ(Json::parse(Body(responses[0])).value("error_code", 0), 40800) << responses[0];
  EXPECT_NE(responses[0].find("Connection: close"), std::string::npos);
  ExpectServing(*broker);
}

// A parked long poll holds a connection, not a thread: with one network
// thread, hundreds of polls wait at once, the broker still answers others at
// once, and one produce wakes them all.
TEST(HttpServerTest, HundredsOfParkedLongPollsHoldNoThread) {
  auto broker = StartBroker({"--http-threads=1"});
  ASSERT_NE(broker, nullptr);
  Client client(broker->address());
  testing::CreateTopicOrFail(client, "t");
  constexpr int kPolls = 300;
  std::vector<std::unique_ptr<RawConnection>> polls;
  for (int i = 0; i < kPolls; ++i) {
    polls.push_back(std::make_unique<RawConnection>(broker->port()));
    ASSERT_TRUE(polls.back()->connected());
    polls.back()->Send(
        "GET /api/v1/consume?topic=t&partition=0&offset=0&timeout=20s HTTP/1.1\r\n\r\n");
  }
  // Wait until every poll is parked in the broker (its parked-fetch gauge).
  const auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  int parked = 0;
  while (SteadyClock::now() < deadline) {
    auto metrics = client.Call("GET", "/metrics");
    ASSERT_TRUE(metrics.ok());
    const size_t at = metrics->body.find("\ngafka_parked_waiters ");
    ASSERT_NE(at, std::string::npos) << metrics->body.substr(0, 2000);
    parked = std::stoi(metrics->body.substr(at + 22));
    if (parked >= kPolls) break;
  }
  ASSERT_EQ(parked, kPolls);
  const auto produced_at = SteadyClock::now();
  ProduceMessage m;
  m.value = "wake";
  m.partition = PartitionId(0);
  ASSERT_TRUE(client.Produce("t", m).ok());
  for (auto& poll : polls) {
    auto responses = poll->ReadResponses(1);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_NE(Body(responses[0]).find("wake"), std::string::npos) << responses[0];
  }
  EXPECT_LT(SteadyClock::now() - produced_at, std::chrono::seconds(5));
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
  ExpectServing(*broker);
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
  ExpectServing(*broker);
}

}  // namespace
}  // namespace gafka
