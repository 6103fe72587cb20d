#include "core/group/assignor.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"

namespace gafka {
namespace {

bool Subscribes(const AssignmentInput& input, const std::string& member, const std::string& topic) {
  auto it = input.subscriptions.find(member);
  return it != input.subscriptions.end() && it->second.count(topic) > 0;
}

int32_t PartitionCountOf(const AssignmentInput& input, const std::string& topic) {
  auto it = input.partition_counts.find(topic);
  return it == input.partition_counts.end() ? 0 : std::max<int32_t>(it->second, 0);
}

// Every member of the input, with no partitions yet.
Assignment EmptyAssignment(const AssignmentInput& input) {
  Assignment out;
  for (const auto& [member, topics] : input.subscriptions) out[member];
  return out;
}

void SortAll(Assignment* assignment) {
  for (auto& [member, partitions] : *assignment) std::sort(partitions.begin(), partitions.end());
}

// Members that subscribe to at least one topic with partitions: the ones a
// balanced assignment shares the partitions between.
std::vector<std::string> EligibleMembers(const AssignmentInput& input) {
  std::vector<std::string> out;
  for (const auto& [member, topics] : input.subscriptions) {
    for (const std::string& topic : topics) {
      if (PartitionCountOf(input, topic) > 0) {
        out.push_back(member);
        break;
      }
    }
  }
  return out;
}

}  // namespace

std::vector<TopicPartition> AssignablePartitions(const AssignmentInput& input) {
  std::set<std::string> topics;
  for (const auto& [member, subscribed] : input.subscriptions) {
    topics.insert(subscribed.begin(), subscribed.end());
  }
  std::vector<TopicPartition> out;
  for (const std::string& topic : topics) {
    const int32_t count = PartitionCountOf(input, topic);
    for (int32_t p = 0; p < count; ++p) out.push_back(TopicPartition{topic, PartitionId(p)});
  }
  return out;  // ascending: topics from a set, partitions counted up
}

// Kafka's RoundRobinAssignor: partitions in order, dealt to members in
// order, skipping members that do not subscribe to the partition's topic.
Assignment AssignRoundRobin(const AssignmentInput& input) {
  Assignment out = EmptyAssignment(input);
  std::vector<std::string> members;
  for (const auto& [member, topics] : input.subscriptions) members.push_back(member);
  if (members.empty()) return out;
  size_t cursor = 0;
  for (const TopicPartition& tp : AssignablePartitions(input)) {
    for (size_t step = 0; step < members.size(); ++step) {
      const size_t i = (cursor + step) % members.size();
      if (!Subscribes(input, members[i], tp.topic)) continue;
      out[members[i]].push_back(tp);
      cursor = i + 1;
      break;
    }
  }
  SortAll(&out);
  return out;
}

// Kafka's RangeAssignor: per topic, contiguous ranges to the subscribed
// members in id order, the first (count % members) getting one more.
Assignment AssignRange(const AssignmentInput& input) {
  Assignment out = EmptyAssignment(input);
  std::map<std::string, std::vector<std::string>> by_topic;
  for (const auto& [member, topics] : input.subscriptions) {
    for (const std::string& topic : topics) by_topic[topic].push_back(member);
  }
  for (const auto& [topic, members] : by_topic) {
    const int32_t count = PartitionCountOf(input, topic);
    const int32_t n = static_cast<int32_t>(members.size());
    CHECK(n > 0);
    const int32_t per = count / n;
    const int32_t extra = count % n;
    int32_t next = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t take = per + (i < extra ? 1 : 0);
      for (int32_t k = 0; k < take; ++k) out[members[i]].push_back({topic, PartitionId(next++)});
    }
    CHECK(next == count);
  }
  SortAll(&out);
  return out;
}

