// GroupCoordinator: status (describe) and the group list. Read-only.
#include <algorithm>
#include <set>
#include <utility>

#include "core/base/check.h"
#include "core/group/group_coordinator.h"

namespace gafka {

Result<GroupStatus> GroupCoordinator::Describe(const std::string& group_id) const {
  GAFKA_RETURN_IF_ERROR(CheckIds(group_id, ""));
  if (!KnownGroup(group_id)) {
    return NotFound("unknown group " + group_id + " (no members, no committed offsets)",
                    kDetailGroupNotFound);
  }
  GroupStatus status;
  status.group_id = group_id;
  status.assignor = config_.assignor;
  const Group* group = FindGroup(group_id);
  std::set<TopicPartition> partitions;
  if (group != nullptr) {
    status.state = StateOf(*group);
    status.generation = group->generation;
    const Millis now = env_.clock.NowMs();
    for (const auto& [id, member] : group->members) {
      MemberStatus m;
      m.consumer_id = id;
      m.topics.assign(member.topics.begin(), member.topics.end());
      m.assignment = member.assignment;
      m.session_timeout_ms = member.session_timeout_ms;
      m.poll_in_flight = member.poll_id != 0;
      m.session_expires_in_ms = m.poll_in_flight ? member.session_timeout_ms
                                                 : std::max<Millis>(0, member.deadline_ms - now);
      status.members.push_back(std::move(m));
    }
    for (const auto& [topic, count] : CurrentCounts(*group)) {
      for (int32_t p = 0; p < count; ++p) partitions.insert(TopicPartition{topic, PartitionId(p)});
    }
  }
  std::map<TopicPartition, CommittedOffset> committed;
  for (auto& [tp, value] : store_->DurableOfGroup(group_id)) {
    partitions.insert(tp);
    committed.emplace(tp, std::move(value));
  }
  for (const TopicPartition& tp : partitions) {
    PartitionStatus p;
    p.tp = tp;
    if (auto it = committed.find(tp); it != committed.end()) p.committed = it->second.offset;
    if (Result<Offset> end = topics_.LogEndOffset(tp); end.ok()) p.log_end = *end;
    if (p.committed && p.log_end) {
      p.lag = std::max<int64_t>(0, *p.log_end - *p.committed);
      status.total_lag += *p.lag;
    }
    if (group != nullptr) {
      if (auto owner = group->owners.find(tp); owner != group->owners.end()) {
        p.owner = owner->second;
        const Member& member = group->members.at(owner->second);
        if (auto pos = member.positions.find(tp); pos != member.positions.end())
          p.position = pos->second;
      }
    }
    status.partitions.push_back(std::move(p));
  }
  return status;
}

std::vector<GroupSummary> GroupCoordinator::ListGroups() const {
  std::set<std::string> ids;
  for (const auto& [id, group] : groups_) ids.insert(id);
  for (std::string& id : store_->Groups()) ids.insert(std::move(id));
  std::vector<GroupSummary> out;
  for (const std::string& id : ids) {
    GroupSummary summary;
    summary.group_id = id;
    if (const Group* group = FindGroup(id)) {
      summary.state = StateOf(*group);
      summary.generation = group->generation;
      summary.members = group->members.size();
    }
    out.push_back(std::move(summary));
  }
  return out;
}

}  // namespace gafka
