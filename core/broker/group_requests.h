// The seam where the consumer-group coordinator (core/group, a later issue)
// plugs into the broker. The Broker owns one GroupRequestHandler and routes
// every group request to it; until the coordinator exists, the handler
// answers 501 Not Implemented with a clear message.
#pragma once

#include <functional>
#include <type_traits>

#include "core/protocol/messages.h"

namespace gafka {

// The ApiRequest alternatives that belong to consumer groups.
template <typename T>
inline constexpr bool kIsGroupRequest =
    std::is_same_v<T, GroupPollRequest> || std::is_same_v<T, JoinGroupRequest> ||
    std::is_same_v<T, LeaveGroupRequest> || std::is_same_v<T, HeartbeatRequest> ||
    std::is_same_v<T, CommitOffsetsRequest> || std::is_same_v<T, FetchOffsetsRequest> ||
    std::is_same_v<T, GroupStatusRequest> || std::is_same_v<T, ListGroupsRequest> ||
    std::is_same_v<T, ResetOffsetsRequest>;

bool IsGroupRequest(const ApiRequest& request);

// Owned by the Broker; called only from the core loop, never during
// shutdown (the broker answers 503 itself then).
class GroupRequestHandler {
 public:
  virtual ~GroupRequestHandler() = default;
  // `request` is a group request (IsGroupRequest). `done` runs exactly once.
  virtual void Handle(ApiRequest request, std::function<void(ApiResponse)> done) = 0;
};

// The placeholder until core/group exists: 501 for every group request.
class UnimplementedGroupHandler final : public GroupRequestHandler {
 public:
  void Handle(ApiRequest request, std::function<void(ApiResponse)> done) override;
};

}  // namespace gafka
