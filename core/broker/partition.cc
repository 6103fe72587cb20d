#include "core/broker/partition.h"

#include "core/base/check.h"

namespace gafka {

Partition::Partition(std::string topic, PartitionId id, std::string dir,
                     std::unique_ptr<PartitionLog> log, DurableListener listener)
    : topic_(std::move(topic)),
      id_(id),
      dir_(std::move(dir)),
      listener_(std::move(listener)),
      log_(std::move(log)) {
  CHECK(log_ != nullptr);
  CHECK(listener_ != nullptr);
  CHECK(id_.value() >= 0);
}

Partition::~Partition() {
  // Destroy the log while every other member is alive: should it complete
  // outstanding syncs from its destructor, the callbacks see closing_ and
  // touch nothing else.
  closing_ = true;
  log_.reset();
}

Status Partition::Serviceable() const {
  const Status& failed = log_->failed();
  if (failed.ok()) return Status::Ok();
  return Unavailable("partition " + topic_ + "-" + std::to_string(id_.value()) +
                     " refuses service: " + failed.ToString());
}

Result<AppendResult> Partition::Append(std::span<const RecordInput> records,
                                       std::function<void(Status)> durable) {
  CHECK(!closing_);
  CHECK_MSG(!records.empty(), "an append carries at least one record");
  const Offset end_before = log_->end_offset();
  auto on_durable = [this, durable = std::move(durable)](Status status) {
    if (closing_) return;
    CHECK_MSG(pending_syncs_ > 0, "a durable callback without a pending append");
    --pending_syncs_;
    if (durable) durable(status);
    listener_(*this, status);
  };
  auto appended = log_->Append(records, epoch_, std::move(on_durable));
  if (!appended.ok()) return appended.status();
  ++pending_syncs_;
  CHECK_MSG(appended->base_offset == end_before, "the log appends at its end");
  CHECK(log_->end_offset() == end_before + static_cast<int64_t>(records.size()));
  return appended;
}

Status Partition::AppendReplicated(std::span<const Record> records,
                                   std::function<void(Status)> durable) {
  CHECK(!closing_);
  CHECK_MSG(!records.empty(), "an append carries at least one record");
  auto on_durable = [this, durable = std::move(durable)](Status status) {
    if (closing_) return;
    CHECK_MSG(pending_syncs_ > 0, "a durable callback without a pending append");
    --pending_syncs_;
    if (durable) durable(status);
    listener_(*this, status);
  };
  GAFKA_RETURN_IF_ERROR(log_->AppendReplicated(records, std::move(on_durable)));
  ++pending_syncs_;
  return Status::Ok();
}

PartitionInfo Partition::Info(NodeId leader) const {
  PartitionInfo info;
  info.partition = id_;
  info.log_start_offset = log_->start_offset();
  info.log_end_offset = log_->end_offset();
  info.high_watermark = high_watermark();
  info.size_bytes = log_->size_bytes();
  info.status = log_->failed().ok() ? "ok" : log_->failed().ToString();
  info.leader = leader;
  info.leader_epoch = epoch_;
  CHECK(info.log_start_offset <= info.log_end_offset);
  CHECK(info.high_watermark <= info.log_end_offset);
  return info;
}

}  // namespace gafka
