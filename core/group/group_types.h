// Plain value types of the consumer-group coordinator (core/group): what it
// is configured with, what it asks the broker about topics, and what it
// answers. No behaviour beyond small helpers; see group_coordinator.h.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/log/partition_log.h"

namespace gafka {

// One partition of one topic. Ordered by (topic, partition) everywhere, so
// every listing and every assignment is deterministic.
struct TopicPartition {
  std::string topic;
  PartitionId partition;

  auto operator<=>(const TopicPartition&) const = default;
  bool operator==(const TopicPartition&) const = default;
};

std::string ToString(const TopicPartition& tp);  // "topic/3"

enum class AssignorKind { kRoundRobin, kRange, kSticky };
const char* AssignorName(AssignorKind kind);  // "round-robin", "range", "sticky"
std::optional<AssignorKind> ParseAssignor(std::string_view name);

struct GroupConfig {
  // Directory on the Disk that holds the committed-offsets log (the broker
  // passes "<data_dir>/__consumer_offsets").
  std::string offsets_dir = "__consumer_offsets";
  // Advisory: returned to members, which should heartbeat this often.
  Millis heartbeat_interval_ms = 3'000;
  // A member's session when it joins without asking for one (also implicit
  // joins by a first poll), and the bounds a join may ask for.
  Millis session_timeout_ms = 10'000;
  Millis session_timeout_ms_min = 1'000;
  Millis session_timeout_ms_max = 300'000;
  AssignorKind assignor = AssignorKind::kRoundRobin;
  size_t max_members_per_group = 1'000;
  size_t max_topics_per_member = 100;
  size_t max_metadata_bytes = 4'096;   // per committed offset
  size_t max_commit_entries = 10'000;  // per commit / reset request
  // Compaction of the offsets log (offset_store.h): rewrite a snapshot once
  // the log holds at least `compact_min_records` records and more than
  // `compact_garbage_factor` times the number of live keys.
  int64_t compact_min_records = 100'000;
  int64_t compact_garbage_factor = 4;
  // Segments of the offsets log; retention is always off for it.
  uint64_t log_segment_bytes = 8ull << 20;
};

// The coordinator's read-only view of the broker's topics and logs. The
// Broker implements it; tests use a fake. Called only from the core loop,
// never re-entrantly into the coordinator.
class TopicView {
 public:
  virtual ~TopicView() = default;
  // Partitions of `topic`; 0 when the topic does not exist.
  virtual int32_t PartitionCount(const std::string& topic) = 0;
  // The first offset still stored (earliest).
  virtual Result<Offset> LogStartOffset(const TopicPartition& tp) = 0;
  // The end consumers may read to — the high watermark (latest). Commits may
  // not pass it; lag is measured to it.
  virtual Result<Offset> LogEndOffset(const TopicPartition& tp) = 0;
  // The first offset whose record timestamp >= timestamp_ms (the log end if
  // none), for resets to a timestamp.
  virtual Result<Offset> OffsetForTimestamp(const TopicPartition& tp, Millis timestamp_ms) = 0;
};

enum class GroupState { kEmpty, kRebalancing, kStable };
// "empty", "rebalancing", "stable". Rebalancing: the generation changed and
// some member has not talked to the coordinator since (it has not seen its
// new assignment yet); assignments themselves are computed at once.
const char* GroupStateName(GroupState state);

// One topic's partitions of a member, for responses.
struct TopicAssignment {
  std::string topic;
  std::vector<PartitionId> partitions;  // ascending
};

// What every answer to a member says about it.
struct MemberView {
  std::string group_id;
  std::string consumer_id;
  Generation generation;  // the group's current generation
  GroupState state = GroupState::kStable;
  std::vector<std::string> topics;         // subscription, ascending
  std::vector<TopicPartition> assignment;  // ascending
  Millis session_timeout_ms = 0;
  Millis session_expires_in_ms = 0;  // from now
  Millis heartbeat_interval_ms = 0;
  bool joined = false;  // this call added the member
};

// Groups a member's assignment by topic (input ascending).
std::vector<TopicAssignment> GroupByTopic(const std::vector<TopicPartition>& assignment);

struct CommittedOffset {
  Offset offset;
  Millis commit_timestamp_ms = 0;  // wall clock of the commit
  std::string metadata;

  bool operator==(const CommittedOffset&) const = default;
};

}  // namespace gafka
