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
  clock_.Cancel(it->second.underlying);
  timers_.erase(it);
}

void NodeClock::Fire(TimerId id) {
  auto it = timers_.find(id);
  CHECK_MSG(it != timers_.end(), "a cancelled node timer fired");
  Task task = std::move(it->second.task);
  timers_.erase(it);
  if (paused_) {
    held_.push_back(std::move(task));
    return;
  }
  task();
}

void NodeClock::CancelAll() {
  for (auto& [id, timer] : timers_) clock_.Cancel(timer.underlying);
  timers_.clear();
  held_.clear();
  ++incarnation_;
  CHECK(timers_.empty() && held_.empty());
}

void NodeClock::Deliver(uint64_t incarnation, Task task) {
  CHECK(incarnation <= incarnation_);
  if (incarnation != incarnation_) return;  // the node crashed since
  if (paused_) {
    held_.push_back(std::move(task));
    return;
  }
  task();
}

void NodeClock::Pause() { paused_ = true; }

void NodeClock::Resume() {
  if (!paused_) return;
  paused_ = false;
  // Each held task becomes a zero-delay timer of this incarnation, so a crash
  // before they run still cancels them, and they keep their order.
  std::deque<Task> held;
  held.swap(held_);
  for (Task& task : held) After(0, std::move(task));
  CHECK(held_.empty());
}

}  // namespace gafka::sim
