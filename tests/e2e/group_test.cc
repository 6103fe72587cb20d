// End-to-end tests of consumer groups on the real broker (gafka-broker
// process, HTTP on 127.0.0.1): partitions split disjointly between members,
// a SIGKILLed consumer process is expired and its partitions move to the
// survivor, which resumes at the last commit; committed offsets survive a
// broker crash; every error status of the group API; the CLI tools.
// Every wait polls a condition against a deadline (no fixed sleeps).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "runtime-real/client.h"
#include "tests/util/broker_fixture.h"
#include "tests/util/broker_process.h"
#include "tests/util/test_util.h"

namespace gafka {
namespace {

using Json = nlohmann::json;
using testing::BrokerProcess;
using testing::Eventually;
using testing::ProcessResult;
using testing::RunTool;
using SteadyClock = std::chrono::steady_clock;

class GroupE2eTest : public testing::BrokerFixture {
 protected:
  // `per_partition` messages "p<P>-<i>" into each partition.
  void Produce(const std::string& topic, int32_t partitions, int per_partition, int first = 0) {
    std::vector<ProduceMessage> messages;
    for (int32_t p = 0; p < partitions; ++p) {
      for (int i = first; i < first + per_partition; ++i) {
        ProduceMessage m;
        m.partition = PartitionId(p);
        m.value = "p" + std::to_string(p) + "-" + std::to_string(i);
        messages.push_back(m);
      }
    }
    auto acked = client_->ProduceBatch(topic, messages);
    ASSERT_TRUE(acked.ok()) << acked.status().ToString();
  }
  // A raw call: status and parsed body.
  std::pair<int, Json> Raw(const std::string& method, const std::string& path,
                           const std::string& body = "") {
    auto raw = client_->Call(method, path, body);
    EXPECT_TRUE(raw.ok()) << raw.status().ToString();
    if (!raw.ok()) return {0, Json()};
    Json j = Json::parse(raw->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << raw->body;
    return {raw->status, j};
  }
  Json Status(const std::string& group) {
    auto [status, body] = Raw("GET", "/api/v1/consumer-groups/" + group + "/status");
    return status == 200 ? body : Json();
  }
  // consumer_id -> owned partitions, per the group status.
  std::map<std::string, std::set<int>> Owners(const std::string& group) {
    std::map<std::string, std::set<int>> owners;
    const Json status = Status(group);
    if (!status.is_object()) return owners;
    for (const Json& p : status["partitions"]) {
      if (p["consumer_id"].is_string()) {
        owners[p["consumer_id"].get<std::string>()].insert(p["partition"].get<int>());
      }
    }
    return owners;
  }
  static GroupPollRequest Poll(const std::string& topic, const std::string& group,
                               const std::string& consumer, Millis timeout_ms = 0) {
    GroupPollRequest poll;
    poll.topic = topic;
    poll.group_id = group;
    poll.consumer_id = consumer;
    poll.timeout_ms = timeout_ms;
    poll.auto_offset_reset = OffsetSpec::kEarliest;
    poll.max_count = 1000;
    return poll;
  }

};

// N members poll until they all see one generation; their assignments are
// then disjoint and cover every partition, and each reads exactly its own.
TEST_F(GroupE2eTest, TwoAndThreeMembersSplitPartitionsDisjointly) {
  CreateTopic("split", 6);
  for (int members : {2, 3}) {
    SCOPED_TRACE(members);
    const std::string group = "split-" + std::to_string(members);
    std::vector<std::unique_ptr<Client>> clients;
    for (int m = 0; m < members; ++m)
      clients.push_back(std::make_unique<Client>(broker_->address()));
    std::map<int, FetchResponse> last;
    // Poll round-robin until every member reports the same generation.
    ASSERT_TRUE(Eventually(
        [&] {
          for (int m = 0; m < members; ++m) {
            auto polled = clients[m]->GroupConsume(Poll("split", group, "m" + std::to_string(m)));
            if (!polled.ok()) return false;
            last[m] = *polled;
          }
          for (int m = 1; m < members; ++m) {
            if (last[m].generation != last[0].generation) return false;
          }
          return true;
        },
        10'000));
    std::set<int> all;
    size_t total = 0;
    for (int m = 0; m < members; ++m) {
      EXPECT_FALSE(last[m].assigned.empty());
      for (PartitionId p : last[m].assigned) all.insert(p.value());
      total += last[m].assigned.size();
    }
    EXPECT_EQ(total, 6u) << "no partition has two owners";
    EXPECT_EQ(all.size(), 6u) << "every partition has an owner";
    // The status agrees.
    auto owners = Owners(group);
    EXPECT_EQ(owners.size(), static_cast<size_t>(members));
    // Fresh data: each member reads only its own partitions, and together all.
    Produce("split", 6, 3, 100 * members);
    std::set<std::string> seen;
    ASSERT_TRUE(Eventually(
        [&] {
          for (int m = 0; m < members; ++m) {
            auto polled = clients[m]->GroupConsume(Poll("split", group, "m" + std::to_string(m)));
            if (!polled.ok()) continue;
            const std::set<PartitionId> mine(polled->assigned.begin(), polled->assigned.end());
            for (const ConsumedRecord& r : polled->records) {
              EXPECT_EQ(mine.count(r.partition), 1u)
                  << "m" << m << " read a partition it does not own";
              seen.insert(r.record.value);
            }
          }
          int fresh = 0;
          for (const std::string& v : seen) {
            const int i = std::stoi(v.substr(v.find('-') + 1));
            if (i >= 100 * members && i < 100 * members + 3) ++fresh;
          }
          return fresh == 18;
        },
        10'000));
    for (int m = 0; m < members; ++m) {
      auto [status, body] = Raw(
          "POST", "/api/v1/consumer-groups/" + group + "/members/m" + std::to_string(m) + "/leave");
      EXPECT_EQ(status, 200) << body.dump();
    }
  }
}

TEST_F(GroupE2eTest, FirstPollOfANewMemberWaitsForData) {
  CreateTopic("wait", 2);
  std::thread producer;
  auto started = SteadyClock::now();
  // The poll parks (empty topic); a produce from another thread wakes it.
  std::atomic<bool> polling{false};
  producer = std::thread([&] {
    Client other(broker_->address());
    Eventually([&] { return polling.load(); }, 5000);
    // (Its own client: client_ is busy with the long poll.)
    EXPECT_TRUE(Eventually(
        [&] {
          auto status = other.GroupStatus("wait-g");
          if (!status.ok()) return false;
          const Json s = Json::parse(*status, nullptr, false);
          return s.is_object() && !s["members"].empty() &&
                 s["members"][0]["poll_in_flight"] == true;
        },
        5000));
    ProduceMessage m;
    m.partition = PartitionId(1);
    m.value = "late";
    EXPECT_TRUE(other.Produce("wait", m).ok());
  });
  polling = true;
  auto polled = client_->GroupConsume(Poll("wait", "wait-g", "c", 15'000));
  producer.join();
  ASSERT_TRUE(polled.ok()) << polled.status().ToString();
  ASSERT_EQ(polled->records.size(), 1u);
  EXPECT_EQ(polled->records[0].record.value, "late");
  EXPECT_LT(SteadyClock::now() - started, std::chrono::milliseconds(14'000))
      << "woken by the produce, not by the timeout";
}

// A gafka-consumer process is SIGKILLed without leaving: the broker expires
// it after its session and the survivor owns every partition, resuming at
// the killed member's last commit.
TEST_F(GroupE2eTest, KilledConsumerIsExpiredAndTheSurvivorResumesFromTheLastCommit) {
  CreateTopic("kill", 2);
  Produce("kill", 2, 10);
  const Millis session_ms = 2000;
  ProcessResult killed;
  std::thread runner([&] {
    // RunTool kills the process with SIGKILL at its deadline.
    killed = RunTool(
        "consumer",
        {"--topic=kill", "--group=kg", "--consumer-id=victim", "--from-beginning",
         "--session-timeout-ms=" + std::to_string(session_ms), "--broker=" + broker_->address()},
        "", 6000);
  });
  // The victim joined and committed everything it printed.
  ASSERT_TRUE(Eventually(
      [&] {
        auto offsets = client_->FetchOffsets("kg");
        if (!offsets.ok()) return false;
        int64_t sum = 0;
        const Json body = Json::parse(*offsets);
        for (const Json& o : body["offsets"]) sum += o["offset"].get<int64_t>();
        return sum == 20;
      },
      15'000));
  // The survivor joins; the victim keeps one partition.
  auto joined = client_->JoinGroup("kg", "survivor", "kill", 10'000);
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  ASSERT_TRUE(Eventually([&] { return Owners("kg").size() == 2; }, 5000));
  const std::set<int> victims = Owners("kg")["victim"];
  ASSERT_EQ(victims.size(), 1u);
  runner.join();
  ASSERT_TRUE(killed.timed_out) << "the consumer was killed, it did not exit: " << killed.err;
  EXPECT_EQ(killed.exit_code, 128 + 9);
  EXPECT_EQ(
      killed.out.find("p0-0") != std::string::npos || killed.out.find("p1-0") != std::string::npos,
      true)
      << killed.out;
  const auto killed_at = SteadyClock::now();
  // Expired after its session: the survivor (heartbeating) owns everything.
  ASSERT_TRUE(Eventually(
      [&] {
        auto beat = client_->Heartbeat("kg", "survivor");
        return beat.ok() &&
               Owners("kg") == std::map<std::string, std::set<int>>{{"survivor", {0, 1}}};
      },
      session_ms + 5000));
  const auto moved_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - killed_at).count();
  EXPECT_LE(moved_ms, session_ms + 3000);
  // It resumes at the victim's commit: new records only, from offset 10.
  Produce("kill", 2, 2, 10);
  std::map<int, std::vector<int64_t>> got;
  ASSERT_TRUE(Eventually(
      [&] {
        auto polled = client_->GroupConsume(Poll("kill", "kg", "survivor", 500));
        if (polled.ok()) {
          for (const ConsumedRecord& r : polled->records) {
            got[r.partition.value()].push_back(r.record.offset.value());
          }
        }
        return got[0].size() + got[1].size() >= 4;
      },
      10'000));
  const int victim_partition = *victims.begin();
  ASSERT_FALSE(got[victim_partition].empty());
  EXPECT_EQ(got[victim_partition].front(), 10) << "resumes at the last commit, no gap, no replay";
}

TEST_F(GroupE2eTest, CommittedOffsetsSurviveABrokerCrash) {
  CreateTopic("durable", 2);
  Produce("durable", 2, 5);
  auto polled = client_->GroupConsume(Poll("durable", "dg", "c"));
  ASSERT_TRUE(polled.ok()) << polled.status().ToString();
  ASSERT_EQ(polled->records.size(), 10u);
  Json commit = {{"consumer_id", "c"},
                 {"generation", polled->generation->value()},
                 {"offsets",
                  {{{"topic", "durable"}, {"partition", 0}, {"offset", 3}},
                   {{"topic", "durable"}, {"partition", 1}, {"offset", 5}}}}};
  auto committed = client_->CommitOffsets("dg", commit.dump());
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  broker_->Kill();  // no graceful shutdown: the commit's ack meant durable
  ASSERT_TRUE(broker_->Restart().ok());
  client_ = std::make_unique<Client>(broker_->address());
  auto offsets = client_->FetchOffsets("dg");
  ASSERT_TRUE(offsets.ok()) << offsets.status().ToString();
  const Json j = Json::parse(*offsets);
  ASSERT_EQ(j["offsets"].size(), 2u) << j.dump();
  EXPECT_EQ(j["offsets"][0]["offset"], 3);
  EXPECT_EQ(j["offsets"][1]["offset"], 5);
  // The old member must join again; a new one resumes at the commits.
  auto [status, body] = Raw("POST", "/api/v1/consumer-groups/dg/members/c/heartbeat");
  EXPECT_EQ(status, 404);
  EXPECT_NE(body["message"].get<std::string>().find("join"), std::string::npos) << body.dump();
  auto resumed = client_->GroupConsume(Poll("durable", "dg", "c2"));
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(resumed->records.size(), 2u);
  EXPECT_EQ(resumed->records[0].record.offset, Offset(3));
}

TEST_F(GroupE2eTest, EveryErrorStatus) {
  CreateTopic("errs", 2);
  const std::string base = "/api/v1/consumer-groups/";
  // Heartbeat of an unknown group, then of an unknown member: 404 saying join.
  auto [s1, b1] = Raw("POST", base + "nogroup/members/x/heartbeat");
  EXPECT_EQ(s1, 404);
  EXPECT_EQ(b1["error_code"], 40403);
  EXPECT_NE(b1["message"].get<std::string>().find("join"), std::string::npos) << b1.dump();
  auto [sj, bj] = Raw("POST", base + "eg/members/a/join", R"({"topic":"errs"})");
  ASSERT_EQ(sj, 200) << bj.dump();
  auto [s2, b2] = Raw("POST", base + "eg/members/zz/heartbeat");
  EXPECT_EQ(s2, 404);
  EXPECT_EQ(b2["error_code"], 40404);
  EXPECT_NE(b2["message"].get<std::string>().find("join"), std::string::npos) << b2.dump();
  EXPECT_GT(bj["session_expires_in_ms"].get<int64_t>(), 0);
  const int gen_a = bj["generation"].get<int>();
  // b joins: a rebalance; a's old generation is stale now.
  auto [sb, bb] = Raw("POST", base + "eg/members/b/join", R"({"topic":"errs"})");
  ASSERT_EQ(sb, 200) << bb.dump();
  ASSERT_GT(bb["generation"].get<int>(), gen_a);
  auto commit = [&](const std::string& member, int generation, int partition) {
    Json body = {{"consumer_id", member},
                 {"generation", generation},
                 {"offsets", {{{"topic", "errs"}, {"partition", partition}, {"offset", 0}}}}};
    return Raw("POST", base + "eg/offsets", body.dump());
  };
  auto [s3, b3] = commit("a", gen_a, 0);
  EXPECT_EQ(s3, 409);
  EXPECT_EQ(b3["error_code"], 40902) << b3.dump();
  // Commit of a partition b does not own: 409, not applied.
  const int gen = bb["generation"].get<int>();
  const int b_owns = bb["assignment"][0]["partitions"][0].get<int>();
  auto [s4, b4] = commit("b", gen, 1 - b_owns);
  EXPECT_EQ(s4, 409);
  EXPECT_EQ(b4["error_code"], 40901) << b4.dump();
  auto [s4ok, b4ok] = commit("b", gen, b_owns);
  EXPECT_EQ(s4ok, 200) << b4ok.dump();
  auto [sf, bf] = Raw("GET", base + "eg/offsets");
  ASSERT_EQ(sf, 200);
  EXPECT_EQ(bf["offsets"].size(), 1u) << "the refused commit was not applied: " << bf.dump();
  // A second poll of a member with one in flight: 409.
  std::thread parked([&] {
    Client other(broker_->address());
    auto polled = other.GroupConsume(Poll("errs", "eg", "a", 3000));
    EXPECT_TRUE(polled.ok()) << polled.status().ToString();
  });
  EXPECT_TRUE(Eventually(
      [&] {
        const Json status = Status("eg");
        if (!status.is_object()) return false;
        for (const Json& m : status["members"]) {
          if (m["consumer_id"] == "a" && m["poll_in_flight"] == true) return true;
        }
        return false;
      },
      3000));
  auto [s5, b5] = Raw("GET", "/api/v1/consume?topic=errs&group_id=eg&consumer_id=a&timeout=0");
  EXPECT_EQ(s5, 409);
  EXPECT_EQ(b5["error_code"], 40904) << b5.dump();
  parked.join();
  // Reset with active members: 409 unless forced.
  auto [s6, b6] = Raw("POST", base + "eg/reset-offsets", R"({"topic":"errs","to":"earliest"})");
  EXPECT_EQ(s6, 409) << b6.dump();
  auto [s7, b7] =
      Raw("POST", base + "eg/reset-offsets", R"({"topic":"errs","to":"earliest","force":true})");
  EXPECT_EQ(s7, 200) << b7.dump();
  EXPECT_EQ(b7["rebalanced"], true);
  // Bad parameters: 400.
  for (auto [method, path, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/api/v1/consume?topic=errs&group_id=eg", ""},
           {"GET", "/api/v1/consume?topic=errs&group_id=eg&consumer_id=a&partition=0", ""},
           {"GET", "/api/v1/consume?topic=errs&group_id=eg&consumer_id=a&count=0", ""},
           {"GET", "/api/v1/consume?topic=errs&group_id=eg&consumer_id=a&auto_commit=maybe", ""},
           {"POST", base + "eg/members/a/join", R"({"session_timeout_ms":5})"},
           {"POST", base + "eg/offsets", R"({"consumer_id":"a"})"},
           {"POST", base + "eg/reset-offsets", R"({"topic":"errs","to":"sideways"})"},
       }) {
    auto [status, answer] = Raw(method, path, body);
    EXPECT_EQ(status, 400) << method << " " << path << " " << body << ": " << answer.dump();
    EXPECT_EQ(answer["error_code"].get<int>() / 100, 400) << answer.dump();
  }
  // Unknown topic on a group poll: 404; status of an unknown group: 404.
  EXPECT_EQ(Raw("GET", "/api/v1/consume?topic=nope&group_id=eg&consumer_id=a").first, 404);
  EXPECT_EQ(Raw("GET", base + "nogroup/status").first, 404);
}

TEST_F(GroupE2eTest, ConsumerAndAdminToolsDriveAGroup) {
  CreateTopic("cli", 2);
  Produce("cli", 2, 3);
  const std::string flag = "--broker=" + broker_->address();
  ProcessResult consumed =
      RunTool("consumer", {"--topic=cli", "--group=cg", "--from-beginning", "--timeout=1s", flag},
              "", 20'000);
  ASSERT_EQ(consumed.exit_code, 0) << consumed.err;
  EXPECT_EQ(std::count(consumed.out.begin(), consumed.out.end(), '\n'), 6) << consumed.out;
  EXPECT_NE(consumed.err.find("left group cg"), std::string::npos) << consumed.err;
  // Committed after printing: a second run prints nothing.
  ProcessResult again = RunTool(
      "consumer", {"--topic=cli", "--group=cg", "--from-beginning", "--timeout=500ms", flag}, "",
      20'000);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "");

  ProcessResult list = RunTool("admin", {"list-groups", flag});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("cg"), std::string::npos) << list.out;
  ProcessResult described = RunTool("admin", {"describe-group", "--group=cg", flag});
  ASSERT_EQ(described.exit_code, 0) << described.err;
  EXPECT_NE(described.out.find("TOPIC"), std::string::npos);
  for (const char* column :
       {"PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID"}) {
    EXPECT_NE(described.out.find(column), std::string::npos) << column << "\n" << described.out;
  }
  ProcessResult as_json = RunTool("admin", {"describe-group", "--group=cg", "--json", flag});
  ASSERT_EQ(as_json.exit_code, 0);
  const Json status = Json::parse(as_json.out);
  EXPECT_EQ(status["total_lag"], 0) << as_json.out;

  // Reset to earliest (no members): the next run prints everything again.
  ProcessResult reset =
      RunTool("admin", {"reset-offsets", "--group=cg", "--topic=cli", "--to-earliest", flag});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  ProcessResult lagging = RunTool("admin", {"describe-group", "--group=cg", "--json", flag});
  EXPECT_EQ(Json::parse(lagging.out)["total_lag"], 6) << lagging.out;
  // With an active member: refused, unless --force.
  ASSERT_TRUE(client_->JoinGroup("cg", "live", "cli", 30'000).ok());
  ProcessResult refused =
      RunTool("admin", {"reset-offsets", "--group=cg", "--topic=cli", "--to-latest", flag});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("409"), std::string::npos) << refused.err;
  ProcessResult forced = RunTool(
      "admin", {"reset-offsets", "--group=cg", "--topic=cli", "--to-offset=1", "--force", flag});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  ProcessResult bad = RunTool("admin", {"reset-offsets", "--group=cg", "--topic=cli", flag});
  EXPECT_EQ(bad.exit_code, 2) << "exactly one target is required";
}

// Ctrl-C: the consumer leaves the group (its partitions move at once, not
// after a session) and exits 0.
TEST_F(GroupE2eTest, ConsumerLeavesTheGroupOnSigint) {
  CreateTopic("sigint", 2);
  const std::string path = testing::ToolPath("consumer");
  std::vector<std::string> args = {path, "--topic=sigint", "--group=sig", "--consumer-id=x",
                                   "--broker=" + broker_->address()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  const bool joined = Eventually([&] { return Owners("sig").count("x") == 1; }, 10'000);
  EXPECT_TRUE(joined);
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = -1;
  const bool exited = Eventually([&] { return waitpid(pid, &status, WNOHANG) == pid; }, 10'000);
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(exited) << "the consumer did not stop on SIGINT";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // It left: no member remains, well before its 10 s session would end.
  const Json after = Status("sig");
  ASSERT_TRUE(after.is_object());
  EXPECT_TRUE(after["members"].empty()) << after.dump();
  EXPECT_EQ(after["state"], "empty");
}

}  // namespace
}  // namespace gafka
