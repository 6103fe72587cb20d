#include "runtime-sim/node_clock.h"

#include <utility>

#include "core/base/check.h"

namespace gafka::sim {

NodeClock::NodeClock(SimClock& clock) : clock_(clock) {}

NodeClock::~NodeClock() { CancelAll(); }

TimerId NodeClock::After(Millis delay_ms, Task fn) {
  CHECK_MSG(fn != nullptr, "NodeClock::After needs a task");
  const TimerId id = next_id_++;
  // The SimClock event captures only (this, id): the task itself stays here,
  // so CancelAll() frees it without running it.
  const TimerId underlying = clock_.After(delay_ms, [this, id] { Fire(id); });
  const bool inserted = timers_.emplace(id, Timer{underlying, std::move(fn)}).second;
  CHECK(inserted);
  return id;
}

void NodeClock::Cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;  // fired, cancelled, or from an earlier incarnation
  if (it->second.underlying != kNoTimer) clock_.Cancel(it->second.underlying);
  timers_.erase(it);  // a held id left in held_ is skipped by Resume()
}

void NodeClock::Fire(TimerId id) {
  auto it = timers_.find(id);
  CHECK_MSG(it != timers_.end(), "a cancelled node timer fired");
  if (paused_) {
    // Came due while stopped: it runs at Resume() unless cancelled first.
    it->second.underlying = kNoTimer;
    held_.push_back(id);
    return;
  }
  Task task = std::move(it->second.task);
  timers_.erase(it);
  task();
}

void NodeClock::CancelAll() {
  for (auto& [id, timer] : timers_) {
    if (timer.underlying != kNoTimer) clock_.Cancel(timer.underlying);
  }
  timers_.clear();
  held_.clear();
  ++incarnation_;
  CHECK(timers_.empty() && held_.empty());
}

void NodeClock::Deliver(uint64_t incarnation, Task task) {
  CHECK(incarnation <= incarnation_);
  if (incarnation != incarnation_) return;  // the node crashed since
  if (paused_) {
    const TimerId id = next_id_++;
    timers_.emplace(id, Timer{kNoTimer, std::move(task)});
    held_.push_back(id);
    return;
  }
  task();
}

void NodeClock::Pause() { paused_ = true; }

void NodeClock::Resume() {
  if (!paused_) return;
  paused_ = false;
  // Held timers keep their ids (so Cancel still works) and run as zero-delay
  // events in the order they came due.
  std::deque<TimerId> held;
  held.swap(held_);
  for (TimerId id : held) {
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cancelled while held
    CHECK(it->second.underlying == kNoTimer);
    it->second.underlying = clock_.After(0, [this, id] { Fire(id); });
  }
  CHECK(held_.empty());
}

}  // namespace gafka::sim
