// Failure isolation, shutdown, crash recovery, and the operational views
// (health, status, metrics, retention, the group seam).
#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "core/base/rng.h"
#include "core/protocol/errors.h"
#include "tests/core/broker/broker_harness.h"

namespace gafka::testing {
namespace {

std::string SegmentFile(BrokerHarness& h, const std::string& dir) {
  auto names = h.disk().List(dir);
  EXPECT_TRUE(names.ok());
  if (!names.ok()) return "";
  for (const std::string& name : *names) {
    if (name.size() > 4 && name.substr(name.size() - 4) == ".log") return dir + "/" + name;
  }
  ADD_FAILURE() << "no segment in " << dir;
  return "";
}

TEST(BrokerFailures, CorruptionInOnePartitionLeavesTheOthersServing) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  for (int p = 0; p < 2; ++p) {
    std::vector<ProduceMessage> batch;
    for (int i = 0; i < 3; ++i)
      batch.push_back(h.Message(std::nullopt, std::string(20, 'a' + i), p));
    As<ProduceResponse>(h.Call(h.ProduceBatch("t", batch)));
  }
  h.Close();
  // Flip one byte inside the first record's value: good records follow it,
  // so this is corruption, not a torn tail.
  const std::string segment = SegmentFile(h, "broker-1/t-0");
  auto bytes = h.disk().ReadWhole(segment);
  ASSERT_TRUE(bytes.ok());
  ASSERT_GT(bytes->size(), 50u);
  (*bytes)[50] = static_cast<char>((*bytes)[50] ^ 0x5a);
  ASSERT_TRUE(h.disk().WriteWhole(segment, *bytes).ok());
  h.OpenOrDie();

  auto produce = h.Call(h.ProduceOne("t", std::nullopt, "x", Acks::kLeader, 0));
  ASSERT_EQ(ErrorCode(produce), api_errors::kPartitionFailed);
  EXPECT_EQ(std::get<ApiError>(produce).http_status, 503);
  EXPECT_NE(std::get<ApiError>(produce).message.find("t-0"), std::string::npos)
      << "names the file: " << std::get<ApiError>(produce).message;
  EXPECT_EQ(ErrorCode(h.Call(h.FetchAt("t", 0, 0))), api_errors::kPartitionFailed);

