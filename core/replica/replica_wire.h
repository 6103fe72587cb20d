// The replication messages between brokers and their binary encoding
// (docs/replication.md, "Wire messages"). Byte 0 of every message is 32 (the
// simulator's MessageKind::kReplication), byte 1 the ReplicaMessageType.
// Records travel in their WAL encoding and are CRC-checked when decoded.
// Pure functions; a decoder never reads out of bounds, whatever the bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/log/record.h"
#include "core/protocol/messages.h"

namespace gafka {

inline constexpr uint8_t kReplicationKind = 32;

enum class ReplicaMessageType : uint8_t {
  kFetch = 1,
  kFetchReply = 2,
  kNotice = 3,
  kNoticeReply = 4,
};

struct FetchPartition {
  std::string topic;
  PartitionId partition;
  Offset fetch_offset;    // the follower's log end
  Offset durable_offset;  // the follower's durable end
  Epoch last_epoch{-1};   // epoch of its last record; -1: empty log
};

struct ReplicaFetch {
  uint64_t seq = 0;
  NodeId follower;
  Epoch epoch;  // highest leader epoch the follower has seen
  uint64_t metadata_hash = 0;
  Millis max_wait_ms = 0;
  uint32_t max_bytes = 1 << 20;
  std::vector<FetchPartition> partitions;
  uint64_t offsets_hash = 0;  // GroupOffsetsHash of the follower's durable group offsets
};

enum class FetchPartitionStatus : uint8_t {
  kOk = 0,
  kUnknown = 1,     // the leader has no such partition (yet)
  kDiverging = 2,   // truncate to min(diverging_end_offset, own end of diverging_epoch),
                    // then fetch again
  kFailed = 3,      // the leader's log refuses service
  kOutOfRange = 4,  // the fetch offset is below the leader's log start (retention
                    // deleted it): reset the log to log_start_offset
};

// One committed group offset, as replicated (the leader's durable values).
struct ReplicatedOffset {
  std::string group;
  std::string topic;
  PartitionId partition;
  Offset offset;
  Millis commit_timestamp_ms = 0;
  std::string metadata;

  bool operator==(const ReplicatedOffset&) const = default;
};

struct FetchPartitionReply {
  std::string topic;
  PartitionId partition;
  FetchPartitionStatus status = FetchPartitionStatus::kOk;
  Offset high_watermark;
  Offset log_start_offset;
  Offset log_end_offset;
  Offset diverging_end_offset{-1};
  // The leader's largest epoch <= the follower's last epoch, whose end is
  // diverging_end_offset (-1: none; KIP-320's OffsetsForLeaderEpoch answer).
  Epoch diverging_epoch{-1};
  bool in_sync = false;
  std::vector<Record> records;
};

struct ReplicaFetchReply {
  uint64_t seq = 0;
  NodeId leader;
  Epoch epoch;
  bool fenced = false;                           // the answering broker no longer leads
  std::string leader_address;                    // where the current leader is, if known
  std::optional<std::vector<TopicInfo>> topics;  // when the follower's hash differs
  std::vector<FetchPartitionReply> partitions;
  // Every durable committed group offset of the leader, when the follower's
  // offsets_hash differs (ascending by group, topic, partition).
  std::optional<std::vector<ReplicatedOffset>> group_offsets;
};

struct ReplicaNotice {
  uint64_t seq = 0;
  Epoch epoch;
  NodeId leader;
  std::string leader_address;
};

struct ReplicaNoticeReply {
  uint64_t seq = 0;
  Epoch epoch;
};

using ReplicaMessage =
    std::variant<ReplicaFetch, ReplicaFetchReply, ReplicaNotice, ReplicaNoticeReply>;

Bytes EncodeReplicaMessage(const ReplicaMessage& message);
// kCorruption for anything malformed (short, bad type, bad record CRC).
Result<ReplicaMessage> DecodeReplicaMessage(ByteView bytes);

// A stable hash of the topic list (names, partition counts, configs), so a
// follower learns of metadata changes without receiving the list each time.
uint64_t TopicsHash(const std::vector<TopicInfo>& topics);
// The same for a list of committed group offsets (0 for an empty list).
uint64_t GroupOffsetsHash(const std::vector<ReplicatedOffset>& offsets);

}  // namespace gafka
