#include "core/group/group_api.h"

#include <type_traits>
#include <utility>
#include <variant>

#include "core/base/check.h"
#include "core/group/group_json.h"

namespace gafka {

bool GroupApi::Handles(const ApiRequest& request) {
  return std::visit(
      [](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        return std::is_same_v<T, JoinGroupRequest> || std::is_same_v<T, LeaveGroupRequest> ||
               std::is_same_v<T, HeartbeatRequest> || std::is_same_v<T, CommitOffsetsRequest> ||
               std::is_same_v<T, FetchOffsetsRequest> || std::is_same_v<T, GroupStatusRequest> ||
               std::is_same_v<T, ListGroupsRequest> || std::is_same_v<T, ResetOffsetsRequest>;
      },
      request);
}

// An error to a member carries its session facts when it is a member.
GroupResponse GroupApi::MemberError(const Status& status, const std::string& group_id,
                                    const std::string& consumer_id) const {
  const std::optional<MemberView> member = coordinator_.FindMember(group_id, consumer_id);
  return EncodeGroupError(status, member ? &*member : nullptr);
}

void GroupApi::Handle(const ApiRequest& request, std::function<void(GroupResponse)> done) {
  CHECK(done != nullptr);
  CHECK_MSG(Handles(request), "GroupApi::Handle: not a group request it serves");
  if (const auto* r = std::get_if<JoinGroupRequest>(&request)) {
    Result<MemberView> joined = coordinator_.Join(r->group_id, r->consumer_id,
                                                  JoinOptions{r->topic, r->session_timeout_ms, /*restart=*/true});
    return done(joined.ok() ? EncodeMember(*joined)
                            : MemberError(joined.status(), r->group_id, r->consumer_id));
  }
  if (const auto* r = std::get_if<LeaveGroupRequest>(&request)) {
    Result<Generation> left = coordinator_.Leave(r->group_id, r->consumer_id);
    return done(left.ok() ? EncodeLeave(r->group_id, r->consumer_id, *left)
                          : EncodeGroupError(left.status()));
  }
  if (const auto* r = std::get_if<HeartbeatRequest>(&request)) {
    Result<MemberView> member = coordinator_.Heartbeat(r->group_id, r->consumer_id);
    return done(member.ok() ? EncodeMember(*member) : EncodeGroupError(member.status()));
  }
  if (const auto* r = std::get_if<CommitOffsetsRequest>(&request))
    return Commit(*r, std::move(done));
  if (const auto* r = std::get_if<ResetOffsetsRequest>(&request)) return Reset(*r, std::move(done));
  if (const auto* r = std::get_if<FetchOffsetsRequest>(&request)) {
    Result<GroupOffsets> offsets = coordinator_.FetchOffsets(r->group_id);
    return done(offsets.ok() ? EncodeOffsets(*offsets) : EncodeGroupError(offsets.status()));
  }
  if (const auto* r = std::get_if<GroupStatusRequest>(&request)) {
    Result<GroupStatus> status = coordinator_.Describe(r->group_id);
    return done(status.ok() ? EncodeStatus(*status) : EncodeGroupError(status.status()));
  }
  CHECK(std::holds_alternative<ListGroupsRequest>(request));
  done(EncodeGroupList(coordinator_.ListGroups()));
}

void GroupApi::Commit(const CommitOffsetsRequest& request,
                      std::function<void(GroupResponse)> done) {
  CommitArgs args;
  args.group_id = request.group_id;
  args.consumer_id = request.consumer_id;
  args.generation = request.generation;
  for (const CommitOffsetsRequest::Entry& e : request.offsets) {
    args.entries.push_back(CommitEntry{e.topic, e.partition, e.offset, ""});
  }
  auto on_done = [this, done, group_id = request.group_id,
                  consumer_id = request.consumer_id](Result<CommitOutcome> outcome) {
    done(outcome.ok() ? EncodeCommit(*outcome)
                      : MemberError(outcome.status(), group_id, consumer_id));
  };
  Status status = coordinator_.Commit(args, std::move(on_done));
  if (!status.ok()) done(MemberError(status, request.group_id, request.consumer_id));
}

void GroupApi::Reset(const ResetOffsetsRequest& request, std::function<void(GroupResponse)> done) {
  ResetArgs args;
  args.group_id = request.group_id;
  args.topic = request.topic;
  args.to = request.to;
  args.offset = request.offset;
  args.timestamp_ms = request.timestamp_ms;
  args.force = request.force;
  Status status = coordinator_.Reset(args, [done](Result<ResetOutcome> outcome) {
    done(outcome.ok() ? EncodeReset(*outcome) : EncodeGroupError(outcome.status()));
  });
  if (!status.ok()) done(EncodeGroupError(status));
}

}  // namespace gafka
