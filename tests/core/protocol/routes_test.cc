#include "core/protocol/routes.h"

#include <gtest/gtest.h>

#include "core/protocol/errors.h"
#include "tests/core/protocol/codec_test_util.h"

namespace gafka {
namespace {

using testing::DecodeAs;
using testing::Get;
using testing::Post;
using testing::Request;

TEST(Routes, EveryRouteDecodesToItsRequest) {
  DecodeAs<ProduceRequest>(Post("/api/v1/produce", R"({"topic":"t","value":"v"})"));
  DecodeAs<FetchRequest>(
      Get("/api/v1/consume", {{"topic", "t"}, {"partition", "0"}, {"offset", "0"}}));
  DecodeAs<GroupPollRequest>(
      Get("/api/v1/consume", {{"topic", "t"}, {"group_id", "g"}, {"consumer_id", "c"}}));
  DecodeAs<CreateTopicRequest>(Post("/api/v1/topics", R"({"name":"t"})"));
  DecodeAs<ListTopicsRequest>(Get("/api/v1/topics"));
  EXPECT_EQ(DecodeAs<DescribeTopicRequest>(Get("/api/v1/topics/orders")).name, "orders");
  EXPECT_EQ(DecodeAs<DeleteTopicRequest>(Request("DELETE", "/api/v1/topics/orders")).name,
            "orders");
  const auto offsets =
      DecodeAs<PartitionOffsetsRequest>(Get("/api/v1/topics/orders/partitions/3/offsets"));
  EXPECT_EQ(offsets.topic, "orders");
  EXPECT_EQ(offsets.partition, PartitionId(3));
  DecodeAs<HealthRequest>(Get("/healthz"));
  DecodeAs<HealthRequest>(Get("/api/v1/health"));
  DecodeAs<StatusRequest>(Get("/api/v1/status"));
  DecodeAs<MetricsRequest>(Get("/metrics"));
  DecodeAs<MetricsRequest>(Get("/api/v1/metrics"));
  DecodeAs<ListGroupsRequest>(Get("/api/v1/consumer-groups"));
  const auto join =
      DecodeAs<JoinGroupRequest>(Post("/api/v1/consumer-groups/g/members/c1/join", ""));
  EXPECT_EQ(join.group_id, "g");
  EXPECT_EQ(join.consumer_id, "c1");
  DecodeAs<LeaveGroupRequest>(Post("/api/v1/consumer-groups/g/members/c1/leave", ""));
  DecodeAs<LeaveGroupRequest>(Request("DELETE", "/api/v1/consumer-groups/g/members/c1/leave"));
  DecodeAs<LeaveGroupRequest>(Request("DELETE", "/api/v1/consumer-groups/g/members/c1"));
  const auto heartbeat =
      DecodeAs<HeartbeatRequest>(Post("/api/v1/consumer-groups/g/members/c1/heartbeat", ""));
  EXPECT_EQ(heartbeat.consumer_id, "c1");
  DecodeAs<CommitOffsetsRequest>(Post("/api/v1/consumer-groups/g/offsets",
                                      R"({"offsets":[{"topic":"t","partition":0,"offset":1}]})"));
  EXPECT_EQ(DecodeAs<FetchOffsetsRequest>(Get("/api/v1/consumer-groups/g/offsets")).group_id, "g");
  EXPECT_EQ(DecodeAs<GroupStatusRequest>(Get("/api/v1/consumer-groups/g/status")).group_id, "g");
  DecodeAs<ResetOffsetsRequest>(
      Post("/api/v1/consumer-groups/g/reset-offsets", R"({"topic":"t","to":"earliest"})"));
}

TEST(Routes, OneTrailingSlashIsIgnored) {
  DecodeAs<ListTopicsRequest>(Get("/api/v1/topics/"));
  DecodeAs<GroupStatusRequest>(Get("/api/v1/consumer-groups/g/status/"));
}

TEST(Routes, UnknownPathIs404) {
  EXPECT_API_ERROR(Get("/api/v2/topics"), api_errors::kNotFound, "no such endpoint");
  EXPECT_API_ERROR(Get("/"), api_errors::kNotFound, "no such endpoint");
  EXPECT_API_ERROR(Get(""), api_errors::kNotFound, "no such endpoint");
  EXPECT_API_ERROR(Get("/api/v1/topics/t/partitions"), api_errors::kNotFound, "no such endpoint");
  EXPECT_API_ERROR(Get("/api/v1/topics//partitions/0/offsets"), api_errors::kNotFound,
                   "no such endpoint");
  EXPECT_API_ERROR(Get("/api/v1/consumer-groups/g/members/c/heartbeat/x"), api_errors::kNotFound,
                   "no such endpoint");
}

TEST(Routes, WrongMethodIs405AndListsTheAllowedOnes) {
  EXPECT_API_ERROR(Get("/api/v1/produce"), api_errors::kMethodNotAllowed, "allowed: POST");
  EXPECT_API_ERROR(Request("PUT", "/api/v1/topics"), api_errors::kMethodNotAllowed,
                   "allowed: POST, GET");
  EXPECT_API_ERROR(Post("/api/v1/topics/t", "{}"), api_errors::kMethodNotAllowed,
                   "allowed: GET, DELETE");
  EXPECT_API_ERROR(Get("/api/v1/consumer-groups/g/members/c/heartbeat"),
                   api_errors::kMethodNotAllowed, "allowed: POST");
  EXPECT_API_ERROR(Request("PATCH", "/api/v1/consumer-groups/g/offsets"),
                   api_errors::kMethodNotAllowed, "allowed: POST, GET");
}

TEST(Routes, MatchRouteCapturesPathParameters) {
  auto match = MatchRoute("POST", "/api/v1/consumer-groups/group-1/members/consumer-9/join");
  ASSERT_TRUE(std::holds_alternative<RouteMatch>(match));
  EXPECT_EQ(std::get<RouteMatch>(match).endpoint, Endpoint::kJoinGroup);
  EXPECT_EQ(std::get<RouteMatch>(match).params[0], "group-1");
  EXPECT_EQ(std::get<RouteMatch>(match).params[1], "consumer-9");
}

}  // namespace
}  // namespace gafka

