#include "core/group/group_types.h"

namespace gafka {

std::string ToString(const TopicPartition& tp) {
  return tp.topic + "/" + std::to_string(tp.partition.value());
}

const char* AssignorName(AssignorKind kind) {
  switch (kind) {
    case AssignorKind::kRoundRobin:
      return "round-robin";
    case AssignorKind::kRange:
      return "range";
    case AssignorKind::kSticky:
      return "sticky";
  }
  return "unknown";
}

std::optional<AssignorKind> ParseAssignor(std::string_view name) {
  if (name == "round-robin" || name == "roundrobin") return AssignorKind::kRoundRobin;
  if (name == "range") return AssignorKind::kRange;
  if (name == "sticky") return AssignorKind::kSticky;
  return std::nullopt;
}

const char* GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "empty";
    case GroupState::kRebalancing:
      return "rebalancing";
    case GroupState::kStable:
      return "stable";
  }
  return "unknown";
}

std::vector<TopicAssignment> GroupByTopic(const std::vector<TopicPartition>& assignment) {
  std::vector<TopicAssignment> out;
  for (const TopicPartition& tp : assignment) {
    if (out.empty() || out.back().topic != tp.topic) out.push_back(TopicAssignment{tp.topic, {}});
    out.back().partitions.push_back(tp.partition);
  }
  return out;
}

}  // namespace gafka
