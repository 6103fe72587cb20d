// Producer: the produce path — routing, per-message validation, one log
// append per touched partition, and the acks wait. Owned by the Broker; used
// only from the core loop.
//
// A request may span partitions: its messages are grouped by partition (in
// request order within each group), each group is one PartitionLog::Append,
// and the per-message results come back in request order. With acks=0 the
// answer goes out right after the appends; with acks=1 and acks=all (no
// replication yet: the in-sync set is this broker, so all == 1) once every
// touched partition's durable callback ran. A failed sync turns its
// messages' results into 503 errors: never an ack for data that may be lost.
//
// Invariants
// - every request is answered exactly once; a pending request is answered
//   when its last touched partition reported durability;
// - results[i] describes messages[i].
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "core/broker/metrics.h"
#include "core/broker/topic_manager.h"
#include "core/protocol/messages.h"

namespace gafka {

// Where each message of a request goes, or why it cannot be appended.
struct ProducePlan {
  std::vector<PartitionId> partition_of;          // per message (meaningless when errored)
  std::vector<std::optional<ApiError>> errors;    // per message
  std::map<int32_t, std::vector<size_t>> groups;  // partition -> message indices, request order
};

// Pure routing and validation: explicit partition (must exist), else the key
// (Kafka's murmur2 partitioner), else round-robin through *round_robin.
// A value over the topic's max_message_bytes is a per-message 413.
ProducePlan PlanProduce(const ProduceRequest& request, const TopicInfo& topic,
                        uint64_t* round_robin);

class Producer {
 public:
  using Done = std::function<void(ApiResponse)>;

  explicit Producer(BrokerMetrics& metrics);
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Appends `request` to `topic` (already resolved) and answers per its acks.
  void Produce(Topic& topic, ProduceRequest request, Done done);

  // Requests waiting for durability.
  size_t in_flight() const { return pending_.size(); }

  // Replication (core/replica): acks=all waits, after the local durable
  // callback, until `wait(partition, end_offset, done)` calls done. Unset:
  // acks=all == acks=1.
  using CommitWait =
      std::function<void(Partition&, Offset end_offset, std::function<void(Status)> done)>;
  void set_commit_wait(CommitWait wait) { commit_wait_ = std::move(wait); }

 private:
  struct Pending {
    ProduceResponse response;
    size_t partitions_left = 0;
    Done done;
  };

  // Appends one partition's group; fills the group's results or errors.
  // Returns whether a durable callback is now pending for it.
  // Moves the group's keys and values out of *request.
  bool AppendGroup(Partition& partition, ProduceRequest* request,
                   const std::vector<size_t>& indices, ProduceResponse* response,
                   std::function<void(Status)> durable);
  void OnGroupDurable(uint64_t id, const std::vector<size_t>& indices, const Status& status);
  static void Answer(ProduceResponse response, const Done& done);

  BrokerMetrics& metrics_;
  CommitWait commit_wait_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Pending> pending_;
};

}  // namespace gafka