// docs/openapi.yaml must list exactly the routes the decoder serves.
#ifdef GAFKA_SOURCE_DIR
#include <cctype>
#include <fstream>
#include <set>

namespace gafka {
namespace {

// "/api/v1/topics/{name}/partitions/{p}" -> "/api/v1/topics/{}/partitions/{}".
// (No std::regex: GCC 12 warns inside it under -fsanitize, and -Werror.)
std::string NormalizePath(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      out += "{}";
      i = path.find('}', i);
      if (i == std::string::npos) break;
    } else {
      out += path[i];
    }
  }
  return out;
}

TEST(Routes, OpenApiDocumentListsExactlyTheRoutes) {
  std::ifstream file(std::string(GAFKA_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_TRUE(file.good()) << "docs/openapi.yaml not found";
  std::set<std::string> documented;
  std::string line;
  std::string path;
  bool in_paths = false;
  while (std::getline(file, line)) {
    if (line == "paths:") in_paths = true;
    if (line == "components:") in_paths = false;
    if (!in_paths) continue;
    // "  /path:" at indent 2 opens a path; "    get:" at indent 4 a method.
    if (line.rfind("  /", 0) == 0 && line.back() == ':') {
      path = NormalizePath(line.substr(2, line.size() - 3));
      continue;
    }
    for (const char* method : {"get", "post", "delete", "put", "patch"}) {
      if (line == std::string("    ") + method + ":") {
        std::string upper = method;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        documented.insert(upper + " " + path);
      }
    }
  }
  const std::vector<std::string> routes = ListRoutes();
  const std::set<std::string> served(routes.begin(), routes.end());
  EXPECT_EQ(documented, served);
}

}  // namespace
}  // namespace gafka
#endif
