#include "core/broker/fetcher.h"

#include <utility>
#include <vector>

#include "core/base/check.h"
#include "core/broker/broker_errors.h"
#include "core/protocol/errors.h"

namespace gafka {

Fetcher::Fetcher(Clock& clock, size_t max_waiters, BrokerMetrics& metrics)
    : clock_(clock), max_waiters_(max_waiters), metrics_(metrics) {}

Fetcher::~Fetcher() {
  for (auto& [id, waiter] : waiters_) {
    clock_.Cancel(waiter.timer);
    waiter.partition->waiter_ids().erase(id);
  }
}

Result<Offset> Fetcher::ResolveOffset(const Partition& partition, const FetchRequest& request) {
  const Offset start = partition.log().start_offset();
  const Offset end = partition.log().end_offset();
  switch (request.offset_spec) {
    case OffsetSpec::kEarliest:
      return start;
    case OffsetSpec::kLatest:
      return partition.high_watermark();  // the next offset a reader can see
    case OffsetSpec::kExplicit:
      break;
  }
  if (request.offset < start || request.offset > end) {
    return OutOfRange("offset " + std::to_string(request.offset.value()) + " is out of range for " +
                      partition.topic() + "-" + std::to_string(partition.id().value()) +
                      ": valid offsets are [" + std::to_string(start.value()) + ", " +
                      std::to_string(end.value()) + "]");
  }
  return request.offset;
}

FetchResponse Fetcher::EmptyResponse(const Partition& partition, Offset offset) {
  FetchResponse response;
  response.topic = partition.topic();
  response.partition = partition.id();
  response.next_offset = offset;
  response.high_watermark = partition.high_watermark();
  response.log_start_offset = partition.log().start_offset();
  return response;
}

ApiResponse Fetcher::Read(Partition& partition, const FetchRequest& request, Offset offset) {
  CHECK(request.max_count > 0 && request.max_bytes > 0);
  const Offset high_watermark = partition.high_watermark();
  if (offset >= high_watermark) return EmptyResponse(partition, offset);
  auto read = partition.log().Read(offset, static_cast<size_t>(request.max_count),
                                   static_cast<size_t>(request.max_bytes), high_watermark);
  if (!read.ok()) {
    Status serviceable = partition.Serviceable();
    if (!serviceable.ok()) return broker_error::PartitionUnavailable(serviceable);
    return broker_error::FromStatus(read.status());
  }
  FetchResponse response = EmptyResponse(partition, read->next_offset);
  CHECK_MSG(read->records.size() <= static_cast<size_t>(request.max_count), "count budget");
  CHECK_MSG(read->next_offset <= high_watermark, "readers stop at the high watermark");
  response.records.reserve(read->records.size());
  for (Record& record : read->records) {
    response.records.push_back(
        ConsumedRecord{partition.topic(), partition.id(), std::move(record)});
  }
  metrics_.fetch_records += response.records.size();
  return response;
}

void Fetcher::Fetch(Partition& partition, const FetchRequest& request, Done done) {
  CHECK(done != nullptr);
  if (request.max_count < 1 || request.max_bytes < 1 || request.timeout_ms < 0) {
    done(broker_error::FromStatus(
        InvalidArgument("max_count and max_bytes must be positive, timeout_ms not negative",
                        api_errors::kBadCount % 100)));
    return;
  }
  Status serviceable = partition.Serviceable();
  if (!serviceable.ok()) {
    done(broker_error::PartitionUnavailable(serviceable));
    return;
  }
  auto offset = ResolveOffset(partition, request);
  if (!offset.ok()) {
    done(broker_error::FromStatus(offset.status()));
    return;
  }
  if (*offset < partition.high_watermark() || request.timeout_ms == 0) {
    done(Read(partition, request, *offset));
    return;
  }
  if (waiters_.size() >= max_waiters_) {
    done(broker_error::TooManyWaiters(max_waiters_));
    return;
  }
  Park(partition, request, *offset, std::move(done));
}

void Fetcher::Park(Partition& partition, const FetchRequest& request, Offset offset, Done done) {
  CHECK(waiters_.size() < max_waiters_);
  CHECK(request.timeout_ms > 0);
  const uint64_t id = next_waiter_id_++;
  Waiter waiter;
  waiter.partition = &partition;
  waiter.request = request;
  waiter.offset = offset;
  waiter.done = std::move(done);
  waiter.timer = clock_.After(request.timeout_ms, [this, id] { OnTimeout(id); });
  CHECK(waiter.timer != kNoTimer);
  waiters_.emplace(id, std::move(waiter));
  partition.waiter_ids().insert(id);
}

void Fetcher::OnTimeout(uint64_t id) {
  auto it = waiters_.find(id);
  CHECK_MSG(it != waiters_.end(), "an answered waiter's timer is cancelled");
  const Waiter& waiter = it->second;
  // Nothing became readable (OnDurable would have answered): the empty result.
  ApiResponse response = EmptyResponse(*waiter.partition, waiter.offset);
  Complete(id, std::move(response), /*cancel_timer=*/false);
}

void Fetcher::OnDurable(Partition& partition, const Status& status) {
  if (partition.waiter_ids().empty()) return;
  Status serviceable = status.ok() ? partition.Serviceable() : Unavailable(status.message());
  if (!serviceable.ok()) {
    FailAll(partition, broker_error::PartitionUnavailable(serviceable));
    return;
  }
  // A copy: completing a waiter runs its `done`, which may park new ones.
  const std::vector<uint64_t> ids(partition.waiter_ids().begin(), partition.waiter_ids().end());
  for (uint64_t id : ids) {
    auto it = waiters_.find(id);
    if (it == waiters_.end()) continue;
    CHECK(it->second.partition == &partition);
    if (it->second.offset >= partition.high_watermark()) continue;
    Complete(id, Read(partition, it->second.request, it->second.offset));
  }
}

void Fetcher::FailAll(Partition& partition, const ApiError& error) {
  const std::vector<uint64_t> ids(partition.waiter_ids().begin(), partition.waiter_ids().end());
  for (uint64_t id : ids) {
    if (waiters_.count(id) != 0) Complete(id, error);
  }
  CHECK(partition.waiter_ids().empty());
}

void Fetcher::CompleteAllEmpty() {
  // Bounded: answered waiters are gone, and `done` cannot park new ones on a
  // broker that is shutting down (it answers 503 first).
  size_t budget = waiters_.size();
  while (!waiters_.empty() && budget-- > 0) {
    auto it = waiters_.begin();
    Complete(it->first, EmptyResponse(*it->second.partition, it->second.offset));
  }
  CHECK(waiters_.empty());
}

void Fetcher::Complete(uint64_t id, ApiResponse response, bool cancel_timer) {
  auto it = waiters_.find(id);
  CHECK_MSG(it != waiters_.end(), "completing an unknown waiter");
  Waiter waiter = std::move(it->second);
  waiters_.erase(it);
  const size_t erased = waiter.partition->waiter_ids().erase(id);
  CHECK_MSG(erased == 1, "a waiter is indexed under its partition");
  if (cancel_timer) clock_.Cancel(waiter.timer);
  waiter.done(std::move(response));
}

}  // namespace gafka
