// SimClock: virtual time and the discrete-event queue of the simulator.
// Events are ordered by (deadline, sequence); when nothing is runnable, time
// jumps to the next deadline. Single-threaded; owned by the simulation (or a
// test), shared by every simulated component by reference.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/env/env.h"

namespace gafka::sim {

class SimClock final : public Clock {
 public:
  // `wall_epoch_ms` is what WallMs() reports at virtual time 0.
  explicit SimClock(Millis wall_epoch_ms = 1'700'000'000'000);

  Millis NowMs() const override { return now_ms_; }
  Millis WallMs() const override { return wall_epoch_ms_ + now_ms_ + wall_skew_ms_; }
  // A negative delay is treated as 0 (a deadline that already passed).
  TimerId After(Millis delay_ms, Task fn) override;
  void Cancel(TimerId id) override;

  // Runs the earliest pending event (advancing time to it). False if none.
  bool RunOne();
  // Runs events until none is left or the next is later than `deadline_ms`;
  // time then ends at max(now, deadline_ms) either way (time passes even when
  // nothing is scheduled). Returns the number of events run.
  uint64_t RunUntil(Millis deadline_ms);
  // Runs events until `done()` is true or no event is left (or max_events
  // ran); returns done() at the end.
  bool RunUntilCondition(const std::function<bool()>& done, uint64_t max_events = 100'000'000);
  // Runs every event, including ones scheduled by events. Bounded by max_events.
  uint64_t RunAll(uint64_t max_events = 100'000'000);

  size_t pending() const { return tasks_.size(); }
  uint64_t events_run() const { return events_run_; }
  // Shifts WallMs() (a simulated clock jump of wall time; NowMs stays monotonic).
  void SkewWall(Millis delta_ms) { wall_skew_ms_ += delta_ms; }

 private:
  // A binary min-heap of (deadline, sequence) and the tasks by sequence
  // (== TimerId). Cancel erases the task only; its heap entry is dropped
  // when it reaches the top. Same order as a sorted map, fewer allocations.
  struct Key {
    Millis deadline_ms;
    uint64_t sequence;
    // std::push_heap builds a max-heap: "less" means later.
    bool operator<(const Key& o) const {
      return deadline_ms != o.deadline_ms ? deadline_ms > o.deadline_ms : sequence > o.sequence;
    }
  };
  // The earliest live event's key (dropping cancelled entries), or null.
  const Key* Top();

  Millis now_ms_ = 0;
  Millis wall_epoch_ms_;
  Millis wall_skew_ms_ = 0;
  uint64_t next_sequence_ = 1;
  uint64_t events_run_ = 0;
  std::vector<Key> heap_;
  std::unordered_map<uint64_t, Task> tasks_;  // by sequence
};

// Random streams derived from one root seed.
class SimRandom final : public Random {
 public:
  explicit SimRandom(uint64_t seed) : root_(seed) {}
  Rng Stream(std::string_view component) override { return root_.Fork(component); }

 private:
  Rng root_;
};

// Buggify in simulation: each site fires with probability `rate` when enabled.
class SimBuggify final : public Buggify {
 public:
  SimBuggify(uint64_t seed, double rate) : rng_(seed), rate_(rate) {}
  bool Fire(std::string_view site) override;
  void set_rate(double rate) { rate_ = rate; }
  uint64_t fired() const { return fired_; }

 private:
  Rng rng_;
  double rate_;
  uint64_t fired_ = 0;
};

// A logger that keeps messages in memory (tests) and optionally forwards.
class SimLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override;
  void set_echo(bool echo) { echo_ = echo; }
  const std::vector<std::string>& lines() const { return lines_; }
  void set_max_lines(size_t n) { max_lines_ = n; }

 private:
  bool echo_ = false;
  size_t max_lines_ = 10'000;
  std::vector<std::string> lines_;
};

}  // namespace gafka::sim