// Sticky: every member keeps what it had, up to a balanced quota; what is
// left (new partitions, partitions of departed members, quota overflow) goes
// to the least-loaded subscribed member. Quotas: floor(P/M) each, and the
// (P % M) members that already hold the most get one more, so that as few
// partitions as possible move. With mixed subscriptions a partition whose
// subscribers are all at quota still goes to the least-loaded of them.
Assignment AssignSticky(const AssignmentInput& input) {
  Assignment out = EmptyAssignment(input);
  const std::vector<TopicPartition> partitions = AssignablePartitions(input);
  const std::vector<std::string> eligible = EligibleMembers(input);
  if (eligible.empty() || partitions.empty()) return out;
  const std::set<TopicPartition> assignable(partitions.begin(), partitions.end());

  std::set<TopicPartition> taken;
  for (const auto& [member, previous] : input.previous) {
    if (!out.count(member)) continue;  // departed
    for (const TopicPartition& tp : previous) {
      if (!assignable.count(tp) || !Subscribes(input, member, tp.topic)) continue;
      if (!taken.insert(tp).second) continue;  // defensive: never two keepers
      out[member].push_back(tp);
    }
  }

  std::vector<std::string> by_kept = eligible;
  std::stable_sort(by_kept.begin(), by_kept.end(), [&](const std::string& a, const std::string& b) {
    return out[a].size() > out[b].size();
  });
  const size_t floor = partitions.size() / eligible.size();
  const size_t extra = partitions.size() % eligible.size();
  std::map<std::string, size_t> quota;
  for (size_t i = 0; i < by_kept.size(); ++i) quota[by_kept[i]] = floor + (i < extra ? 1 : 0);

  for (auto& [member, kept] : out) {
    std::sort(kept.begin(), kept.end());
    const size_t limit = quota.count(member) ? quota[member] : 0;
    while (kept.size() > limit) {
      taken.erase(kept.back());
      kept.pop_back();
    }
  }

  for (const TopicPartition& tp : partitions) {
    if (taken.count(tp)) continue;
    const std::string* best = nullptr;
    bool best_under_quota = false;
    for (const std::string& member : eligible) {  // id order: ties go to the smaller id
      if (!Subscribes(input, member, tp.topic)) continue;
      const bool under = out[member].size() < quota[member];
      if (best == nullptr || (under && !best_under_quota) ||
          (under == best_under_quota && out[member].size() < out[*best].size())) {
        best = &member;
        best_under_quota = under;
      }
    }
    CHECK_MSG(best != nullptr, "an assignable partition has a subscriber");
    out[*best].push_back(tp);
    taken.insert(tp);
  }
  SortAll(&out);
  return out;
}

Assignment Assign(AssignorKind kind, const AssignmentInput& input) {
  Assignment out;
  switch (kind) {
    case AssignorKind::kRoundRobin:
      out = AssignRoundRobin(input);
      break;
    case AssignorKind::kRange:
      out = AssignRange(input);
      break;
    case AssignorKind::kSticky:
      out = AssignSticky(input);
      break;
  }
  CHECK_MSG(ValidateAssignment(input, out).empty(), "assignor broke its guarantees");
  return out;
}

std::string ValidateAssignment(const AssignmentInput& input, const Assignment& assignment) {
  if (assignment.size() != input.subscriptions.size()) {
    return "assignment has " + std::to_string(assignment.size()) + " members, input " +
           std::to_string(input.subscriptions.size());
  }
  const std::vector<TopicPartition> partitions = AssignablePartitions(input);
  const std::set<TopicPartition> assignable(partitions.begin(), partitions.end());
  std::set<TopicPartition> seen;
  for (const auto& [member, owned] : assignment) {
    if (!input.subscriptions.count(member)) return "unknown member " + member;
    for (const TopicPartition& tp : owned) {
      if (!assignable.count(tp)) return ToString(tp) + " is not assignable";
      if (!Subscribes(input, member, tp.topic)) {
        return ToString(tp) + " given to " + member + ", which does not subscribe to its topic";
      }
      if (!seen.insert(tp).second) return ToString(tp) + " has two owners";
    }
  }
  if (seen.size() != assignable.size()) {
    return std::to_string(assignable.size() - seen.size()) + " partitions left unassigned";
  }
  return "";
}

}  // namespace gafka
