// End-to-end replication: two real gafka-broker processes on loopback, a
// leader and a follower (--role follower --leader host:port). Replicate;
// acks=all under load; kill -9 the leader, promote the follower, every
// acks=all message present in order; the old leader restarted as a follower
// truncates and catches up; min_insync_replicas refusal.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/protocol/errors.h"
#include "runtime-real/client.h"
#include "tests/util/broker_process.h"
#include "tests/util/test_util.h"

namespace gafka {
namespace {

using testing::BrokerOptions;
using testing::BrokerProcess;
using testing::Eventually;

std::unique_ptr<BrokerProcess> StartBroker(int id, std::vector<std::string> args,
                                           std::string data_dir = "") {
  BrokerOptions options;
  options.id = id;
  options.data_dir = std::move(data_dir);
  options.extra_args = std::move(args);
  auto broker = BrokerProcess::Start(options);
  EXPECT_TRUE(broker.ok()) << broker.status().ToString();
  return broker.ok() ? std::move(broker).value() : nullptr;
}

std::vector<std::string> FollowerArgs(const BrokerProcess& leader) {
  return {"--role=follower", "--leader=" + leader.address()};
}

// Every value readable on partition 0 (up to the broker's HW).
std::vector<std::string> ReadAll(const std::string& address, const std::string& topic) {
  ClientOptions options;
  options.follow_leader_hint = false;
  Client client(address, options);
  std::vector<std::string> values;
  FetchRequest request;
  request.topic = topic;
  request.partition = PartitionId(0);
  request.offset_spec = OffsetSpec::kExplicit;
  request.max_count = 1000;
  for (int64_t offset = 0;;) {
    request.offset = Offset(offset);
    auto fetched = client.Fetch(request);
    if (!fetched.ok() || fetched->records.empty()) return values;
    for (const auto& consumed : fetched->records) values.push_back(consumed.record.value);
    offset = fetched->next_offset.value();
  }
}

void CreateTopic(const std::string& address, const std::string& name) {
  Client client(address);
  CreateTopicRequest create;
  create.name = name;
  create.partitions = 1;
  ASSERT_TRUE(client.CreateTopic(create).ok());
}

Status ProduceValue(Client& client, const std::string& topic, const std::string& value, Acks acks) {
  ProduceMessage message;
  message.value = value;
  message.partition = PartitionId(0);
  auto produced = client.Produce(topic, message, ProduceOptions{acks});
  return produced.ok() ? Status::Ok() : produced.status();
}

TEST(Replication, FollowerReplicatesTopicsAndRecords) {
  auto leader = StartBroker(1, {});
  ASSERT_NE(leader, nullptr);
  auto follower = StartBroker(2, FollowerArgs(*leader));
  ASSERT_NE(follower, nullptr);
  CreateTopic(leader->address(), "t");
  Client client(leader->address());
  std::vector<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back("value-" + std::to_string(i));
    ASSERT_TRUE(ProduceValue(client, "t", sent.back(), Acks::kLeader).ok());
  }
  EXPECT_TRUE(Eventually([&] { return ReadAll(follower->address(), "t") == sent; }));
  // The follower refuses writes and names the leader.
  ClientOptions options;
  options.follow_leader_hint = false;
  Client direct(follower->address(), options);
  Status refused = ProduceValue(direct, "t", "x", Acks::kLeader);
  EXPECT_EQ(ErrorOf(refused).error_code, api_errors::kNotLeader);
}

TEST(Replication, MinInsyncReplicasRefusesAcksAllWithoutFollower) {
  auto leader = StartBroker(1, {"--min-insync-replicas=2"});
  ASSERT_NE(leader, nullptr);
  CreateTopic(leader->address(), "t");
  Client client(leader->address());
  Status refused = ProduceValue(client, "t", "x", Acks::kAll);
  EXPECT_EQ(ErrorOf(refused).http_status, 503);
  EXPECT_EQ(ErrorOf(refused).error_code, api_errors::kNotEnoughReplicas);
  EXPECT_TRUE(ProduceValue(client, "t", "y", Acks::kLeader).ok());
  // Once a follower is in sync, acks=all is accepted.
  auto follower = StartBroker(2, FollowerArgs(*leader));
  ASSERT_NE(follower, nullptr);
  EXPECT_TRUE(Eventually([&] { return ProduceValue(client, "t", "z", Acks::kAll).ok(); }));
}

TEST(Replication, KillLeaderPromoteFollowerLosesNoAcksAllWrite) {
  auto leader = StartBroker(1, {"--min-insync-replicas=2"});
  ASSERT_NE(leader, nullptr);
  auto follower = StartBroker(2, FollowerArgs(*leader));
  ASSERT_NE(follower, nullptr);
  CreateTopic(leader->address(), "t");
  Client warmup(leader->address());
  ASSERT_TRUE(Eventually([&] { return ProduceValue(warmup, "t", "w", Acks::kAll).ok(); }));

  // Writers under acks=all until the leader dies.
  std::mutex mu;
  std::vector<std::vector<std::string>> acked(4);
  std::atomic<bool> stop{false};
  std::atomic<size_t> total{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      ClientOptions options;
      options.follow_leader_hint = false;
      options.request_timeout_ms = 3'000;
      Client client(leader->address(), options);
      for (int i = 0; !stop.load(); ++i) {
        const std::string value = "w" + std::to_string(w) + "-" + std::to_string(i);
        if (!ProduceValue(client, "t", value, Acks::kAll).ok()) return;
        std::lock_guard<std::mutex> lock(mu);
        acked[w].push_back(value);
        total.fetch_add(1);
      }
    });
  }
  ASSERT_TRUE(Eventually([&] { return total.load() >= 300; }));
  leader->Kill();
  stop.store(true);
  for (auto& t : writers) t.join();

  auto promoted = testing::RunTool("admin", {"promote", "--broker=" + follower->address()});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  Client client(follower->address());
  ASSERT_TRUE(ProduceValue(client, "t", "after-failover", Acks::kAll).ok());

  // Every acknowledged value is on the new leader, each writer's in order.
  const std::vector<std::string> values = ReadAll(follower->address(), "t");
  for (int w = 0; w < 4; ++w) {
    size_t next = 0;
    for (const std::string& v : values) {
      if (next < acked[w].size() && v == acked[w][next]) ++next;
    }
    EXPECT_EQ(next, acked[w].size()) << "writer " << w << " lost an acks=all message";
  }
  EXPECT_EQ(values.back(), "after-failover");

  // The old leader comes back as a follower of the new one: it drops any
  // divergent tail and ends up with exactly the new leader's log.
  auto returned = StartBroker(1, FollowerArgs(*follower), leader->data_dir());
  ASSERT_NE(returned, nullptr);
  ASSERT_TRUE(ProduceValue(client, "t", "after-return", Acks::kAll).ok());
  const std::vector<std::string> final_values = ReadAll(follower->address(), "t");
  EXPECT_TRUE(Eventually([&] { return ReadAll(returned->address(), "t") == final_values; }));
  Client check(returned->address());
  auto offsets = check.PartitionOffsets("t", PartitionId(0));
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(offsets->log_end_offset.value(), static_cast<int64_t>(final_values.size()));
}

}  // namespace
}  // namespace gafka
