// SimNetwork: latency floor and reordering, loss, duplication, capacity
// overflow, clogging, partitions (one-way, symmetric, isolation) and heal,
// drop filters, determinism.
#include "runtime-sim/sim_network.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_wire.h"
#include "runtime-sim/trace.h"

namespace gafka::sim {
namespace {

const NodeId kA(1);
const NodeId kB(2);
const NodeId kC(3);

struct Arrival {
  NodeId from;
  std::string payload;
  Millis at_ms;
};

// A network with endpoints A, B and C that record what they receive.
class NetworkTest : public ::testing::Test {
 protected:
  explicit NetworkTest(PathOptions options = {}) : network_(clock_, trace_, 42, options) {
    for (NodeId id : {kA, kB, kC}) {
      network_.Endpoint(id).OnReceive([this, id](NodeId from, Bytes message) {
        received_[id.value()].push_back(Arrival{from, std::move(message), clock_.NowMs()});
      });
    }
  }

  // A packet of `kind` whose payload is `text`.
  static Bytes Packet(const std::string& text, MessageKind kind = MessageKind::kFetchRequest) {
    return EncodeEnvelope(Envelope{kind, 0, text});
  }
  static std::string Text(const Bytes& packet) { return DecodeEnvelope(packet)->payload; }

  void SendNumbered(NodeId from, NodeId to, int n) {
    for (int i = 0; i < n; ++i) network_.Send(from, to, Packet(std::to_string(i)));
  }
  const std::vector<Arrival>& At(NodeId id) { return received_[id.value()]; }

