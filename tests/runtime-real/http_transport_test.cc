// HttpTransport against a peer that is not listening yet (a leader being
// restarted): the message is tried again until the peer listens, so the
// core does not wait out its own resend timer (docs/replication.md).
#include "runtime-real/http_transport.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "runtime-real/event_loop.h"
#include "runtime-real/loopback_port.h"

namespace gafka::real {
namespace {

class NullLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view) override {}
};

TEST(HttpTransport, AMessageToAPeerNotListeningYetArrivesOnceItListens) {
  EventLoop loop;
  loop.RunInThread();
  NullLogger logger;
  std::promise<std::string> received;
  {
    auto owned = std::make_unique<HttpTransport>(loop, logger);
    HttpTransport& transport = *owned;
    const int port = UnusedLoopbackPort();
    ASSERT_GT(port, 0);
    const NodeId peer = transport.AddPeer("127.0.0.1:" + std::to_string(port));
    std::promise<void> handler_set;
    ASSERT_TRUE(loop.Post([&] {
      transport.OnReceive([&](NodeId from, Bytes reply) {
        EXPECT_EQ(from, peer);
        received.set_value(std::move(reply));
      });
      transport.Send(peer, "fetch");  // refused: nobody listens yet
      handler_set.set_value();
    }));
    handler_set.get_future().wait();
    // The peer starts a moment later (the fault under test, not a wait).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    httplib::Server server;
    server.Post("/internal/v1/replica",
                [](const httplib::Request& request, httplib::Response& response) {
                  response.set_content("reply to " + request.body, "application/octet-stream");
                });
    ASSERT_TRUE(server.bind_to_port("127.0.0.1", port));
    std::thread listening([&] { server.listen_after_bind(); });
    auto future = received.get_future();
    const bool arrived = future.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    EXPECT_TRUE(arrived) << "the message was dropped instead of tried again";
    if (arrived) {
      EXPECT_EQ(future.get(), "reply to fetch");
    }
    owned.reset();  // joins its sender, closing its connection: the server stops at once
    server.stop();
    listening.join();
  }
  loop.Join();
}

}  // namespace
}  // namespace gafka::real
