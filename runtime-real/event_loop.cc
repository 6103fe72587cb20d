#include "runtime-real/event_loop.h"

#include <pthread.h>

#include <chrono>

#include "core/base/check.h"

namespace gafka::real {
Millis SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr Millis kNoDeadline = INT64_MAX;

}  // namespace

EventLoop::EventLoop(size_t post_queue_max) : post_queue_max_(post_queue_max) {
  CHECK_MSG(post_queue_max_ > 0, "an EventLoop needs room for at least one posted task");
}

EventLoop::~EventLoop() {
  CHECK_MSG(!IsLoopThread(), "an EventLoop destroyed from its own loop thread");
  Join();
  CHECK_MSG(loop_thread_.load() == std::thread::id(), "an EventLoop destroyed while running");
}

Millis EventLoop::NowMs() const { return SteadyNowMs(); }

Millis EventLoop::WallMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void EventLoop::CheckOwnerThread() const {
  const std::thread::id running = loop_thread_.load(std::memory_order_relaxed);
  CHECK_MSG(running == std::thread::id() || IsLoopThread(),
            "timers are set and cancelled on the loop thread only");
}

TimerId EventLoop::After(Millis delay_ms, Task fn) {
  CheckOwnerThread();
  CHECK_MSG(fn != nullptr, "After() needs a task");
  const Millis deadline_ms = NowMs() + (delay_ms > 0 ? delay_ms : 0);
  const TimerId id = next_timer_id_++;
  timers_.emplace(TimerKey(deadline_ms, id), std::move(fn));
  timer_deadlines_.emplace(id, deadline_ms);
  CHECK(timers_.size() == timer_deadlines_.size());
  return id;
}

void EventLoop::Cancel(TimerId id) {
  CheckOwnerThread();
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return;  // fired, cancelled, or never set
  timers_.erase(TimerKey(it->second, id));
  timer_deadlines_.erase(it);
  CHECK(timers_.size() == timer_deadlines_.size());
}

bool EventLoop::TakeCoreForPoster(bool may_combine, bool* notify) {
  if (may_combine && combinable_ && sleeping_ && !owned_ && !stop_requested_.load()) {
    owned_ = true;
    return true;
  }
  // Only a sleeping loop needs a notify; clearing the flag here means a
  // burst of posts wakes it once rather than once per post. (A sleeping loop
  // whose core is owned by a combiner needs none: the combiner drains the
  // queue before it hands the core back.)
  if (sleeping_ && !owned_) {
    sleeping_ = false;
    *notify = true;
  }
  return false;
}

bool EventLoop::Post(Task fn) { return PostBounded(std::move(fn), /*may_combine=*/false); }

bool EventLoop::PostCombining(Task fn) { return PostBounded(std::move(fn), /*may_combine=*/true); }

bool EventLoop::PostBounded(Task fn, bool may_combine) {
  CHECK_MSG(fn != nullptr, "Post() needs a task");
  bool notify = false;
  bool combine = false;
  {
    MutexLock lock(mu_);
    if (posted_bounded_ >= post_queue_max_) return false;
    posted_.push_back(std::move(fn));
    ++posted_bounded_;
    combine = TakeCoreForPoster(may_combine, &notify);
  }
  if (combine) {
    RunAsCombiner();
  } else if (notify) {
    wake_.notify_one();
  }
  return true;
}

void EventLoop::PostUnbounded(Task fn) {
  CHECK_MSG(fn != nullptr, "PostUnbounded() needs a task");
  bool notify = false;
  bool combine = false;
  {
    MutexLock lock(mu_);
    posted_.push_back(std::move(fn));
    combine = TakeCoreForPoster(/*may_combine=*/true, &notify);
  }
  if (combine) {
    RunAsCombiner();
  } else if (notify) {
    wake_.notify_one();
  }
}

void EventLoop::RunAsCombiner() {
  owner_.store(std::this_thread::get_id());
  bool notify = false;
  for (int batches = 1;; ++batches) {
    combined_tasks_.fetch_add(RunPosted(nullptr), std::memory_order_relaxed);
    // Due timers too, such as a zero-delay one a task just set (the leader
    // answering parked follower fetches after the produces queued with it):
    // else the loop thread would be woken only to run it.
    combined_tasks_.fetch_add(RunDueTimers(nullptr), std::memory_order_relaxed);
    MutexLock lock(mu_);
    const bool more = batch_next_ < batch_.size() || !posted_.empty();
    if (more && !stop_requested_.load() && batches < kMaxCombinedBatches) continue;
    if (more && !stop_requested_.load()) {
      // Under a steady stream of posts the queue never empties: hand the
      // rest to the loop thread, so this thread (an I/O thread) gets back to
      // its own work. sleeping_ = false: no other poster takes the core.
      sleeping_ = false;
      notify = true;
    }
    // Hand the core back. The sleeping loop computed its wake-up from the
    // timers it knew; a task run here may have set an earlier one.
    if (!timers_.empty() && timers_.begin()->first.first < loop_wake_ms_) {
      loop_recheck_ = true;
      notify = true;
    }
    if (loop_wants_core_ || stop_requested_.load()) notify = true;
    owner_.store(std::thread::id());
    owned_ = false;
    break;
  }
  if (notify) wake_.notify_all();
}

void EventLoop::set_flat_combining(bool on) {
  MutexLock lock(mu_);
  flat_combining_ = on;
}

