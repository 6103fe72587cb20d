// GroupCoordinator: group polls — plans (which partitions, from where),
// in-session positions, auto-commit, and the end of a poll (revocation).
#include <algorithm>
#include <set>
#include <utility>

#include "core/base/check.h"
#include "core/group/group_coordinator.h"

namespace gafka {

Result<PollPlan> GroupCoordinator::BeginPoll(const PollStart& start) {
  NoticeScope scope(this);
  if (start.topic.empty()) return InvalidArgument("a group poll needs a topic");
  if (start.auto_offset_reset != OffsetSpec::kEarliest &&
      start.auto_offset_reset != OffsetSpec::kLatest) {
    return InvalidArgument("auto_offset_reset must be earliest or latest");
  }
  if (topics_.PartitionCount(start.topic) <= 0) {
    return NotFound("unknown topic " + start.topic, kDetailTopicNotFound);
  }
  if (Group* existing = FindGroup(start.group_id)) {
    auto it = existing->members.find(start.consumer_id);
    if (it != existing->members.end() && it->second.poll_id != 0) {
      Touch(start.group_id, it->second);
      return Conflict("consumer " + start.consumer_id + " of group " + start.group_id +
                          " already has a poll in flight; wait for its answer",
                      kDetailPollInFlight);
    }
  }
  GAFKA_ASSIGN_OR_RETURN(const MemberView ensured,
                         EnsureMember(start.group_id, start.consumer_id, start.topic));
  Group& group = *FindGroup(start.group_id);
  const int32_t count = std::max<int32_t>(0, topics_.PartitionCount(start.topic));
  auto known = group.partition_counts.find(start.topic);
  if (known == group.partition_counts.end() || known->second != count) {
    Rebalance(group, "partition count of " + start.topic + " changed");
  }
  Member& member = group.members.at(start.consumer_id);
  if (start.auto_commit) AutoCommit(group, member, start.topic);
  PollPlan plan;
  for (const TopicPartition& tp : member.assignment) {
    if (tp.topic != start.topic) continue;
    Result<Offset> from = ResolvePosition(group.id, member, tp, start.auto_offset_reset);
    if (!from.ok()) {
      env_.logger.Log(LogLevel::kWarn, "group " + group.id + ": no position for " + ToString(tp) +
                                           ": " + from.status().ToString());
      continue;  // the broker cannot read it either; the next poll retries
    }
    member.positions[tp] = *from;
    member.poll_from[tp.partition] = *from;
    plan.sources.push_back(PollSource{tp.partition, *from});
  }
  member.poll_id = next_poll_id_++;
  member.poll_topic = start.topic;
  Touch(group.id, member);
  plan.poll_id = member.poll_id;
  plan.member = Answer(group, member, ensured.joined);
  return plan;
}

// In-session position, else the committed offset, else auto_offset_reset;
// then clamped into the log (retention may have removed the start, a
// failover may have cut the end).
Result<Offset> GroupCoordinator::ResolvePosition(const std::string& group_id, Member& member,
                                                 const TopicPartition& tp,
                                                 OffsetSpec auto_offset_reset) {
  GAFKA_ASSIGN_OR_RETURN(const Offset start, topics_.LogStartOffset(tp));
  GAFKA_ASSIGN_OR_RETURN(const Offset end, topics_.LogEndOffset(tp));
  Offset from;
  if (auto it = member.positions.find(tp); it != member.positions.end()) {
    from = it->second;
  } else if (const CommittedOffset* committed = store_->Latest({group_id, tp})) {
    from = committed->offset;
  } else {
    from = auto_offset_reset == OffsetSpec::kEarliest ? start : end;
  }
  return std::clamp(from, start, std::max(start, end));
}

// Auto-commit: the positions the previous poll reached are committed when
// the next poll starts (the client asked for more, so it processed what it
// got: at-least-once). Asynchronous; a failure is only logged.
void GroupCoordinator::AutoCommit(const Group& group, const Member& member,
                                  const std::string& topic) {
  std::vector<OffsetStore::Write> writes;
  for (const auto& [tp, position] : member.positions) {
    if (tp.topic != topic) continue;
    const CommittedOffset* latest = store_->Latest({group.id, tp});
    if (latest != nullptr && latest->offset >= position) continue;
    writes.push_back(
        {{group.id, tp}, {offset_format::ValueKind::kCommit, {position, env_.clock.WallMs(), ""}}});
  }
  if (writes.empty()) return;
  const std::string group_id = group.id;
  Status s = store_->Apply(std::move(writes), [this, group_id](Status status) {
    if (!status.ok()) {
      env_.logger.Log(LogLevel::kWarn, "group " + group_id + " auto-commit: " + status.ToString());
    }
  });
  if (!s.ok())
    env_.logger.Log(LogLevel::kWarn, "group " + group.id + " auto-commit: " + s.ToString());
}

Result<PollEnd> GroupCoordinator::EndPoll(const std::string& group_id,
                                          const std::string& consumer_id, uint64_t poll_id,
                                          std::span<const PollDelivery> delivered) {
  NoticeScope scope(this);
  CHECK(poll_id != 0);
  Group* group = FindGroup(group_id);
  Member* found = nullptr;
  if (group != nullptr) {
    auto it = group->members.find(consumer_id);
    if (it != group->members.end() && it->second.poll_id == poll_id) found = &it->second;
  }
  if (found == nullptr) return NotMember(group_id, consumer_id);
  Member& member = *found;
  PollEnd end;
  std::set<PartitionId> revoked;
  for (const auto& [partition, from] : member.poll_from) {
    const TopicPartition tp{member.poll_topic, partition};
    auto position = member.positions.find(tp);
    if (position == member.positions.end() || position->second != from) revoked.insert(partition);
  }
  for (const PollDelivery& d : delivered) {
    const TopicPartition tp{member.poll_topic, d.partition};
    if (!member.poll_from.count(d.partition)) {
      revoked.insert(d.partition);  // not part of this poll: never deliver
      continue;
    }
    if (revoked.count(d.partition)) continue;
    Offset& position = member.positions.at(tp);
    position = std::max(position, d.next_offset);
  }
  end.revoked.assign(revoked.begin(), revoked.end());
  member.poll_id = 0;
  member.poll_topic.clear();
  member.poll_from.clear();
  Touch(group_id, member);
  CheckGroup(*group);
  end.member = Answer(*group, member);
  return end;
}

}  // namespace gafka
