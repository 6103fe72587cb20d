// Request and response structs of the client API (SPEC §6), as plain data.
// Decoded from HTTP/JSON by codec.h, executed by Broker::Execute, encoded
// back by codec.h. The simulator builds these structs directly or through
// the codec.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/log/record.h"

namespace gafka {

// ---- Errors ----------------------------------------------------------------

// The JSON error envelope of HTTP proxies for Kafka:
// {"error_code": <http_status*100 + n>, "message": "..."}.
struct ApiError {
  int http_status = 500;
  int error_code = 50001;
  std::string message;
  std::string leader_hint;  // host:port of the leader on "not the leader"
};

// ---- Produce ---------------------------------------------------------------

enum class Acks { kNone = 0, kLeader = 1, kAll = -1 };

struct ProduceMessage {
  std::optional<std::string> key;
  std::string value;  // raw bytes (base64 already decoded)
  std::vector<RecordHeader> headers;
  std::optional<PartitionId> partition;  // explicit partition wins over the key
  std::optional<Millis> timestamp_ms;    // else the broker's wall clock
};

struct ProduceRequest {
  std::string topic;
  std::vector<ProduceMessage> messages;  // one for the single form
  Acks acks = Acks::kLeader;
  bool batch_form = false;               // {"messages":[...]} vs single message
};

struct ProduceResult {  // one per message, in request order
  PartitionId partition;
  Offset offset;
  Millis timestamp_ms = 0;
  std::optional<ApiError> error;  // set when this message failed
};

struct ProduceResponse {
  std::string topic;
  std::vector<ProduceResult> results;
  bool batch_form = false;
};

// ---- Fetch (direct) and group poll ----------------------------------------

enum class OffsetSpec { kExplicit, kEarliest, kLatest };

struct FetchRequest {
  std::string topic;
  PartitionId partition;
  OffsetSpec offset_spec = OffsetSpec::kExplicit;
  Offset offset;              // when kExplicit
  int32_t max_count = 100;    // 1..10000
  int64_t max_bytes = 1 << 20;
  Millis timeout_ms = 0;      // long-poll wait, 0..30000
};

struct GroupPollRequest {
  std::string topic;
  std::string group_id;
  std::string consumer_id;
  int32_t max_count = 100;
  int64_t max_bytes = 1 << 20;
  Millis timeout_ms = 0;
  OffsetSpec auto_offset_reset = OffsetSpec::kLatest;  // where a group with no commit starts
  bool auto_commit = false;
};

struct ConsumedRecord {
  std::string topic;
  PartitionId partition;
  Record record;
};

struct FetchResponse {
  std::vector<ConsumedRecord> records;
  // Direct fetch: the partition's positions after the read.
  std::string topic;
  PartitionId partition;
  Offset next_offset;
  Offset high_watermark;
  Offset log_start_offset;
  // Group poll: membership facts every group response carries.
  std::optional<Generation> generation;
  std::optional<Millis> session_expires_in_ms;
  std::vector<PartitionId> assigned;
};

// ---- Topics and offsets ----------------------------------------------------

struct TopicConfig {
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;  // -1: forever
  int64_t retention_bytes = -1;                   // per partition; -1: unlimited
  int64_t segment_bytes = 64ll << 20;
  int64_t max_message_bytes = 1 << 20;
};

// The TopicConfig keys a create-topic request set explicitly. The broker
// applies them over its own defaults (BrokerConfig::default_topic_config).
struct TopicConfigOverrides {
  std::optional<int64_t> retention_ms;
  std::optional<int64_t> retention_bytes;
  std::optional<int64_t> segment_bytes;
  std::optional<int64_t> max_message_bytes;

