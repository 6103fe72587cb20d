// gafka-admin: topic administration over the HTTP API.
//
//   gafka-admin create-topic --name=t --partitions=2 [--replication-factor=1]
//                            [--retention-ms=N] [--retention-bytes=N] [--segment-bytes=N]
//                            [--max-message-bytes=N]
//   gafka-admin list-topics
//   gafka-admin describe-topic --name=t
//   gafka-admin delete-topic --name=t
//   gafka-admin list-groups
//   gafka-admin describe-group --group=g
//   gafka-admin reset-offsets --group=g --topic=t (--to-earliest | --to-latest |
//                             --to-offset=N | --to-timestamp=MS) [--force]
//   gafka-admin promote --broker=host:port [--force]   (make that follower the leader)
//
// Every command takes --broker (default localhost:9001) and --json (print the
// broker's JSON answer instead of a table). Exit code 0 on success, 1 when the
// broker refused (the error is printed to stderr), 2 on bad usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime-real/client.h"

namespace gafka {
namespace {

struct AdminFlags {
  std::string broker = "localhost:9001";
  bool json = false;
  std::string name;
  std::string group;
  std::string topic;
  bool to_earliest = false, to_latest = false, force = false;
  std::optional<int64_t> to_offset, to_timestamp;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  std::optional<int64_t> retention_ms, retention_bytes, segment_bytes, max_message_bytes;
};

int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.message().c_str());
  return 1;
}

// With --json: the raw answer; errors as for typed calls.
int PrintRaw(Client& client, const std::string& method, const std::string& path,
             const std::string& body = "") {
  auto raw = client.Call(method, path, body);
  if (!raw.ok()) return Fail(raw.status());
  if (raw->status >= 400) return Fail(StatusFromHttp(*raw));
  std::printf("%s\n", raw->body.c_str());
  return 0;
}

std::string CreateBody(const AdminFlags& f) {
  nlohmann::json body = {
      {"name", f.name}, {"partitions", f.partitions}, {"replication_factor", f.replication_factor}};
  nlohmann::json configs = nlohmann::json::object();
  if (f.retention_ms) configs["retention.ms"] = *f.retention_ms;
  if (f.retention_bytes) configs["retention.bytes"] = *f.retention_bytes;
  if (f.segment_bytes) configs["segment.bytes"] = *f.segment_bytes;
  if (f.max_message_bytes) configs["max.message.bytes"] = *f.max_message_bytes;
  if (!configs.empty()) body["configs"] = configs;
  return body.dump();
}

int CreateTopic(Client& client, const AdminFlags& f) {
  if (f.json) return PrintRaw(client, "POST", "/api/v1/topics", CreateBody(f));
  CreateTopicRequest request;
  request.name = f.name;
  request.partitions = f.partitions;
  request.replication_factor = f.replication_factor;
  if (f.retention_ms) request.config.retention_ms = *f.retention_ms;
  if (f.retention_bytes) request.config.retention_bytes = *f.retention_bytes;
  if (f.segment_bytes) request.config.segment_bytes = *f.segment_bytes;
  if (f.max_message_bytes) request.config.max_message_bytes = *f.max_message_bytes;
  auto topic = client.CreateTopic(request);
  if (!topic.ok()) return Fail(topic.status());
  std::printf("created topic %s with %d partition%s (replication factor %d)\n", topic->name.c_str(),
              topic->partitions, topic->partitions == 1 ? "" : "s", topic->replication_factor);
  return 0;
}

int ListTopics(Client& client, const AdminFlags& f) {
  if (f.json) return PrintRaw(client, "GET", "/api/v1/topics");
  auto topics = client.ListTopics();
  if (!topics.ok()) return Fail(topics.status());
  std::printf("%-40s %10s %12s\n", "TOPIC", "PARTITIONS", "REPLICATION");
  for (const TopicInfo& t : *topics) {
    std::printf("%-40s %10d %12d\n", t.name.c_str(), t.partitions, t.replication_factor);
  }
  return 0;
}

int DescribeTopic(Client& client, const AdminFlags& f) {
  if (f.json) return PrintRaw(client, "GET", "/api/v1/topics/" + UrlEncode(f.name));
  auto topic = client.DescribeTopic(f.name);
  if (!topic.ok()) return Fail(topic.status());
  std::printf(
      "topic %s: %d partition%s, replication factor %d, retention.ms %lld, "
      "retention.bytes %lld, segment.bytes %lld, max.message.bytes %lld\n",
      topic->name.c_str(), topic->partitions, topic->partitions == 1 ? "" : "s",
      topic->replication_factor, static_cast<long long>(topic->config.retention_ms),
      static_cast<long long>(topic->config.retention_bytes),
      static_cast<long long>(topic->config.segment_bytes),
      static_cast<long long>(topic->config.max_message_bytes));
  std::printf("%-10s %15s %15s %15s %15s  %s\n", "PARTITION", "EARLIEST", "LATEST",
              "HIGH-WATERMARK", "SIZE", "STATUS");
  for (const PartitionInfo& p : topic->partition_info) {
    std::printf("%-10d %15lld %15lld %15lld %15llu  %s\n", p.partition.value(),
                static_cast<long long>(p.log_start_offset.value()),
                static_cast<long long>(p.log_end_offset.value()),
                static_cast<long long>(p.high_watermark.value()),
                static_cast<unsigned long long>(p.size_bytes), p.status.c_str());
  }
  return 0;
}

