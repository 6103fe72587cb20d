// SimClock keeps a binary heap of events keyed by (deadline, sequence).
// The sequence number doubles as the TimerId, so ids are unique and never
// kNoTimer (sequences start at 1). Time only moves when an event runs (to its
// deadline) or when RunUntil() reaches its deadline: nothing here reads a
// real clock, so a run is a pure function of the events scheduled.
#include "runtime-sim/sim_clock.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <utility>

#include "core/base/check.h"

namespace gafka::sim {

SimClock::SimClock(Millis wall_epoch_ms) : wall_epoch_ms_(wall_epoch_ms) {
  CHECK(wall_epoch_ms >= 0);
}

TimerId SimClock::After(Millis delay_ms, Task fn) {
  CHECK_MSG(fn != nullptr, "SimClock::After needs a task");
  // A deadline that already passed (a negative delay) runs as soon as
  // possible, like a zero delay; it never moves time backwards.
  const Millis deadline_ms = now_ms_ + (delay_ms > 0 ? delay_ms : 0);
  const uint64_t sequence = next_sequence_++;
  const bool inserted = tasks_.emplace(sequence, std::move(fn)).second;
  CHECK(inserted);
  heap_.push_back(Key{deadline_ms, sequence});
  std::push_heap(heap_.begin(), heap_.end());
  return sequence;
}

void SimClock::Cancel(TimerId id) {
  tasks_.erase(id);  // fired, cancelled, or never existed: nothing to do
  // Too many cancelled entries: rebuild the heap from the live ones.
  if (heap_.size() > 1024 && heap_.size() > 4 * tasks_.size()) {
    std::erase_if(heap_, [this](const Key& k) { return tasks_.count(k.sequence) == 0; });
    std::make_heap(heap_.begin(), heap_.end());
  }
}

const SimClock::Key* SimClock::Top() {
  while (!heap_.empty() && tasks_.count(heap_.front().sequence) == 0) {
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.pop_back();
  }
  CHECK(heap_.size() >= tasks_.size());
  return heap_.empty() ? nullptr : &heap_.front();
}

bool SimClock::RunOne() {
  const Key* top = Top();
  if (top == nullptr) return false;
  const Key key = *top;
  CHECK_MSG(key.deadline_ms >= now_ms_, "an event is due in the past");
  std::pop_heap(heap_.begin(), heap_.end());
  heap_.pop_back();
  // Take the task out before running it: it may schedule or cancel timers.
  auto it = tasks_.find(key.sequence);
  CHECK(it != tasks_.end());
  Task task = std::move(it->second);
  tasks_.erase(it);
  now_ms_ = key.deadline_ms;
  ++events_run_;
  task();
  return true;
}

uint64_t SimClock::RunUntil(Millis deadline_ms) {
  uint64_t ran = 0;
  for (const Key* top = Top(); top != nullptr && top->deadline_ms <= deadline_ms; top = Top()) {
    const bool did_run = RunOne();
    CHECK(did_run);
    ++ran;
  }
  if (deadline_ms > now_ms_) now_ms_ = deadline_ms;
  CHECK(now_ms_ >= deadline_ms);
  return ran;
}

bool SimClock::RunUntilCondition(const std::function<bool()>& done, uint64_t max_events) {
  CHECK(done != nullptr);
  for (uint64_t i = 0; i < max_events; ++i) {
    if (done()) return true;
    if (!RunOne()) return false;
  }
  return done();
}

uint64_t SimClock::RunAll(uint64_t max_events) {
  uint64_t ran = 0;
  while (ran < max_events && RunOne()) ++ran;
  CHECK(ran <= max_events);
  return ran;
}

bool SimBuggify::Fire(std::string_view site) {
  CHECK(!site.empty());
  CHECK(rate_ >= 0 && rate_ <= 1);
  if (!rng_.Chance(rate_)) return false;
  ++fired_;
  return true;
}

namespace {

const char* LevelTag(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "D";
    case LogLevel::kInfo:
      return "I";
    case LogLevel::kWarn:
      return "W";
    case LogLevel::kError:
      return "E";
  }
  return "?";
}

}  // namespace

void SimLogger::Log(LogLevel level, std::string_view message) {
  std::string line = std::string("[") + LevelTag(level) + "] ";
  line.append(message);
  if (echo_) std::fprintf(stderr, "%s\n", line.c_str());
  if (max_lines_ == 0) return;
  // Bounded: drop the oldest quarter at once so a chatty run stays O(1)
  // amortised per line instead of shifting the vector on every message.
  if (lines_.size() >= max_lines_) {
    const size_t drop = lines_.size() - max_lines_ + 1 + max_lines_ / 4;
    lines_.erase(lines_.begin(),
                 lines_.begin() + static_cast<std::ptrdiff_t>(std::min(drop, lines_.size())));
  }
  lines_.push_back(std::move(line));
  CHECK(lines_.size() <= max_lines_);
}

}  // namespace gafka::sim
