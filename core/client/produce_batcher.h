// ProduceBatcher: groups produce messages into batches for one topic, the way
// a Kafka producer's accumulator does. A batch is flushed when it holds
// max_messages, or when linger_ms have passed on the Clock since its first
// message, or on an explicit Flush(). Used by gafka-producer (on the real
// EventLoop) and by the simulator's clients (on the SimClock): it is core
// code, deterministic for a given Clock.
//
// Ownership and threads: owned by one client; every call comes from the loop
// that drives `clock`, and the flush callback runs on that loop too — from
// inside Add() when the batch fills, from inside Flush(), or from the linger
// timer.
//
// Invariants
// - batches are flushed in the order their messages were added, and messages
//   keep their order inside and across batches;
// - a flushed batch holds 1..max_messages messages;
// - at most one linger timer is armed, and only while the open batch is not
//   empty;
// - outstanding() = messages in the open batch + messages flushed and not
//   yet Release()d <= max_outstanding_messages; Add() refuses beyond it, so
//   a slow broker pushes back on the reader instead of growing memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/env/env.h"
#include "core/protocol/messages.h"

namespace gafka {

struct ProduceBatcherConfig {
  size_t max_messages = 100;                // flush when a batch reaches this many
  Millis linger_ms = 10;                    // or this long after its first message
  size_t max_outstanding_messages = 10000;  // open + flushed-but-unreleased, at most
};

struct ProduceBatch {
  uint64_t sequence = 0;  // 0, 1, 2, ... in flush order
  std::vector<ProduceMessage> messages;
};

class ProduceBatcher {
 public:
  using FlushFn = std::function<void(ProduceBatch batch)>;

  // `flush` receives every batch; the caller sends it and, once it is answered
  // (acked or failed), calls Release(batch size) to free room.
  ProduceBatcher(Clock& clock, ProduceBatcherConfig config, FlushFn flush);
  ~ProduceBatcher();  // cancels the linger timer; does not flush
  ProduceBatcher(const ProduceBatcher&) = delete;
  ProduceBatcher& operator=(const ProduceBatcher&) = delete;

  // Queues one message. kUnavailable when outstanding() is at its maximum
  // (nothing is queued then). May flush (batch full) before returning.
  Status Add(ProduceMessage message);

  // Flushes the open batch now, if it holds anything.
  void Flush();

  // Frees room for `messages` messages of flushed batches that were answered.
  void Release(size_t messages);

  size_t open_messages() const { return open_.size(); }
  size_t outstanding() const { return open_.size() + in_flight_; }
  uint64_t batches_flushed() const { return next_sequence_; }
  const ProduceBatcherConfig& config() const { return config_; }

 private:
  void OnLinger(uint64_t generation);

  Clock& clock_;
  const ProduceBatcherConfig config_;
  FlushFn flush_;
  std::vector<ProduceMessage> open_;
  size_t in_flight_ = 0;  // flushed, not yet released
  TimerId linger_timer_ = kNoTimer;
  uint64_t linger_generation_ = 0;  // bumped each time the timer is armed
  uint64_t next_sequence_ = 0;
};

}  // namespace gafka
