// Partition: one topic partition on this broker — its PartitionLog plus the
// bookkeeping the broker needs around it. Owned by its Topic (or, after the
// topic was deleted, by TopicManager until its last sync completed); used
// only from the core loop.
//
// Invariants
// - pending_syncs() counts Append() calls whose durable callback has not run
//   yet; the object is destroyed only when it is zero (or at broker death).
// - high_watermark() == log().durable_offset(): with no replication, a record
//   is committed once it is durable here, and readers never see past it
//   (a crash could lose anything beyond). With replication (core/replica) the
//   HW is further capped by what the in-sync replicas hold durably
//   (set_high_watermark_cap); it is never above the durable offset.
// - after the broker's listener ran for a durable event, no waiter parked on
//   this partition can read data (the listener wakes them).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "core/base/status.h"
#include "core/log/partition_log.h"
#include "core/protocol/messages.h"

namespace gafka {

class Partition {
 public:
  // Called after every durable callback of this partition's appends, once the
  // caller's own callback ran: wakes long polls, finishes deletes/shutdown.
  using DurableListener = std::function<void(Partition&, const Status&)>;

  Partition(std::string topic, PartitionId id, std::string dir, std::unique_ptr<PartitionLog> log,
            DurableListener listener);
  ~Partition();
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  const std::string& topic() const { return topic_; }
  PartitionId id() const { return id_; }
  const std::string& dir() const { return dir_; }
  PartitionLog& log() { return *log_; }
  const PartitionLog& log() const { return *log_; }

  // Ok, or kUnavailable with the log's reason (file and offset) when it
  // refuses service.
  Status Serviceable() const;

  // PartitionLog::Append, counted in pending_syncs(). `durable` runs before
  // the listener.
  Result<AppendResult> Append(std::span<const RecordInput> records,
                              std::function<void(Status)> durable);

  // PartitionLog::AppendReplicated (a follower copying its leader), counted
  // like Append.
  Status AppendReplicated(std::span<const Record> records, std::function<void(Status)> durable);

  Offset high_watermark() const {
    const Offset durable = log_->durable_offset();
    return hw_cap_.has_value() && *hw_cap_ < durable ? *hw_cap_ : durable;
  }
  // Replication: the committed offset as the replica logic knows it.
  void set_high_watermark_cap(Offset cap) { hw_cap_ = cap; }
  // The leader epoch stamped on appended records.
  void set_epoch(Epoch epoch) { epoch_ = epoch; }
  Epoch epoch() const { return epoch_; }
  size_t pending_syncs() const { return pending_syncs_; }

  // The describe/offsets view of this partition.
  PartitionInfo Info(NodeId leader) const;

  // Ids of long polls parked on this partition, in arrival order (owned by
  // the Fetcher, stored here so lookup by partition is cheap).
  std::set<uint64_t>& waiter_ids() { return waiter_ids_; }
  const std::set<uint64_t>& waiter_ids() const { return waiter_ids_; }

 private:
  std::string topic_;
  PartitionId id_;
  std::string dir_;
  DurableListener listener_;
  size_t pending_syncs_ = 0;
  bool closing_ = false;  // set by the destructor: late callbacks are ignored
  std::optional<Offset> hw_cap_;  // replication's committed offset; none: single broker
  Epoch epoch_{0};
  std::set<uint64_t> waiter_ids_;
  std::unique_ptr<PartitionLog> log_;
};

}  // namespace gafka
