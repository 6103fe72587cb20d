// NodeClock: one simulated node's view of the SimClock. It remembers every
// timer the node's core objects set, so that a crash can cancel them all at
// once: after a crash nothing may call back into destroyed broker objects.
//
// It is also the node's "CPU": Pause() holds every timer that comes due (and
// every completion delivered through Deliver()) until Resume(), like a
// SIGSTOPped process; and it carries the node's own wall-clock skew, so one
// node's record timestamps can jump without moving anyone else's.
//
// Completions that arrive from outside the node (SimDisk sync callbacks) go
// through Deliver(incarnation, task): they are dropped if the node crashed
// since the work was requested (the incarnation changed).
//
// Owned by its SimNode (outlives every incarnation of the node's broker);
// single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <map>

#include "core/env/env.h"
#include "runtime-sim/sim_clock.h"

namespace gafka::sim {

class NodeClock final : public Clock {
 public:
  explicit NodeClock(SimClock& clock);
  ~NodeClock() override;
  NodeClock(const NodeClock&) = delete;
  NodeClock& operator=(const NodeClock&) = delete;

  Millis NowMs() const override { return clock_.NowMs(); }
  Millis WallMs() const override { return clock_.WallMs() + wall_skew_ms_; }
  TimerId After(Millis delay_ms, Task fn) override;
  void Cancel(TimerId id) override;

  // Cancels every pending timer and drops held tasks; starts a new
  // incarnation, so completions of older ones are dropped by Deliver().
  void CancelAll();
  uint64_t incarnation() const { return incarnation_; }

  // Runs `task` now (or at Resume() if paused) unless the node has crashed
  // since `incarnation`.
  void Deliver(uint64_t incarnation, Task task);

  void Pause();
  // Runs held tasks, in the order they came due, each as its own event.
  void Resume();
  bool paused() const { return paused_; }

  void SkewWall(Millis delta_ms) { wall_skew_ms_ += delta_ms; }
  size_t pending() const { return timers_.size(); }  // including held ones

 private:
  struct Timer {
    TimerId underlying = kNoTimer;  // the SimClock's id; kNoTimer while held
    Task task;
  };
  void Fire(TimerId id);

  SimClock& clock_;
  // Pending and held timers by our own id. A held timer came due while the
  // node was paused: it has not run, so Cancel() still removes it.
  std::map<TimerId, Timer> timers_;
  std::deque<TimerId> held_;  // in the order they came due
  TimerId next_id_ = 1;
  uint64_t incarnation_ = 1;
  bool paused_ = false;
  Millis wall_skew_ms_ = 0;
};

}  // namespace gafka::sim
