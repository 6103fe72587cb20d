// gafka-admin: topic administration over the HTTP API.
//
//   gafka-admin create-topic --name=t --partitions=2 [--replication-factor=1]
//                            [--retention-ms=N] [--retention-bytes=N] [--segment-bytes=N]
//                            [--max-message-bytes=N]
//   gafka-admin list-topics
//   gafka-admin describe-topic --name=t
//   gafka-admin delete-topic --name=t
//   gafka-admin list-groups | describe-group --group=g     (JSON from the broker)
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
  bool force = false;
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
  CLI::App app{"gafka-admin: manage gafka topics"};
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
  auto* list_groups = app.add_subcommand("list-groups", "list consumer groups (JSON)");
  auto* describe_group = app.add_subcommand("describe-group", "members, offsets and lag (JSON)");
  describe_group->add_option("--group", f.group, "group id")->required();
  auto* promote = app.add_subcommand("promote", "make the follower at --broker the leader");
  promote->add_flag("--force", f.force, "even if it was not in sync (loses committed records)");
  // --broker/--json may come before or after the command.
  for (CLI::App* cmd :
       {&app, create, list, describe, remove, list_groups, describe_group, promote}) {
    gafka::AddCommon(cmd, f);
  }
  CLI11_PARSE(app, argc, argv);

  gafka::Client client(f.broker);
  if (create->parsed()) return gafka::CreateTopic(client, f);
  if (list->parsed()) return gafka::ListTopics(client, f);
  if (describe->parsed()) return gafka::DescribeTopic(client, f);
  if (remove->parsed()) return gafka::DeleteTopic(client, f);
  if (promote->parsed()) return gafka::Promote(client, f);
  if (list_groups->parsed()) return gafka::PrintRaw(client, "GET", "/api/v1/consumer-groups");
  if (describe_group->parsed()) {
    return gafka::PrintRaw(client, "GET",
                           "/api/v1/consumer-groups/" + gafka::UrlEncode(f.group) + "/status");
  }
  return 2;
}
