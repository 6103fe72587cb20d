// Fetcher: direct reads of a partition and long polling. Owned by the
// Broker; used only from the core loop.
//
// A read is served up to the partition's high watermark only. When nothing
// is readable at the requested offset and the request allows a wait, the
// request is parked as a waiter: it completes on the first durability
// advance that makes data readable (OnDurable), or empty when its Clock
// timer fires; whichever happens first cancels the other.
//
// Invariants
// - every parked waiter is in waiters_ and in its partition's waiter_ids(),
//   and has exactly one live timer; parked() <= max_waiters;
// - a waiter's `done` runs exactly once, after the waiter left both indexes
//   (so `done` may call back into the broker);
// - waiters are scanned in id (arrival) order: output never depends on
//   addresses or hashing.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "core/broker/metrics.h"
#include "core/broker/partition.h"
#include "core/env/env.h"
#include "core/protocol/messages.h"

namespace gafka {

class Fetcher {
 public:
  using Done = std::function<void(ApiResponse)>;

  Fetcher(Clock& clock, size_t max_waiters, BrokerMetrics& metrics);
  // Cancels every timer; waiters are dropped unanswered (broker death).
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Serves `request` on `partition` (topic and partition already resolved).
  void Fetch(Partition& partition, const FetchRequest& request, Done done);

  // After a durable callback of `partition`: completes the waiters that can
  // read now; on a failed sync, fails them all with 503.
  void OnDurable(Partition& partition, const Status& status);

  // Completes every waiter of `partition` with `error` (e.g. topic deleted).
  void FailAll(Partition& partition, const ApiError& error);

  // Completes every waiter with an empty result (shutdown).
  void CompleteAllEmpty();

  size_t parked() const { return waiters_.size(); }

 private:
  struct Waiter {
    Partition* partition = nullptr;
    FetchRequest request;
    Offset offset;  // resolved
    TimerId timer = kNoTimer;
    Done done;
  };

  // Where a read of `request` starts, or why it cannot.
  static Result<Offset> ResolveOffset(const Partition& partition, const FetchRequest& request);
  // Reads what is readable at `offset` (possibly nothing) into a response.
  ApiResponse Read(Partition& partition, const FetchRequest& request, Offset offset);
  static FetchResponse EmptyResponse(const Partition& partition, Offset offset);
  void Park(Partition& partition, const FetchRequest& request, Offset offset, Done done);
  void OnTimeout(uint64_t id);
  // Removes the waiter from both indexes, cancels its timer, then answers.
  void Complete(uint64_t id, ApiResponse response, bool cancel_timer = true);

  Clock& clock_;
  size_t max_waiters_;
  BrokerMetrics& metrics_;
  uint64_t next_waiter_id_ = 1;
  std::map<uint64_t, Waiter> waiters_;
};

}  // namespace gafka
