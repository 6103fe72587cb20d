// Brokers that replicate, in one simulated world: one SimClock and
// SimNetwork, and per node its own SimDisk, random streams and logger. Node
// ids are the transport ids; a node's address is "node-<id>".
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/broker/broker.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_disk.h"
#include "runtime-sim/sim_network.h"
#include "runtime-sim/trace.h"
#include "tests/core/broker/broker_harness.h"

namespace gafka::testing {

inline std::string NodeAddress(int id) { return "node-" + std::to_string(id); }

inline std::optional<NodeId> ResolveNode(const std::string& address) {
  if (address.rfind("node-", 0) != 0 || address.size() < 6) return std::nullopt;
  return NodeId(std::stoi(address.substr(5)));
}

class ReplicaNode {
 public:
  ReplicaNode(sim::SimClock& clock, sim::SimNetwork& network, int id, uint64_t seed)
      : id_(id),
        clock_(clock),
        network_(network),
        disk_(clock, seed * 31 + static_cast<uint64_t>(id), QuietDisk()),
        random_(seed + static_cast<uint64_t>(id)),
        env_{clock, disk_, random_, logger_, buggify_} {
    config_.id = NodeId(id);
    config_.data_dir = "broker-" + std::to_string(id);
    config_.retention_check_interval_ms = 0;
    ReplicaConfig& r = config_.replication;
    r.advertised_address = NodeAddress(id);
    r.replica_lag_time_max_ms = 1'000;
    r.fetch_max_wait_ms = 100;
    r.fetch_timeout_ms = 300;
    r.notice_retry_ms = 100;
    r.resolve_peer = ResolveNode;
  }
  ~ReplicaNode() { broker_.reset(); }

  void FollowerOf(int leader) {
    config_.replication.follower = true;
    config_.replication.leader_peer = NodeId(leader);
    config_.replication.leader_address = NodeAddress(leader);
  }
  void AsLeader() { config_.replication.follower = false; }

  BrokerConfig& config() { return config_; }
  Broker& broker() { return *broker_; }
  sim::SimDisk& disk() { return disk_; }
  sim::SimLogger& logger() { return logger_; }

  void OpenOrDie() {
    auto opened = Broker::Open(env_, config_, &network_.Endpoint(NodeId(id_)));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    broker_ = std::move(opened).value();
  }
  // Power loss: unsynced data is lost; the broker is gone.
  void Crash() {
    disk_.Crash();
    broker_.reset();
  }

  std::shared_ptr<std::optional<ApiResponse>> Start(ApiRequest request) {
    auto slot = std::make_shared<std::optional<ApiResponse>>();
    broker_->Execute(std::move(request), [slot](ApiResponse response) {
      EXPECT_FALSE(slot->has_value()) << "done called twice";
      *slot = std::move(response);
    });
    return slot;
  }
  ApiResponse Wait(const std::shared_ptr<std::optional<ApiResponse>>& slot,
                   Millis limit_ms = 30'000) {
    const Millis deadline = clock_.NowMs() + limit_ms;
    while (!slot->has_value() && clock_.NowMs() < deadline && clock_.RunOne()) {
    }
    EXPECT_TRUE(slot->has_value()) << "no answer";
    if (!slot->has_value()) return ApiError{};
    return **slot;
  }
  ApiResponse Call(ApiRequest request) { return Wait(Start(std::move(request))); }

  PartitionInfo Offsets(const std::string& topic, int32_t partition) {
    PartitionOffsetsRequest request;
    request.topic = topic;
    request.partition = PartitionId(partition);
    return As<PartitionOffsetsResponse>(Call(request)).info;
  }
  // Every record of the partition up to its HW.
  std::vector<Record> ReadAll(const std::string& topic, int32_t partition) {
    std::vector<Record> out;
    for (int64_t offset = 0;;) {
      auto response = Call(BrokerHarness::FetchAt(topic, partition, offset, 1000));
      const auto& fetched = As<FetchResponse>(response);
      if (fetched.records.empty()) return out;
      for (const auto& consumed : fetched.records) out.push_back(consumed.record);
      offset = fetched.next_offset.value();
    }
  }

 private:
  int id_;
  sim::SimClock& clock_;
  sim::SimNetwork& network_;
  sim::SimDisk disk_;
  sim::SimRandom random_;
  sim::SimLogger logger_;
  NoBuggify buggify_;
  Env env_;
  BrokerConfig config_;
  std::unique_ptr<Broker> broker_;
};

inline std::vector<std::string> ValuesOf(const std::vector<Record>& records) {
  std::vector<std::string> values;
  for (const Record& r : records) values.push_back(r.value);
  return values;
}

class ReplicaCluster {
 public:
  explicit ReplicaCluster(uint64_t seed) : network_(clock_, trace_, seed) {
    for (int id = 1; id <= 2; ++id) {
      nodes_.emplace(id, std::make_unique<ReplicaNode>(clock_, network_, id, seed));
    }
    nodes_[2]->FollowerOf(1);
  }
  ~ReplicaCluster() { nodes_.clear(); }

  ReplicaNode& node(int id) { return *nodes_.at(id); }
  sim::SimClock& clock() { return clock_; }
  sim::SimNetwork& network() { return network_; }
  void Run(Millis ms) { clock_.RunUntil(clock_.NowMs() + ms); }

  // Opens the leader (1) and the follower (2) and creates `topic` on the
  // leader; the follower mirrors it once the cluster runs.
  void OpenWithTopic(const std::string& topic, int32_t partitions) {
    node(1).OpenOrDie();
    node(2).OpenOrDie();
    CreateTopicRequest create;
    create.name = topic;
    create.partitions = partitions;
    ASSERT_EQ(ErrorCode(node(1).Call(create)), 0);
  }

 private:
  sim::SimClock clock_;
  sim::Trace trace_;
  sim::SimNetwork network_;
  std::map<int, std::unique_ptr<ReplicaNode>> nodes_;
};

// The fixture of two-node tests on one partition: node 1 leads, node 2
// follows; SetUp opens both with topic "t" and lets the follower catch up.
// Parameterised by the seed.
class LeaderFollowerTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<ReplicaCluster>(GetParam());
    cluster_->OpenWithTopic("t", 1);
    Run(500);  // the follower mirrors the topic and catches up
  }
  ReplicaNode& leader() { return cluster_->node(1); }
  ReplicaNode& follower() { return cluster_->node(2); }
  void Run(Millis ms) { cluster_->Run(ms); }
  ApiResponse Produce(ReplicaNode& node, const std::string& value, Acks acks) {
    return node.Call(BrokerHarness::ProduceOne("t", std::nullopt, value, acks, 0));
  }

  std::unique_ptr<ReplicaCluster> cluster_;
};

}  // namespace gafka::testing
