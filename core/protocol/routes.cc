#include "core/protocol/routes.h"

#include <string>

#include "core/protocol/errors.h"
#include "core/protocol/validation.h"

namespace gafka {
namespace {

struct RouteEntry {
  std::string_view method;
  std::string_view pattern;  // "{}" marks a path parameter segment
  Endpoint endpoint;
};

// Produce and consume first: they are the hot paths.
constexpr RouteEntry kRoutes[] = {
    {"POST", "/api/v1/produce", Endpoint::kProduce},
    {"GET", "/api/v1/consume", Endpoint::kConsume},
    {"POST", "/api/v1/topics", Endpoint::kCreateTopic},
    {"GET", "/api/v1/topics", Endpoint::kListTopics},
    {"GET", "/api/v1/topics/{}", Endpoint::kDescribeTopic},
    {"DELETE", "/api/v1/topics/{}", Endpoint::kDeleteTopic},
    {"GET", "/api/v1/topics/{}/partitions/{}/offsets", Endpoint::kPartitionOffsets},
    {"GET", "/healthz", Endpoint::kHealth},
    {"GET", "/api/v1/health", Endpoint::kHealth},
    {"GET", "/api/v1/status", Endpoint::kStatus},
    {"GET", "/metrics", Endpoint::kMetrics},
    {"GET", "/api/v1/metrics", Endpoint::kMetrics},
    {"GET", "/api/v1/consumer-groups", Endpoint::kListGroups},
    {"POST", "/api/v1/consumer-groups/{}/members/{}/join", Endpoint::kJoinGroup},
    {"POST", "/api/v1/consumer-groups/{}/members/{}/leave", Endpoint::kLeaveGroup},
    {"DELETE", "/api/v1/consumer-groups/{}/members/{}/leave", Endpoint::kLeaveGroup},
    {"DELETE", "/api/v1/consumer-groups/{}/members/{}", Endpoint::kLeaveGroup},
    {"POST", "/api/v1/consumer-groups/{}/members/{}/heartbeat", Endpoint::kHeartbeat},
    {"POST", "/api/v1/consumer-groups/{}/offsets", Endpoint::kCommitOffsets},
    {"GET", "/api/v1/consumer-groups/{}/offsets", Endpoint::kFetchOffsets},
    {"GET", "/api/v1/consumer-groups/{}/status", Endpoint::kGroupStatus},
    {"POST", "/api/v1/consumer-groups/{}/reset-offsets", Endpoint::kResetOffsets},
};

// Splits off the next '/'-separated segment of *rest (which starts after a
// '/'); false when there is none.
bool NextSegment(std::string_view* rest, std::string_view* segment) {
  if (rest->empty() || rest->front() != '/') return false;
  rest->remove_prefix(1);
  const size_t slash = rest->find('/');
  *segment = rest->substr(0, slash);
  rest->remove_prefix(slash == std::string_view::npos ? rest->size() : slash);
  return true;
}

// Segment-wise match; "{}" matches any non-empty segment and records it.
bool MatchPattern(std::string_view pattern, std::string_view path, std::string_view params[2]) {
  int captured = 0;
  std::string_view want;
  std::string_view got;
  while (NextSegment(&pattern, &want)) {
    if (!NextSegment(&path, &got)) return false;
    if (want == "{}") {
      if (got.empty() || captured == 2) return false;
      params[captured++] = got;
    } else if (want != got) {
      return false;
    }
  }
  return path.empty();
}

}  // namespace

std::vector<std::string> ListRoutes() {
  std::vector<std::string> routes;
  for (const RouteEntry& entry : kRoutes) {
    routes.push_back(std::string(entry.method) + " " + std::string(entry.pattern));
  }
  return routes;
}

std::variant<RouteMatch, ApiError> MatchRoute(std::string_view method, std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  std::string allowed;
  for (const RouteEntry& entry : kRoutes) {
    RouteMatch match{entry.endpoint, {}};
    if (!MatchPattern(entry.pattern, path, match.params)) continue;
    if (entry.method == method) return match;
    if (allowed.find(entry.method) == std::string::npos) {
      if (!allowed.empty()) allowed.append(", ");
      allowed.append(entry.method);
    }
  }
  if (!allowed.empty()) {
    return MakeApiError(api_errors::kMethodNotAllowed, "method " + Quoted(method) +
                                                           " is not allowed on " + Quoted(path) +
                                                           "; allowed: " + allowed);
  }
  return MakeApiError(api_errors::kNotFound, "no such endpoint: " + Quoted(path) +
                                                 " (the API lives under /api/v1; see docs/api.md)");
}

}  // namespace gafka