void EventLoop::Stop() {
  {
    MutexLock lock(mu_);
    stop_requested_.store(true);
    sleeping_ = false;
  }
  wake_.notify_all();
}

void EventLoop::Run() { RunLoop(nullptr, kNoDeadline); }

bool EventLoop::RunUntil(const std::function<bool()>& done, Millis timeout_ms) {
  CHECK_MSG(done != nullptr, "RunUntil() needs a condition");
  RunLoop(&done, NowMs() + (timeout_ms > 0 ? timeout_ms : 0));
  return done();
}

void EventLoop::RunInThread() {
  CHECK_MSG(!thread_.joinable(), "RunInThread() while a loop thread already exists");
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gafka-loop");  // for top -H, perf
    Run();
  });
}

void EventLoop::Join() {
  if (!thread_.joinable()) return;
  CHECK_MSG(thread_.get_id() != std::this_thread::get_id(), "Join() from the loop thread");
  Stop();
  thread_.join();
}

bool EventLoop::IsLoopThread() const {
  return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

bool EventLoop::idle() const {
  MutexLock lock(mu_);
  return sleeping_ && !owned_ && posted_.empty();
}

size_t EventLoop::queued() const {
  MutexLock lock(mu_);
  return posted_.size();
}

bool EventLoop::ShouldReturn(const std::function<bool()>* done) const {
  return stop_requested_.load(std::memory_order_relaxed) || (done != nullptr && (*done)());
}

void EventLoop::RunLoop(const std::function<bool()>* done, Millis deadline_ms) {
  std::thread::id expected;
  CHECK_MSG(loop_thread_.compare_exchange_strong(expected, std::this_thread::get_id()),
            "the loop is already running (re-entrant Run, or a second thread)");
  {
    MutexLock lock(mu_);
    CHECK(!owned_);
    owned_ = true;
    combinable_ = flat_combining_ && done == nullptr && deadline_ms == kNoDeadline;
  }
  owner_.store(std::this_thread::get_id());
  while (!ShouldReturn(done) && NowMs() < deadline_ms) {
    size_t ran = RunDueTimers(done);
    if (ShouldReturn(done)) break;
    ran += RunPosted(done);
    if (ran > 0) continue;
    Millis wake_ms = deadline_ms;
    if (!timers_.empty() && timers_.begin()->first.first < wake_ms) {
      wake_ms = timers_.begin()->first.first;
    }
    WaitForWork(wake_ms);
  }
  // WaitForWork returned with the core owned, so no combiner runs now; none
  // can start once combinable_ is false. The stop request is consumed only
  // by the loop it stopped.
  owner_.store(std::thread::id());
  {
    MutexLock lock(mu_);
    combinable_ = false;
    owned_ = false;
    stop_requested_.store(false);
  }
  loop_thread_.store(std::thread::id());
}

size_t EventLoop::RunDueTimers(const std::function<bool()>* done) {
  // Timers set by these callbacks (even with delay 0) wait for the next pass,
  // after the posted tasks: a self-rescheduling timer cannot starve posts.
  const TimerId first_new_id = next_timer_id_;
  const Millis now_ms = NowMs();
  size_t ran = 0;
  while (!timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.first > now_ms || it->first.second >= first_new_id) break;
    Task fn = std::move(it->second);
    timer_deadlines_.erase(it->first.second);
    timers_.erase(it);
    fn();
    ++ran;
    if (ShouldReturn(done)) break;
  }
  return ran;
}

size_t EventLoop::RunPosted(const std::function<bool()>* done) {
  if (batch_next_ == batch_.size()) {
    batch_.clear();  // keeps its capacity; swapped back to posted_ below
    batch_next_ = 0;
    MutexLock lock(mu_);
    if (posted_.empty()) return 0;
    batch_.swap(posted_);
    posted_bounded_ = 0;
  }
  size_t ran = 0;
  while (batch_next_ < batch_.size()) {
    Task fn = std::move(batch_[batch_next_]);
    ++batch_next_;
    fn();
    ++ran;
    if (ShouldReturn(done)) break;
  }
  return ran;
}

void EventLoop::WaitForWork(Millis wake_ms) {
  MutexLock lock(mu_);
  if (!posted_.empty() || stop_requested_.load()) return;
  // Asleep, the loop does not own the core: with flat combining, posters
  // run the queue meanwhile.
  owner_.store(std::thread::id());
  owned_ = false;
  sleeping_ = true;
  loop_wake_ms_ = wake_ms;
  loop_recheck_ = false;
  auto ready = [this]() GAFKA_REQUIRES(mu_) {
    return stop_requested_.load() || loop_recheck_ || (!owned_ && !posted_.empty());
  };
  if (wake_ms == kNoDeadline) {
    while (!ready()) wake_.wait(mu_);
  } else {
    const auto wake_at = std::chrono::steady_clock::time_point(std::chrono::milliseconds(wake_ms));
    while (!ready() && std::chrono::steady_clock::now() < wake_at) {
      wake_.wait_until(mu_, wake_at);
    }
  }
  sleeping_ = false;  // no poster takes the core from here on
  loop_wants_core_ = true;
  while (owned_) wake_.wait(mu_);
  loop_wants_core_ = false;
  owned_ = true;
  owner_.store(std::this_thread::get_id());
}

}  // namespace gafka::real