int DeleteTopic(Client& client, const AdminFlags& f) {
  if (f.json) return PrintRaw(client, "DELETE", "/api/v1/topics/" + UrlEncode(f.name));
  Status deleted = client.DeleteTopic(f.name);
  if (!deleted.ok()) return Fail(deleted);
  std::printf("deleted topic %s\n", f.name.c_str());
  return 0;
}

// ---- consumer groups ------------------------------------------------------------

using Json = nlohmann::json;

Result<Json> ParseJson(const Result<std::string>& body) {
  if (!body.ok()) return body.status();
  Json j = Json::parse(*body, nullptr, false);
  if (j.is_discarded()) return Internal("the broker's answer is not JSON: " + *body);
  return j;
}

std::string Cell(const Json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    return s.empty() ? "-" : s;
  }
  return j.dump();
}

int ListGroups(Client& client, const AdminFlags& f) {
  if (f.json) return PrintRaw(client, "GET", "/api/v1/consumer-groups");
  auto list = ParseJson(client.ListGroups());
  if (!list.ok()) return Fail(list.status());
  std::printf("%-40s %-12s %12s %8s\n", "GROUP", "STATE", "GENERATION", "MEMBERS");
  for (const Json& g : list->value("groups", Json::array())) {
    std::printf("%-40s %-12s %12s %8s\n", Cell(g["group_id"]).c_str(), Cell(g["state"]).c_str(),
                Cell(g["generation"]).c_str(), Cell(g["members"]).c_str());
  }
  return 0;
}

// As kafka-consumer-groups --describe: one line per partition the group
// knows (assigned or committed), then the members.
int DescribeGroup(Client& client, const AdminFlags& f) {
  const std::string path = "/api/v1/consumer-groups/" + UrlEncode(f.group) + "/status";
  if (f.json) return PrintRaw(client, "GET", path);
  auto status = ParseJson(client.GroupStatus(f.group));
  if (!status.ok()) return Fail(status.status());
  const Json& s = *status;
  std::printf("group %s: state %s, generation %s, assignor %s, %zu member%s, total lag %s\n\n",
              f.group.c_str(), Cell(s["state"]).c_str(), Cell(s["generation"]).c_str(),
              Cell(s["assignor"]).c_str(), s.value("members", Json::array()).size(),
              s.value("members", Json::array()).size() == 1 ? "" : "s",
              Cell(s["total_lag"]).c_str());
  std::printf("%-30s %9s %15s %15s %10s  %s\n", "TOPIC", "PARTITION", "CURRENT-OFFSET",
              "LOG-END-OFFSET", "LAG", "CONSUMER-ID");
  for (const Json& p : s.value("partitions", Json::array())) {
    std::printf("%-30s %9s %15s %15s %10s  %s\n", Cell(p["topic"]).c_str(),
                Cell(p["partition"]).c_str(), Cell(p["committed_offset"]).c_str(),
                Cell(p["log_end_offset"]).c_str(), Cell(p["lag"]).c_str(),
                Cell(p["consumer_id"]).c_str());
  }
  const Json members = s.value("members", Json::array());
  if (!members.empty()) {
    std::printf("\n%-40s %20s %14s\n", "CONSUMER-ID", "SESSION-EXPIRES-IN-MS", "POLL-IN-FLIGHT");
    for (const Json& m : members) {
      std::printf("%-40s %20s %14s\n", Cell(m["consumer_id"]).c_str(),
                  Cell(m["session_expires_in_ms"]).c_str(), Cell(m["poll_in_flight"]).c_str());
    }
  }
  return 0;
}

int ResetOffsets(Client& client, const AdminFlags& f) {
  const int targets = int{f.to_earliest} + int{f.to_latest} + int{f.to_offset.has_value()} +
                      int{f.to_timestamp.has_value()};
  if (targets != 1) {
    std::fprintf(stderr,
                 "error: give exactly one of --to-earliest, --to-latest, --to-offset, "
                 "--to-timestamp\n");
    return 2;
  }
  Json body = {{"topic", f.topic}, {"force", f.force}};
  if (f.to_earliest) body["to"] = "earliest";
  if (f.to_latest) body["to"] = "latest";
  if (f.to_offset) {
    body["to"] = "offset";
    body["offset"] = *f.to_offset;
  }
  if (f.to_timestamp) {
    body["to"] = "timestamp";
    body["timestamp"] = *f.to_timestamp;
  }
  const std::string path = "/api/v1/consumer-groups/" + UrlEncode(f.group) + "/reset-offsets";
  if (f.json) return PrintRaw(client, "POST", path, body.dump());
  auto reset = ParseJson(client.ResetOffsets(f.group, body.dump()));
  if (!reset.ok()) return Fail(reset.status());
  std::printf("reset group %s on topic %s (generation %s%s)\n", f.group.c_str(), f.topic.c_str(),
              Cell((*reset)["generation"]).c_str(),
              reset->value("rebalanced", false) ? ", members rebalanced" : "");
  std::printf("%-9s %15s\n", "PARTITION", "NEW-OFFSET");
  for (const Json& p : reset->value("offsets", Json::array())) {
    std::printf("%-9s %15s\n", Cell(p["partition"]).c_str(), Cell(p["offset"]).c_str());
  }
  return 0;
}

