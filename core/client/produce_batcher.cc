#include "core/client/produce_batcher.h"

#include <string>
#include <utility>

namespace gafka {

ProduceBatcher::ProduceBatcher(Clock& clock, ProduceBatcherConfig config, FlushFn flush)
    : clock_(clock), config_(config), flush_(std::move(flush)) {
  CHECK_MSG(config_.max_messages >= 1, "a batch holds at least one message");
  CHECK_MSG(config_.linger_ms >= 0, "linger_ms must not be negative");
  CHECK_MSG(config_.max_outstanding_messages >= config_.max_messages,
            "max_outstanding_messages must hold at least one full batch");
  CHECK(flush_ != nullptr);
  open_.reserve(config_.max_messages);
}

ProduceBatcher::~ProduceBatcher() {
  if (linger_timer_ != kNoTimer) clock_.Cancel(linger_timer_);
}

Status ProduceBatcher::Add(ProduceMessage message) {
  if (outstanding() >= config_.max_outstanding_messages) {
    return Unavailable("producer buffer full: " + std::to_string(outstanding()) +
                       " messages outstanding");
  }
  open_.push_back(std::move(message));
  if (open_.size() >= config_.max_messages) {
    Flush();
  } else if (open_.size() == 1) {
    // The linger clock starts with the batch's first message. Flush cancels
    // the timer; the generation check also ignores a timer that a Clock
    // fires after all (belt and braces: Cancel is documented to win).
    CHECK(linger_timer_ == kNoTimer);
    const uint64_t generation = ++linger_generation_;
    linger_timer_ = clock_.After(config_.linger_ms, [this, generation] { OnLinger(generation); });
    CHECK(linger_timer_ != kNoTimer);
  }
  CHECK(open_.size() < config_.max_messages);
  return Status::Ok();
}

void ProduceBatcher::OnLinger(uint64_t generation) {
  if (generation != linger_generation_ || linger_timer_ == kNoTimer) return;  // stale
  linger_timer_ = kNoTimer;
  Flush();
}

void ProduceBatcher::Flush() {
  if (linger_timer_ != kNoTimer) {
    clock_.Cancel(linger_timer_);
    linger_timer_ = kNoTimer;
  }
  if (open_.empty()) return;
  CHECK(open_.size() <= config_.max_messages);
  ProduceBatch batch;
  batch.sequence = next_sequence_++;
  batch.messages = std::move(open_);
  open_.clear();
  open_.reserve(config_.max_messages);
  in_flight_ += batch.messages.size();
  flush_(std::move(batch));
}

void ProduceBatcher::Release(size_t messages) {
  CHECK_MSG(messages <= in_flight_, "Release() of more messages than were flushed");
  in_flight_ -= messages;
}

}  // namespace gafka