  SimClock clock_;
  Trace trace_;
  SimNetwork network_;
  std::map<int32_t, std::vector<Arrival>> received_;
};

TEST_F(NetworkTest, DeliversAfterTheLatencyFloorAndReorders) {
  network_.set_default_path(PathOptions{5, 20, 0, 0, 4096});
  SendNumbered(kA, kB, 200);
  clock_.RunAll();
  ASSERT_EQ(At(kB).size(), 200u);
  bool reordered = false;
  int previous = -1;
  for (const Arrival& arrival : At(kB)) {
    EXPECT_GE(arrival.at_ms, 5);  // all sent at time 0
    EXPECT_EQ(arrival.from, kA);
    const int n = std::stoi(Text(arrival.payload));
    if (n < previous) reordered = true;
    previous = n;
  }
  EXPECT_TRUE(reordered) << "exponential latency must let packets overtake each other";
}

TEST_F(NetworkTest, ZeroJitterKeepsOrder) {
  network_.set_default_path(PathOptions{3, 0, 0, 0, 4096});
  SendNumbered(kA, kB, 50);
  clock_.RunAll();
  ASSERT_EQ(At(kB).size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(Text(At(kB)[i].payload), std::to_string(i));
    EXPECT_EQ(At(kB)[i].at_ms, 3);
  }
}

TEST_F(NetworkTest, LossDropsAboutItsRate) {
  network_.set_default_path(PathOptions{1, 1, 0.3, 0, 100000});
  SendNumbered(kA, kB, 5000);
  clock_.RunAll();
  const double delivered = static_cast<double>(At(kB).size()) / 5000;
  EXPECT_GT(delivered, 0.65);
  EXPECT_LT(delivered, 0.75);
  EXPECT_EQ(network_.stats().dropped_loss + At(kB).size(), 5000u);
}

TEST_F(NetworkTest, DuplicationDeliversSomePacketsTwice) {
  network_.set_default_path(PathOptions{1, 1, 0, 0.5, 100000});
  SendNumbered(kA, kB, 1000);
  clock_.RunAll();
  EXPECT_GT(At(kB).size(), 1300u);
  EXPECT_LT(At(kB).size(), 1700u);
  EXPECT_EQ(At(kB).size(), 1000u + network_.stats().duplicated);
}

TEST_F(NetworkTest, CapacityOverflowDrops) {
  network_.set_default_path(PathOptions{10, 0, 0, 0, 3});
  SendNumbered(kA, kB, 10);
  EXPECT_EQ(network_.in_flight(), 3u);
  clock_.RunAll();
  EXPECT_EQ(At(kB).size(), 3u);
  EXPECT_EQ(network_.stats().dropped_capacity, 7u);
  // The path has room again once those arrived.
  SendNumbered(kA, kB, 1);
  clock_.RunAll();
  EXPECT_EQ(At(kB).size(), 4u);
}

TEST_F(NetworkTest, OneWayBlockDropsOnlyThatDirection) {
  network_.Block(kA, kB);
  SendNumbered(kA, kB, 5);
  SendNumbered(kB, kA, 5);
  clock_.RunAll();
  EXPECT_TRUE(At(kB).empty());
  EXPECT_EQ(At(kA).size(), 5u);
  EXPECT_EQ(network_.stats().dropped_partition, 5u);
}

TEST_F(NetworkTest, HealRestoresEveryPath) {
  network_.Block(kA, kB);
  network_.Isolate(kC);
  network_.Heal();
  SendNumbered(kA, kB, 2);
  SendNumbered(kC, kA, 2);
  SendNumbered(kA, kC, 2);
  clock_.RunAll();
  EXPECT_EQ(At(kB).size(), 2u);
  EXPECT_EQ(At(kA).size(), 2u);
  EXPECT_EQ(At(kC).size(), 2u);
}

TEST_F(NetworkTest, SymmetricPartitionCutsBothWaysBetweenGroupsOnly) {
  network_.PartitionGroups({kA}, {kB, kC});
  SendNumbered(kA, kB, 1);
  SendNumbered(kB, kA, 1);
  SendNumbered(kC, kA, 1);
  SendNumbered(kB, kC, 1);  // same side: fine
  clock_.RunAll();
  EXPECT_TRUE(At(kA).empty());
  EXPECT_TRUE(At(kB).empty());
  EXPECT_EQ(At(kC).size(), 1u);
}

TEST_F(NetworkTest, IsolatedNodeNeitherSendsNorReceives) {
  network_.Isolate(kB);
  SendNumbered(kA, kB, 3);
  SendNumbered(kB, kC, 3);
  SendNumbered(kA, kC, 3);
  clock_.RunAll();
  EXPECT_TRUE(At(kB).empty());
  ASSERT_EQ(At(kC).size(), 3u);
  for (const Arrival& arrival : At(kC)) EXPECT_EQ(arrival.from, kA);
}

TEST_F(NetworkTest, PartitionThatStartsInFlightDropsThePacket) {
  network_.set_default_path(PathOptions{10, 0, 0, 0, 4096});
  SendNumbered(kA, kB, 1);
  clock_.RunUntil(5);
  network_.Block(kA, kB);
  clock_.RunAll();
  EXPECT_TRUE(At(kB).empty());
}

TEST_F(NetworkTest, ClogHoldsPacketsUntilItClears) {
  network_.set_default_path(PathOptions{1, 0, 0, 0, 4096});
  network_.Clog(kA, kB, 100);
  SendNumbered(kA, kB, 3);
  SendNumbered(kB, kA, 1);  // the other direction is not clogged
  clock_.RunAll();
  ASSERT_EQ(At(kB).size(), 3u);
  for (const Arrival& arrival : At(kB)) EXPECT_EQ(arrival.at_ms, 100);
  ASSERT_EQ(At(kA).size(), 1u);
  EXPECT_EQ(At(kA)[0].at_ms, 1);
}

TEST_F(NetworkTest, DropFilterDropsOneKindOnly) {
  DropFilter filter;
  filter.kind = static_cast<uint8_t>(MessageKind::kResponse);
  network_.AddDropFilter(filter);
  network_.Send(kA, kB, Packet("answer", MessageKind::kResponse));
  network_.Send(kA, kB, Packet("question", MessageKind::kProduceRequest));
  clock_.RunAll();
  ASSERT_EQ(At(kB).size(), 1u);
  EXPECT_EQ(Text(At(kB)[0].payload), "question");
  EXPECT_EQ(network_.stats().dropped_filter, 1u);
  network_.ClearDropFilters();
  network_.Send(kA, kB, Packet("answer", MessageKind::kResponse));
  clock_.RunAll();
  EXPECT_EQ(At(kB).size(), 2u);
}

TEST_F(NetworkTest, DropFilterCanTargetOnePath) {
  DropFilter filter;
  filter.to = kB;
  network_.AddDropFilter(filter);
  SendNumbered(kA, kB, 2);
  SendNumbered(kA, kC, 2);
  clock_.RunAll();
  EXPECT_TRUE(At(kB).empty());
  EXPECT_EQ(At(kC).size(), 2u);
}

TEST_F(NetworkTest, PacketToAnUnknownEndpointIsDropped) {
  SendNumbered(kA, NodeId(99), 1);
  clock_.RunAll();
  EXPECT_EQ(network_.stats().dropped_no_endpoint, 1u);
}

TEST(SimNetwork, SameSeedSameTraceDifferentSeedDifferentTrace) {
  auto run = [](uint64_t seed) {
    SimClock clock;
    Trace trace;
    SimNetwork network(clock, trace, seed, PathOptions{1, 10, 0.1, 0.1, 4096});
    network.Endpoint(kB).OnReceive([](NodeId, const Bytes&) {});
    for (int i = 0; i < 100; ++i) {
      network.Send(kA, kB, EncodeEnvelope(Envelope{MessageKind::kFetchRequest, 0, "x"}));
    }
    clock.RunAll();
    return trace.hash();
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(SimWire, RequestAndResponseRoundTrip) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/consume";
  request.query = {{"topic", "t"}, {"offset", "5"}};
  request.body = std::string("a\0b", 3);
  const auto decoded = DecodeHttpRequest(EncodeHttpRequest(request));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->method, "GET");
  EXPECT_EQ(decoded->path, request.path);
  EXPECT_EQ(decoded->query, request.query);
  EXPECT_EQ(decoded->body, request.body);
  EXPECT_EQ(KindForRoute(request), MessageKind::kFetchRequest);

  HttpResponse response;
  response.status = 409;
  response.body = "{}";
  response.leader_hint = "h:1";
  const auto answer = DecodeHttpResponse(EncodeHttpResponse(response));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 409);
  EXPECT_EQ(answer->leader_hint, "h:1");
  // Every truncation is refused, never misread.
  const Bytes bytes = EncodeHttpRequest(request);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeHttpRequest(ByteView(bytes).substr(0, n)).has_value()) << n;
  }
}

}  // namespace
}  // namespace gafka::sim
