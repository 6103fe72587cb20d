// End-to-end: committed group offsets replicate. Two real gafka-broker
// processes on loopback; a group commits on the leader; the follower serves
// the committed offsets (reads) but refuses group writes with 409 + the
// leader hint; kill -9 the leader, promote the follower: the group resumes
// exactly at its committed offsets there.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/protocol/errors.h"
#include "runtime-real/client.h"
#include "tests/util/broker_process.h"
#include "tests/util/test_util.h"

namespace gafka {
namespace {

using Json = nlohmann::json;
using testing::BrokerOptions;
using testing::BrokerProcess;
using testing::Eventually;

std::unique_ptr<BrokerProcess> StartBroker(int id, std::vector<std::string> args) {
  BrokerOptions options;
  options.id = id;
  options.extra_args = std::move(args);
  auto broker = BrokerProcess::Start(options);
  EXPECT_TRUE(broker.ok()) << broker.status().ToString();
  return broker.ok() ? std::move(broker).value() : nullptr;
}

GroupPollRequest Poll(const std::string& consumer) {
  GroupPollRequest poll;
  poll.topic = "t";
  poll.group_id = "g";
  poll.consumer_id = consumer;
  poll.auto_offset_reset = OffsetSpec::kEarliest;
  poll.max_count = 1000;
  return poll;
}

// {partition: committed offset} of group g as `address` reports it.
std::map<int, int64_t> Committed(const std::string& address) {
  ClientOptions options;
  options.follow_leader_hint = false;
  Client client(address, options);
  std::map<int, int64_t> out;
  auto offsets = client.FetchOffsets("g");
  if (!offsets.ok()) return out;
  const Json body = Json::parse(*offsets);
  for (const Json& o : body["offsets"]) {
    out[o["partition"].get<int>()] = o["offset"].get<int64_t>();
  }
  return out;
}

TEST(ReplicationGroups, CommittedOffsetsSurviveFailover) {
  auto leader = StartBroker(1, {"--min-insync-replicas=2"});
  ASSERT_NE(leader, nullptr);
  auto follower = StartBroker(2, {"--role=follower", "--leader=" + leader->address()});
  ASSERT_NE(follower, nullptr);
  Client client(leader->address());
  CreateTopicRequest create;
  create.name = "t";
  create.partitions = 2;
  ASSERT_TRUE(client.CreateTopic(create).ok());
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 10; ++i) {
      ProduceMessage message;
      message.value = "v" + std::to_string(i);
      message.partition = PartitionId(p);
      ASSERT_TRUE(Eventually(
          [&] { return client.Produce("t", message, ProduceOptions{Acks::kAll}).ok(); }));
    }
  }

  auto polled = client.GroupConsume(Poll("c1"));
  ASSERT_TRUE(polled.ok()) << polled.status().ToString();
  ASSERT_EQ(polled->records.size(), 20u);
  const Json commit = {{"consumer_id", "c1"},
                       {"generation", polled->generation->value()},
                       {"offsets",
                        {{{"topic", "t"}, {"partition", 0}, {"offset", 7}},
                         {{"topic", "t"}, {"partition", 1}, {"offset", 4}}}}};
  auto committed = client.CommitOffsets("g", commit.dump());
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  const std::map<int, int64_t> want = {{0, 7}, {1, 4}};
  ASSERT_EQ(Committed(leader->address()), want);

  // The commit was answered only once the in-sync follower held it durably:
  // the follower serves it already, and refuses group writes.
  ASSERT_EQ(Committed(follower->address()), want);
  ClientOptions direct_options;
  direct_options.follow_leader_hint = false;
  Client direct(follower->address(), direct_options);
  auto refused = direct.CommitOffsets("g", commit.dump());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorOf(refused.status()).error_code, api_errors::kNotLeader);
  auto refused_poll = direct.GroupConsume(Poll("c2"));
  ASSERT_FALSE(refused_poll.ok());
  EXPECT_EQ(ErrorOf(refused_poll.status()).error_code, api_errors::kNotLeader);

  // kill -9 the leader, promote the follower: the group resumes there.
  leader->Kill();
  auto promoted = testing::RunTool("admin", {"promote", "--broker=" + follower->address()});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  EXPECT_EQ(Committed(follower->address()), want);
  Client after(follower->address());
  auto resumed = after.GroupConsume(Poll("c2"));
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  std::map<int, int64_t> first;
  for (const ConsumedRecord& r : resumed->records) {
    if (first.count(r.partition.value()) == 0) first[r.partition.value()] = r.record.offset.value();
  }
  EXPECT_EQ(first, want);
  EXPECT_EQ(resumed->records.size(), 3u + 6u);
}

}  // namespace
}  // namespace gafka
