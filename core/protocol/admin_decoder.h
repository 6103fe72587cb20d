// Topic and consumer-group endpoints: path parameters and the small JSON
// bodies of create-topic, join, commit and reset (docs/api.md).
#pragma once

#include <variant>

#include "core/protocol/codec.h"
#include "core/protocol/routes.h"

namespace gafka {

// kCreateTopic, kDescribeTopic, kDeleteTopic, kPartitionOffsets.
std::variant<ApiRequest, ApiError> DecodeTopicEndpoint(const RouteMatch& route,
                                                       const HttpRequest& request,
                                                       const ApiLimits& limits);

// kJoinGroup, kLeaveGroup, kHeartbeat, kCommitOffsets, kFetchOffsets,
// kGroupStatus, kResetOffsets.
std::variant<ApiRequest, ApiError> DecodeGroupEndpoint(const RouteMatch& route,
                                                       const HttpRequest& request,
                                                       const ApiLimits& limits);

}  // namespace gafka
