// GroupApi: executes the consumer-group requests of the client API (join,
// leave, heartbeat, commit, fetch offsets, status, list, reset) on a
// GroupCoordinator and encodes the answers (group_json.h). Group polls are
// not here: they read partitions, so the Broker drives them with
// GroupCoordinator::BeginPoll / EndPoll around its own fetch path.
//
// Owned by whoever owns the coordinator (the Broker's group handler); used
// only from the core loop. Stateless apart from the coordinator reference.
#pragma once

#include <functional>

#include "core/group/group_coordinator.h"
#include "core/protocol/messages.h"

namespace gafka {

class GroupApi {
 public:
  explicit GroupApi(GroupCoordinator& coordinator) : coordinator_(coordinator) {}

  // True for the requests Handle serves: every group request but
  // GroupPollRequest.
  static bool Handles(const ApiRequest& request);

  // `request` must satisfy Handles(). `done` runs exactly once: at once for
  // reads, membership calls and refused writes; later (on the loop) for
  // commits and resets, once durable.
  void Handle(const ApiRequest& request, std::function<void(GroupResponse)> done);

 private:
  void Commit(const CommitOffsetsRequest& request, std::function<void(GroupResponse)> done);
  void Reset(const ResetOffsetsRequest& request, std::function<void(GroupResponse)> done);
  GroupResponse MemberError(const Status& status, const std::string& group_id,
                            const std::string& consumer_id) const;

  GroupCoordinator& coordinator_;
};

}  // namespace gafka
