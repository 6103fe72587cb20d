// SimNode and its lifecycle helpers: a crash cancels every timer of the node
// (nothing calls back into a destroyed broker), pause holds timers (and a
// held timer can still be cancelled), disk completions of an old
// incarnation are dropped, the canary's lying fsync loses data, and a
// restarted node recovers what was acknowledged.
#include "runtime-sim/sim_node.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "runtime-sim/client_codec.h"
#include "runtime-sim/node_clock.h"
#include "runtime-sim/node_disk.h"
#include "runtime-sim/sim_rpc.h"

namespace gafka::sim {
namespace {

TEST(NodeClock, CancelAllCancelsEveryTimer) {
  SimClock clock;
  NodeClock node(clock);
  int fired = 0;
  for (int i = 0; i < 10; ++i) node.After(Millis{i} * 10, [&] { ++fired; });
  EXPECT_EQ(node.pending(), 10u);
  clock.RunUntil(25);
  EXPECT_EQ(fired, 3);
  node.CancelAll();
  EXPECT_EQ(node.pending(), 0u);
  EXPECT_EQ(clock.pending(), 0u);
  clock.RunAll();
  EXPECT_EQ(fired, 3);
}

TEST(NodeClock, PausedTimersWaitForResumeInOrder) {
  SimClock clock;
  NodeClock node(clock);
  std::vector<int> order;
  node.After(10, [&] { order.push_back(1); });
  node.After(20, [&] { order.push_back(2); });
  node.Pause();
  clock.RunUntil(100);
  EXPECT_TRUE(order.empty());
  node.Resume();
  clock.RunAll();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(clock.NowMs(), 100);
}

// A timer that came due while paused has not run: cancelling it must work
// (the broker cancels an answered long poll's timer).
TEST(NodeClock, HeldTimerCanStillBeCancelled) {
  SimClock clock;
  NodeClock node(clock);
  bool fired = false;
  const TimerId id = node.After(10, [&] { fired = true; });
  node.Pause();
  clock.RunUntil(50);
  node.Cancel(id);
  node.Resume();
  clock.RunAll();
  EXPECT_FALSE(fired);
}

TEST(NodeClock, DeliverDropsCompletionsOfAnOldIncarnation) {
  SimClock clock;
  NodeClock node(clock);
  int ran = 0;
  const uint64_t before = node.incarnation();
  node.Deliver(before, [&] { ++ran; });
  EXPECT_EQ(ran, 1);
  node.CancelAll();  // a crash
  node.Deliver(before, [&] { ++ran; });
  EXPECT_EQ(ran, 1);
  node.Deliver(node.incarnation(), [&] { ++ran; });
  EXPECT_EQ(ran, 2);
}

TEST(NodeDisk, SyncCompletionAfterACrashIsDropped) {
  SimClock clock;
  NodeClock node_clock(clock);
  SimDisk disk(clock, 1, DiskFaults{.sync_latency_min_ms = 5, .sync_latency_max_ms = 5});
  NodeDisk node_disk(disk, node_clock);
  auto file = node_disk.Open("f", OpenMode::kOpenOrCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("abc").ok());
  bool called = false;
  (*file)->Sync([&](const Status&) { called = true; });
  node_clock.CancelAll();  // the node dies before the sync completes
  file.value().reset();
  clock.RunAll();
  EXPECT_FALSE(called);
}

TEST(NodeDisk, LyingSyncReportsSuccessButACrashLosesTheData) {
  SimClock clock;
  NodeClock node_clock(clock);
  DiskFaults faults;
  faults.crash_drop_tail = 1.0;  // a crash drops every unsynced tail
  faults.crash_keep_tail = 0;
  SimDisk disk(clock, 1, faults);
  NodeDisk node_disk(disk, node_clock);
  node_disk.set_lying_sync(true);
  auto file = node_disk.Open("f", OpenMode::kOpenOrCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(node_disk.SyncDir("").ok());  // the file itself survives
  ASSERT_TRUE((*file)->Append("acked").ok());
  std::optional<Status> result;
  (*file)->Sync([&](const Status& s) { result = s; });
  clock.RunAll();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(node_disk.lies(), 1u);
  file.value().reset();
  disk.Crash();
  EXPECT_EQ(disk.ReadWhole("f").value(), "");
}

// A node on its own network with one client.
class SimNodeTest : public ::testing::Test {
 protected:
  SimNodeTest()
      : network_(clock_, trace_, 3, PathOptions{1, 0, 0, 0, 4096}),
        node_(clock_, network_, trace_, Config(), 11),
        rpc_(clock_, network_, NodeId(100)) {}

  static NodeConfig Config() {
    NodeConfig config;
    config.broker.id = NodeId(1);
    config.broker.data_dir = "data";
    config.disk_faults.sync_latency_min_ms = 2;
    config.disk_faults.sync_latency_max_ms = 2;
    return config;
  }

  // Sends `request` and runs the clock until the answer (or 5 s).
  std::optional<HttpResponse> Call(const HttpRequest& request) {
    std::optional<HttpResponse> answer;
    bool done = false;
    rpc_.Call(node_.id(), request, 5000, [&](const HttpResponse* response, bool late) {
      if (late) return;
      done = true;
      if (response != nullptr) answer = *response;
    });
    clock_.RunUntilCondition([&] { return done; });
    return answer;
  }

  void CreateTopic() {
    TopicConfig config;
    config.retention_ms = -1;
    auto answer = Call(CreateTopicHttp("t", 1, config));
    ASSERT_TRUE(answer.has_value());
    ASSERT_EQ(answer->status, 201) << answer->body;
  }

  std::vector<Record> ReadAll() {
    auto answer = Call(FetchHttp("t", PartitionId(0), Offset(0), 1000, 1 << 20, 0));
    if (!answer || answer->status != 200) return {};
    auto parsed = ParseFetchAnswer(*answer, "t", PartitionId(0));
    return parsed ? parsed->records : std::vector<Record>{};
  }

  SimClock clock_;
  Trace trace_;
  SimNetwork network_;
  SimNode node_;
  SimRpc rpc_;
};

TEST_F(SimNodeTest, ServesRequestsThroughTheCodec) {
  ASSERT_TRUE(node_.Start().ok());
  CreateTopic();
  ProduceMessage message;
  message.value = "hello \"world\"\n";
  message.key = "k";
  auto answer = Call(ProduceHttp("t", std::vector<ProduceMessage>{message}, Acks::kLeader));
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(answer->status, 200) << answer->body;
  auto results = ParseProduceAnswer(*answer);
  ASSERT_TRUE(results.has_value());
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ((*results)[0].offset, Offset(0));
  const auto records = ReadAll();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value, message.value);
  EXPECT_EQ(records[0].key, message.key);
}

// The codec-free path (sim_wire.h): a typed produce and fetch reach the same
// broker and see what JSON calls wrote, and an error comes back as ApiError.
TEST_F(SimNodeTest, ServesTypedRequestsWithoutTheCodec) {
  ASSERT_TRUE(node_.Start().ok());
  CreateTopic();
  auto call_typed = [&](MessageKind kind, ApiRequest request) {
    std::optional<ApiResponse> answer;
    bool done = false;
    rpc_.CallTyped(node_.id(), kind, std::move(request), 5000,
                   [&](const ApiResponse* response, bool late) {
                     if (late) return;
                     done = true;
                     if (response != nullptr) answer = *response;
                   });
    clock_.RunUntilCondition([&] { return done; });
    return answer;
  };
  ProduceMessage first;
  first.value = "by json";
  auto json = Call(ProduceHttp("t", std::vector<ProduceMessage>{first}, Acks::kAll));
  ASSERT_TRUE(json.has_value());
  ASSERT_EQ(json->status, 200) << json->body;

  ProduceRequest produce;
  produce.topic = "t";
  produce.batch_form = true;
  produce.acks = Acks::kAll;
  produce.messages.resize(2);
  produce.messages[0].value = "typed \x01";
  produce.messages[1].value = "typed two";
  produce.messages[1].key = "k";
  auto produced = call_typed(MessageKind::kProduceRequest, produce);
  ASSERT_TRUE(produced.has_value());
  const auto* results = std::get_if<ProduceResponse>(&*produced);
  ASSERT_NE(results, nullptr);
  ASSERT_EQ(results->results.size(), 2u);
  EXPECT_EQ(results->results[0].offset, Offset(1));
  EXPECT_EQ(results->results[1].offset, Offset(2));

  FetchRequest fetch;
  fetch.topic = "t";
  fetch.partition = PartitionId(0);
  fetch.offset = Offset(0);
  auto fetched = call_typed(MessageKind::kFetchRequest, fetch);
  ASSERT_TRUE(fetched.has_value());
  const auto* records = std::get_if<FetchResponse>(&*fetched);
  ASSERT_NE(records, nullptr);
  ASSERT_EQ(records->records.size(), 3u);
  EXPECT_EQ(records->records[0].record.value, "by json");
  EXPECT_EQ(records->records[1].record.value, "typed \x01");
  EXPECT_EQ(records->records[2].record.key, std::optional<std::string>("k"));
  EXPECT_EQ(records->high_watermark, Offset(3));
  // The JSON reader sees the typed writes byte for byte.
  const auto read = ReadAll();
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[1].value, "typed \x01");