  TopicConfig ApplyTo(TopicConfig base) const {
    if (retention_ms) base.retention_ms = *retention_ms;
    if (retention_bytes) base.retention_bytes = *retention_bytes;
    if (segment_bytes) base.segment_bytes = *segment_bytes;
    if (max_message_bytes) base.max_message_bytes = *max_message_bytes;
    return base;
  }
};

struct CreateTopicRequest {
  std::string name;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  TopicConfig config;              // overrides applied to TopicConfig{} (the codec fills both)
  TopicConfigOverrides overrides;  // what the request set; prefer overrides.ApplyTo(defaults)
};
struct DeleteTopicRequest { std::string name; };
struct ListTopicsRequest {};
struct DescribeTopicRequest { std::string name; };
struct PartitionOffsetsRequest { std::string topic; PartitionId partition; };

struct PartitionInfo {
  PartitionId partition;
  Offset log_start_offset;   // earliest
  Offset log_end_offset;     // latest (next offset to be written)
  Offset high_watermark;     // readers see offsets < this
  uint64_t size_bytes = 0;
  std::string status = "ok"; // "ok" or why the partition refuses service
  NodeId leader;
  Epoch leader_epoch;
};

struct TopicInfo {
  std::string name;
  int32_t partitions = 0;
  int32_t replication_factor = 1;
  TopicConfig config;
  std::vector<PartitionInfo> partition_info;  // filled by describe
};

struct TopicResponse { TopicInfo topic; bool created = false; };
struct TopicListResponse { std::vector<TopicInfo> topics; };
struct PartitionOffsetsResponse { std::string topic; PartitionInfo info; };
struct DeletedResponse { std::string what; };

// ---- Broker status, health, metrics ---------------------------------------

struct HealthRequest {};
struct StatusRequest {};
struct MetricsRequest {};

struct HealthResponse { bool ok = true; std::string detail; };
struct StatusResponse {
  NodeId broker_id;
  std::string role;            // "leader" or "follower"
  Millis uptime_ms = 0;
  std::vector<TopicInfo> topics;  // with partition_info
  std::string json_extra;      // replication status etc., already JSON (object) or empty
};
struct MetricsResponse { std::string text; };  // Prometheus exposition format

// ---- Consumer groups (core/group) -----------------------------------------

struct JoinGroupRequest { std::string group_id, consumer_id, topic; std::optional<Millis> session_timeout_ms; };  // nullopt: the broker's default
struct LeaveGroupRequest { std::string group_id, consumer_id; };
struct HeartbeatRequest { std::string group_id, consumer_id; };
struct CommitOffsetsRequest {
  std::string group_id, consumer_id;
  std::optional<Generation> generation;
  struct Entry { std::string topic; PartitionId partition; Offset offset; };
  std::vector<Entry> offsets;
};
struct FetchOffsetsRequest { std::string group_id; };
struct GroupStatusRequest { std::string group_id; };
struct ListGroupsRequest {};
// to == kExplicit carries exactly one of `offset` (reset to it) and
// `timestamp_ms` (reset to the first offset whose timestamp >= it).
struct ResetOffsetsRequest {
  std::string group_id, topic;
  OffsetSpec to = OffsetSpec::kEarliest;
  std::optional<Offset> offset;
  std::optional<Millis> timestamp_ms;
  bool force = false;
};

// Group responses are JSON built by core/group (its structs are its own).
struct GroupResponse { int http_status = 200; std::string json; };

// ---- The unions the HTTP layer and the simulator move around ---------------

using ApiRequest =
    std::variant<ProduceRequest, FetchRequest, GroupPollRequest, CreateTopicRequest,
                 DeleteTopicRequest, ListTopicsRequest, DescribeTopicRequest,
                 PartitionOffsetsRequest, HealthRequest, StatusRequest, MetricsRequest,
                 JoinGroupRequest, LeaveGroupRequest, HeartbeatRequest, CommitOffsetsRequest,
                 FetchOffsetsRequest, GroupStatusRequest, ListGroupsRequest, ResetOffsetsRequest>;

using ApiResponse =
    std::variant<ApiError, ProduceResponse, FetchResponse, TopicResponse, TopicListResponse,
                 PartitionOffsetsResponse, DeletedResponse, HealthResponse, StatusResponse,
                 MetricsResponse, GroupResponse>;

}  // namespace gafka
