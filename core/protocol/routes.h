// The route table of the HTTP API: (method, path pattern) -> endpoint, with
// path parameters. One table so docs/api.md, docs/openapi.yaml and the
// decoder list the same routes; 404/405 come from here.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/protocol/messages.h"

namespace gafka {

enum class Endpoint {
  kProduce,
  kConsume,
  kCreateTopic,
  kListTopics,
  kDescribeTopic,
  kDeleteTopic,
  kPartitionOffsets,
  kHealth,
  kStatus,
  kMetrics,
  kListGroups,
  kJoinGroup,
  kLeaveGroup,
  kHeartbeat,
  kCommitOffsets,
  kFetchOffsets,
  kGroupStatus,
  kResetOffsets,
};

struct RouteMatch {
  Endpoint endpoint;
  // Path parameters in pattern order, views into the request path:
  // topics/{name}/partitions/{p}, consumer-groups/{group}/members/{consumer}.
  std::string_view params[2];
};

// The endpoint for `method` and `path` (one trailing '/' is ignored), or the
// error: 40400 for an unknown path, 40501 when the path exists but not with
// this method (the message lists the allowed ones).
std::variant<RouteMatch, ApiError> MatchRoute(std::string_view method, std::string_view path);

// Every route as "METHOD /pattern" with "{}" for path parameters, in table
// order; tests check docs/openapi.yaml against it.
std::vector<std::string> ListRoutes();

}  // namespace gafka