// POST /internal/v1/promote; the broker's own address becomes the leader
// hint the old leader gives once fenced.
int Promote(Client& client, const AdminFlags& f) {
  std::string address = f.broker;
  if (address.rfind("http://", 0) == 0) address = address.substr(7);
  const std::string body =
      nlohmann::json{{"advertised_address", address}, {"force", f.force}}.dump();
  auto raw = client.Call("POST", "/internal/v1/promote", body);
  if (!raw.ok()) return Fail(raw.status());
  if (raw->status >= 400) return Fail(StatusFromHttp(*raw));
  if (f.json) {
    std::printf("%s\n", raw->body.c_str());
    return 0;
  }
  auto json = nlohmann::json::parse(raw->body, nullptr, false);
  const long long epoch =
      !json.is_discarded() && json.contains("epoch") && json["epoch"].is_number()
          ? json["epoch"].get<long long>()
          : -1;
  std::printf("%s is the leader now (epoch %lld)\n", address.c_str(), epoch);
  return 0;
}

void AddCommon(CLI::App* cmd, AdminFlags& f) {
  cmd->add_option("--broker", f.broker, "broker host:port")->capture_default_str();
  cmd->add_flag("--json", f.json, "print the broker's JSON answer");
}

}  // namespace
}  // namespace gafka

int main(int argc, char** argv) {
  using gafka::AdminFlags;
  AdminFlags f;
  CLI::App app{"gafka-admin: manage gafka topics and consumer groups"};
  app.require_subcommand(1);

  auto* create = app.add_subcommand("create-topic", "create a topic");
  create->add_option("--name", f.name, "topic name")->required();
  create->add_option("--partitions", f.partitions, "number of partitions")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  create->add_option("--replication-factor", f.replication_factor, "replication factor")
      ->capture_default_str();
  create->add_option("--retention-ms", f.retention_ms,
                     "delete segments older than this (-1: never)");
  create->add_option("--retention-bytes", f.retention_bytes, "per-partition size cap (-1: none)");
  create->add_option("--segment-bytes", f.segment_bytes, "segment file size");
  create->add_option("--max-message-bytes", f.max_message_bytes, "largest value");
  auto* list = app.add_subcommand("list-topics", "list topics");
  auto* describe = app.add_subcommand("describe-topic", "partitions, offsets and sizes of a topic");
  describe->add_option("--name", f.name, "topic name")->required();
  auto* remove = app.add_subcommand("delete-topic", "delete a topic and its data");
  remove->add_option("--name", f.name, "topic name")->required();
  auto* list_groups = app.add_subcommand("list-groups", "list consumer groups");
  auto* describe_group =
      app.add_subcommand("describe-group", "partitions, committed offsets, lag and members");
  describe_group->add_option("--group", f.group, "group id")->required();
  auto* reset = app.add_subcommand(
      "reset-offsets", "set a group's committed offsets of a topic (refused while it has members "
                       "unless --force)");
  reset->add_option("--group", f.group, "group id")->required();
  reset->add_option("--topic", f.topic, "topic")->required();
  reset->add_flag("--to-earliest", f.to_earliest, "to the first stored offset");
  reset->add_flag("--to-latest", f.to_latest, "to the high watermark (skip everything)");
  reset->add_option("--to-offset", f.to_offset, "to this offset (clamped into the log)")
      ->check(CLI::NonNegativeNumber);
  reset->add_option("--to-timestamp", f.to_timestamp,
                    "to the first record at/after this time (ms since the epoch)")
      ->check(CLI::NonNegativeNumber);
  reset->add_flag("--force", f.force, "reset although members are active (they rebalance)");
  auto* promote = app.add_subcommand("promote", "make the follower at --broker the leader");
  promote->add_flag("--force", f.force, "even if it was not in sync (loses committed records)");
  // --broker/--json may come before or after the command.
  for (CLI::App* cmd :
       {&app, create, list, describe, remove, list_groups, describe_group, reset, promote}) {
    gafka::AddCommon(cmd, f);
  }
  CLI11_PARSE(app, argc, argv);

  gafka::Client client(f.broker);
  if (create->parsed()) return gafka::CreateTopic(client, f);
  if (list->parsed()) return gafka::ListTopics(client, f);
  if (describe->parsed()) return gafka::DescribeTopic(client, f);
  if (remove->parsed()) return gafka::DeleteTopic(client, f);
  if (list_groups->parsed()) return gafka::ListGroups(client, f);
  if (describe_group->parsed()) return gafka::DescribeGroup(client, f);
  if (reset->parsed()) return gafka::ResetOffsets(client, f);
  if (promote->parsed()) return gafka::Promote(client, f);
  return 2;
}