  // Partition 1 serves as before.
  EXPECT_EQ(As<FetchResponse>(h.Call(h.FetchAt("t", 1, 0))).records.size(), 3u);
  EXPECT_EQ(Only(h.Call(h.ProduceOne("t", std::nullopt, "y", Acks::kLeader, 1))).offset, Offset(3));
  auto described = As<TopicResponse>(h.Call(DescribeTopicRequest{"t"}));
  EXPECT_NE(described.topic.partition_info[0].status, "ok");
  EXPECT_EQ(described.topic.partition_info[1].status, "ok");
  auto health = As<HealthResponse>(h.Call(HealthRequest{}));
  EXPECT_NE(health.detail.find("t-0"), std::string::npos) << health.detail;
  auto metrics = As<MetricsResponse>(h.Call(MetricsRequest{}));
  EXPECT_NE(metrics.text.find("gafka_partition_failed{topic=\"t\",partition=\"0\"} 1"),
            std::string::npos);
}

TEST(BrokerShutdown, CompletesWaitersThenWaitsForPendingSyncs) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  auto poll = h.Start(h.FetchAt("t", 1, 0, 100, 10'000));
  auto produce = h.Start(h.ProduceOne("t", std::nullopt, "last", Acks::kLeader, 0));
  ASSERT_FALSE(poll->has_value());
  ASSERT_FALSE(produce->has_value());
  bool down = false;
  h.broker().Shutdown([&] {
    down = true;
    h.Destroy();  // allowed: done runs from its own task
  });
  ASSERT_TRUE(poll->has_value()) << "parked polls complete at once";
  EXPECT_TRUE(As<FetchResponse>(**poll).records.empty());
  EXPECT_FALSE(down) << "an append is still waiting for its sync";
  EXPECT_EQ(ErrorCode(h.Call(h.ProduceOne("t", std::nullopt, "late"))), api_errors::kShuttingDown);
  EXPECT_EQ(ErrorCode(h.Call(h.FetchAt("t", 0, 0))), api_errors::kShuttingDown);
  h.clock().RunUntilCondition([&] { return down; }, 1000);
  ASSERT_TRUE(down);
  ASSERT_TRUE(produce->has_value());
  EXPECT_EQ(Only(**produce).offset, Offset(0));
  EXPECT_FALSE(h.is_open());
  // The acked message is there after a restart.
  h.OpenOrDie();
  EXPECT_EQ(Values(As<FetchResponse>(h.Call(h.FetchAt("t", 0, 0)))),
            std::vector<std::string>{"last"});
}

TEST(BrokerShutdown, IdleBrokerShutsDownOnItsOwnTask) {
  BrokerHarness h;
  h.OpenOrDie();
  bool down = false;
  h.broker().Shutdown([&] { down = true; });
  EXPECT_FALSE(down) << "never inside the Shutdown call";
  h.clock().RunUntilCondition([&] { return down; }, 10);
  EXPECT_TRUE(down);
}

// Acked messages survive any crash, at the same partition and offset with
// the same bytes; a crash may only lose what was never acked.
void RunCrashScenario(uint64_t seed) {
  sim::DiskFaults faults = QuietDisk();
  faults.sync_latency_max_ms = 5;
  BrokerHarness h(seed, faults);
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("c", 3));
  Rng rng(seed);
  std::map<std::pair<int32_t, int64_t>, std::string> acked;
  int sequence = 0;
  for (int round = 0; round < 6; ++round) {
    const int requests = static_cast<int>(rng.Range(1, 12));
    for (int r = 0; r < requests; ++r) {
      std::vector<ProduceMessage> batch;
      const int count = static_cast<int>(rng.Range(1, 4));
      for (int i = 0; i < count; ++i) {
        std::optional<std::string> key;
        if (rng.Chance(0.7)) key = "key-" + std::to_string(rng.Uniform(20));
        batch.push_back(h.Message(key, "value-" + std::to_string(sequence++)));
      }
      ProduceRequest request =
          h.ProduceBatch("c", batch, rng.Chance(0.2) ? Acks::kNone : Acks::kLeader);
      const bool counts_as_ack = request.acks != Acks::kNone;
      h.broker().Execute(request, [&acked, batch, counts_as_ack](ApiResponse response) {
        if (!counts_as_ack) return;
        const auto* produced_or_null = std::get_if<ProduceResponse>(&response);
        ASSERT_NE(produced_or_null, nullptr) << "error " << ErrorCode(response);
        const ProduceResponse& produced = *produced_or_null;
        for (size_t i = 0; i < produced.results.size(); ++i) {
          const ProduceResult& result = produced.results[i];
          if (result.error) continue;
          acked[{result.partition.value(), result.offset.value()}] = batch[i].value;
        }
      });
      h.clock().RunUntil(h.clock().NowMs() + rng.Range(0, 2));
    }
    h.clock().RunUntil(h.clock().NowMs() + rng.Range(0, 6));
    h.Crash();
    h.OpenOrDie();
    for (int32_t p = 0; p < 3; ++p) {
      auto fetched = As<FetchResponse>(h.Call(h.FetchAt("c", p, 0, 10'000)));
      std::map<int64_t, std::string> present;
      int64_t expected_offset = 0;
      for (const auto& consumed : fetched.records) {
        EXPECT_EQ(consumed.record.offset.value(), expected_offset++) << "dense offsets";
        present[consumed.record.offset.value()] = consumed.record.value;
      }
      for (const auto& [where, value] : acked) {
        if (where.first != p) continue;
        auto it = present.find(where.second);
        ASSERT_NE(it, present.end())
            << "seed " << seed << ": acked " << value << " lost at " << p << "/" << where.second;
        EXPECT_EQ(it->second, value) << "seed " << seed;
      }
    }
  }
  EXPECT_FALSE(acked.empty());
}

TEST(BrokerCrash, EveryAckedMessageSurvivesCrashes) {
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE(seed);
    RunCrashScenario(seed);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(BrokerGroups, GroupRequestsAre501WhenGroupsAreDisabled) {
  BrokerHarness h;
  h.config().enable_groups = false;
  h.OpenOrDie();
  GroupPollRequest poll;
  poll.topic = "t";
  poll.group_id = "g";
  poll.consumer_id = "c";
  auto response = h.Call(poll);
  ASSERT_EQ(ErrorCode(response), 50101);
  EXPECT_EQ(std::get<ApiError>(response).http_status, 501);
  EXPECT_NE(std::get<ApiError>(response).message.find("not implemented"), std::string::npos);
  EXPECT_EQ(ErrorCode(h.Call(HeartbeatRequest{"g", "c"})), 50101);
  EXPECT_EQ(ErrorCode(h.Call(ListGroupsRequest{})), 50101);
}

class RecordingGroupHandler final : public GroupRequestHandler {
 public:
  explicit RecordingGroupHandler(int* calls) : calls_(calls) {}
  void Handle(ApiRequest request, std::function<void(ApiResponse)> done) override {
    EXPECT_TRUE(IsGroupRequest(request));
    ++*calls_;
    done(GroupResponse{200, "{}"});
  }

 private:
  int* calls_;
};

TEST(BrokerGroups, AGroupHandlerCanBePluggedIn) {
  BrokerHarness h;
  h.OpenOrDie();
  int calls = 0;
  h.broker().SetGroupHandler(std::make_unique<RecordingGroupHandler>(&calls));
  EXPECT_EQ(As<GroupResponse>(h.Call(JoinGroupRequest{"g", "c", "t"})).http_status, 200);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(IsGroupRequest(ApiRequest(FetchRequest{})));
}

TEST(BrokerViews, HealthStatusAndUptime) {
  BrokerHarness h;
  h.config().id = NodeId(7);
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 2));
  h.clock().RunUntil(h.clock().NowMs() + 5000);
  auto health = As<HealthResponse>(h.Call(HealthRequest{}));
  EXPECT_TRUE(health.ok);
  EXPECT_EQ(health.detail, "serving");
  auto status = As<StatusResponse>(h.Call(StatusRequest{}));
  EXPECT_EQ(status.broker_id, NodeId(7));
  EXPECT_EQ(status.role, "leader");
  EXPECT_GE(status.uptime_ms, 5000);
  ASSERT_EQ(status.topics.size(), 1u);
  EXPECT_EQ(status.topics[0].partition_info.size(), 2u);
  EXPECT_EQ(status.topics[0].partition_info[1].leader, NodeId(7));
}

TEST(BrokerViews, MetricsCountRequestsRecordsAndErrors) {
  BrokerHarness h;
  h.OpenOrDie();
  As<TopicResponse>(h.CreateTopic("t", 1));
  As<ProduceResponse>(h.Call(h.ProduceOne("t", "ab", "cde")));
  std::vector<ProduceMessage> batch = {h.Message(std::nullopt, "x"),
                                       h.Message(std::nullopt, "y", 9)};
  As<ProduceResponse>(h.Call(h.ProduceBatch("t", batch)));
  As<FetchResponse>(h.Call(h.FetchAt("t", 0, 0)));
  h.Call(DescribeTopicRequest{"ghost"});
  auto poll = h.Start(h.FetchAt("t", 0, 2, 100, 1000));
  const std::string text = As<MetricsResponse>(h.Call(MetricsRequest{})).text;
  for (const char* line :
       {"gafka_produce_requests_total 2\n", "gafka_produce_messages_total 2\n",
        "gafka_produce_bytes_total 6\n", "gafka_fetch_requests_total 2\n",
        "gafka_fetch_records_total 2\n", "gafka_parked_waiters 1\n",
        "gafka_errors_total{code=\"40401\"} 1\n", "gafka_errors_total{code=\"40402\"} 1\n",
        "gafka_partition_log_end_offset{topic=\"t\",partition=\"0\"} 2\n",
        "gafka_partition_high_watermark{topic=\"t\",partition=\"0\"} 2\n",
        "# TYPE gafka_produce_requests_total counter\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in\n" << text;
  }
  EXPECT_NE(text.find("gafka_partition_size_bytes{topic=\"t\",partition=\"0\"} "),
            std::string::npos);
  h.Wait(poll);
}

TEST(BrokerRetention, ATimerAppliesRetentionToEveryPartition) {
  BrokerHarness h;
  h.config().retention_check_interval_ms = 1000;
  h.OpenOrDie();
  TopicConfig config;
  config.segment_bytes = 512;
  config.retention_bytes = 600;
  As<TopicResponse>(h.CreateTopic("r", 1, config));
  for (int i = 0; i < 30; ++i) {
    As<ProduceResponse>(h.Call(h.ProduceOne("r", std::nullopt, std::string(100, 'v'))));
  }
  auto before = As<PartitionOffsetsResponse>(h.Call(PartitionOffsetsRequest{"r", PartitionId(0)}));
  EXPECT_EQ(before.info.log_start_offset, Offset(0));
  h.clock().RunUntil(h.clock().NowMs() + 1000);
  auto after = As<PartitionOffsetsResponse>(h.Call(PartitionOffsetsRequest{"r", PartitionId(0)}));
  EXPECT_GT(after.info.log_start_offset, Offset(0)) << "old segments deleted";
  EXPECT_EQ(after.info.log_end_offset, Offset(30));
  EXPECT_EQ(ErrorCode(h.Call(h.FetchAt("r", 0, 0))), api_errors::kOffsetOutOfRange);
  const std::string text = As<MetricsResponse>(h.Call(MetricsRequest{})).text;
  EXPECT_EQ(text.find("gafka_retention_segments_deleted_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace gafka::testing