  fetch.topic = "missing";
  auto refused = call_typed(MessageKind::kFetchRequest, fetch);
  ASSERT_TRUE(refused.has_value());
  const auto* error = std::get_if<ApiError>(&*refused);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->http_status, 404);
}

TEST_F(SimNodeTest, BadRequestGetsTheErrorEnvelope) {
  ASSERT_TRUE(node_.Start().ok());
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/v1/produce";
  request.body = "{not json";
  auto answer = Call(request);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 400);
  auto error = ParseError(*answer);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->error_code / 100, 400);
}

// A crash with a long poll parked and syncs in flight: every timer of the
// node is cancelled, nothing calls back (ASan would catch a use after
// free), and a restart recovers every acknowledged record.
TEST_F(SimNodeTest, CrashCancelsEveryTimerAndRestartRecoversAckedData) {
  ASSERT_TRUE(node_.Start().ok());
  CreateTopic();
  for (int i = 0; i < 5; ++i) {
    ProduceMessage message;
    message.value = "acked-" + std::to_string(i);
    auto answer = Call(ProduceHttp("t", std::vector<ProduceMessage>{message}, Acks::kLeader));
    ASSERT_TRUE(answer && answer->status == 200);
  }
  // Park a long poll at the end and leave an unacknowledged append in flight.
  rpc_.Call(node_.id(), FetchHttp("t", PartitionId(0), Offset(5), 10, 1 << 20, 30000), 60000,
            [](const HttpResponse*, bool) {});
  ProduceMessage pending;
  pending.value = "in flight";
  rpc_.Call(node_.id(), ProduceHttp("t", std::vector<ProduceMessage>{pending}, Acks::kLeader),
            60000, [](const HttpResponse*, bool) {});
  clock_.RunUntil(clock_.NowMs() + 1);  // both arrive; the sync is not done yet
  EXPECT_GT(node_.clock().pending(), 0u);
  node_.Crash();
  EXPECT_FALSE(node_.up());
  EXPECT_EQ(node_.clock().pending(), 0u);
  clock_.RunUntil(clock_.NowMs() + 60000);  // whatever is left must not touch the dead broker
  ASSERT_TRUE(node_.Start().ok());
  const auto records = ReadAll();
  ASSERT_GE(records.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(records[i].value, "acked-" + std::to_string(i));
  EXPECT_EQ(node_.starts(), 2u);
  EXPECT_EQ(node_.crashes(), 1u);
}

TEST_F(SimNodeTest, PausedNodeAnswersOnlyAfterResume) {
  ASSERT_TRUE(node_.Start().ok());
  CreateTopic();
  node_.Pause();
  bool answered = false;
  rpc_.Call(node_.id(), FetchHttp("t", PartitionId(0), Offset(0), 10, 1 << 20, 0), 60000,
            [&](const HttpResponse* response, bool) { answered = response != nullptr; });
  clock_.RunUntil(clock_.NowMs() + 1000);
  EXPECT_FALSE(answered);
  node_.Resume();
  clock_.RunUntil(clock_.NowMs() + 1000);
  EXPECT_TRUE(answered);
}

TEST_F(SimNodeTest, DownNodeDropsPackets) {
  bool timed_out = false;
  rpc_.Call(node_.id(), FetchHttp("t", PartitionId(0), Offset(0), 10, 1 << 20, 0), 100,
            [&](const HttpResponse* response, bool) { timed_out = response == nullptr; });
  clock_.RunAll();
  EXPECT_TRUE(timed_out);
}

}  // namespace
}  // namespace gafka::sim
