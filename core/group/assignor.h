// Partition assignors: pure functions from (members and their subscribed
// topics, partition counts, the previous assignment) to a new assignment.
// Called by the GroupCoordinator on every rebalance; no state, no Env.
//
// Every assignor guarantees, for any input:
// - disjoint: a partition is assigned to at most one member;
// - complete: every partition of a topic that at least one member subscribes
//   to (and whose partition count is > 0) is assigned, and only to a member
//   subscribed to its topic;
// - deterministic: the result depends only on the input (members and topics
//   are ordered maps; ties break by member id).
// With identical subscriptions the result is balanced (partition counts per
// member differ by at most one) for round-robin and sticky; range balances
// per topic, as Kafka's does.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/group/group_types.h"

namespace gafka {

// member id -> its partitions, ascending. Every member of the input is a key
// (possibly with no partitions).
using Assignment = std::map<std::string, std::vector<TopicPartition>>;

struct AssignmentInput {
  std::map<std::string, std::set<std::string>> subscriptions;  // member -> topics
  std::map<std::string, int32_t> partition_counts;             // topic -> count (missing = 0)
  Assignment previous;                                         // sticky only
};

Assignment Assign(AssignorKind kind, const AssignmentInput& input);

Assignment AssignRoundRobin(const AssignmentInput& input);
Assignment AssignRange(const AssignmentInput& input);
Assignment AssignSticky(const AssignmentInput& input);

// Every partition the input asks to assign, ascending.
std::vector<TopicPartition> AssignablePartitions(const AssignmentInput& input);

// Checks the guarantees above; returns an empty string when they hold, else
// what is wrong (for CHECKs and tests).
std::string ValidateAssignment(const AssignmentInput& input, const Assignment& assignment);

}  // namespace gafka
