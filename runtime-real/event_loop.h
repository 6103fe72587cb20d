// EventLoop: the real runtime's Clock and the one thread that owns the core.
//
// Ownership and threads
// - One thread at a time runs the loop (Run(), RunUntil() or the thread
//   started by RunInThread()); every task and timer callback runs there, one
//   after another, never re-entrantly. That thread is "the loop thread".
// - After() and Cancel() are called from the loop thread (or from the owning
//   thread while no loop runs, e.g. to set things up): they touch the timer
//   map without a lock. NowMs()/WallMs() are callable from any thread.
// - Post() and PostUnbounded() are callable from any thread: they are the
//   hand-off from HTTP handler threads and I/O threads into the loop.
// - Stop() is callable from any thread.
//
// Invariants
// - Timers fire in (deadline, sequence) order; a timer set with delay 0 runs
//   after the current task returns, never inside After().
// - The post queue never holds more than `post_queue_max` tasks that came in
//   through Post(); PostUnbounded() tasks (runtime completions, bounded by
//   construction, e.g. at most one in-flight sync per open file) do not count
//   toward that limit and are never refused.
// - Posted tasks run in the order they were posted (FIFO across both kinds).
//
// Cost of the hand-off: one mutex acquisition per Post(); the loop takes the
// whole queue in one swap, and a condition-variable notify is paid only when
// the loop is actually asleep (a producer burst wakes it once).
//
// Flat combining (set_flat_combining(true), used by gafka-broker): the core
// is owned by whichever thread holds the loop's ownership flag (under mu_),
// not by one fixed thread. While Run() is idle (asleep, no task running), a
// thread that calls PostUnbounded() — an I/O thread handing back a finished
// fdatasync, a replication sender handing back a reply — does not wake it:
// it takes ownership and runs the queue itself, in FIFO order, until the
// queue is empty — and the timers then due, such as a zero-delay one a task
// set — then hands ownership back (waking the loop thread only if
// a timer set meanwhile is due before the loop's planned wake-up, or the loop
// wants the core back). A sync completion thus reaches the HTTP network
// threads without two thread switches through the loop. PostCombining() lets
// a bounded post combine too: the HTTP network threads use it for the
// requests they decoded in one pass (with the thread-per-connection server
// this replaced, letting its 64 workers combine was slower; with two network
// threads it is faster). Post() always wakes the loop. Still exactly one
// thread at a time runs core code, the mutex hand-off ordering their memory
// effects; a task never runs inside the call that queued it from a task (it
// only queues: the core is owned then). Not used by RunUntil(), whose caller
// must see every task to check its condition.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/env/env.h"

// Clang thread-safety annotations (-Wthread-safety); no-ops for other
// compilers. Used by runtime-real for state shared between threads.
#if defined(__clang__)
#define GAFKA_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define GAFKA_THREAD_ANNOTATION(x)
#endif
#define GAFKA_CAPABILITY(x) GAFKA_THREAD_ANNOTATION(capability(x))
#define GAFKA_SCOPED_CAPABILITY GAFKA_THREAD_ANNOTATION(scoped_lockable)
#define GAFKA_GUARDED_BY(x) GAFKA_THREAD_ANNOTATION(guarded_by(x))
#define GAFKA_REQUIRES(...) GAFKA_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define GAFKA_EXCLUDES(...) GAFKA_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define GAFKA_ACQUIRE(...) GAFKA_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define GAFKA_RELEASE(...) GAFKA_THREAD_ANNOTATION(release_capability(__VA_ARGS__))

namespace gafka::real {

// std::mutex with the annotations Clang's analysis needs. BasicLockable, so
// std::condition_variable_any can wait on it directly.
class GAFKA_CAPABILITY("mutex") Mutex {
 public:
  void lock() GAFKA_ACQUIRE() { mu_.lock(); }
  void unlock() GAFKA_RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

class GAFKA_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) GAFKA_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() GAFKA_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// The steady clock in ms: EventLoop::NowMs() without a loop. Thread-safe.
Millis SteadyNowMs();

class EventLoop final : public Clock {
 public:
  static constexpr size_t kDefaultPostQueueMax = 65536;
  // A thread running the loop's queue in its place (flat combining) takes at
  // most this many batches (swaps of the queue), then wakes the loop thread
  // for the rest.
  static constexpr int kMaxCombinedBatches = 2;

  explicit EventLoop(size_t post_queue_max = kDefaultPostQueueMax);
  // Stops and joins a thread started by RunInThread(). Must not be called on
  // the loop thread. Tasks still queued are destroyed without running.
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Clock. NowMs: steady_clock in ms; WallMs: system_clock ms since the epoch.
  Millis NowMs() const override;
  Millis WallMs() const override;
  // A negative delay counts as 0. The timer fires once NowMs() has reached
  // NowMs()-at-the-call + delay_ms.
  TimerId After(Millis delay_ms, Task fn) override;
  void Cancel(TimerId id) override;

  // Queues `fn` to run on the loop. Thread-safe. Returns false (and drops
  // `fn`) when `post_queue_max` posted tasks are already waiting: the caller
  // answers "busy" (HTTP 503) instead of queueing without limit.
  [[nodiscard]] bool Post(Task fn) GAFKA_EXCLUDES(mu_);
  // Post(), but with flat combining an idle loop's queue runs right here, on
  // the calling thread (see "Flat combining"). For a caller that has nothing
  // better to do meanwhile: an HTTP network thread handing over the requests
  // it decoded in one pass.
  [[nodiscard]] bool PostCombining(Task fn) GAFKA_EXCLUDES(mu_);
  // Queues `fn` regardless of the limit. For completions of work the runtime
  // itself started (sync results, I/O replies) that must never be dropped;
  // such callers bound their own number in flight. Thread-safe.
  void PostUnbounded(Task fn) GAFKA_EXCLUDES(mu_);

  // Runs tasks and timers on the calling thread until Stop() is called (a
  // Stop() that came before Run() makes it return at once). The stop request
  // is consumed, so the loop can be run again later.
  void Run() GAFKA_EXCLUDES(mu_);
  // Runs the loop on the calling thread until `done()` is true (checked after
  // every task and timer) or `timeout_ms` passed or Stop() was called.
  // Returns done(). For tools and tests that drive the core synchronously.
  bool RunUntil(const std::function<bool()>& done, Millis timeout_ms) GAFKA_EXCLUDES(mu_);
  // Asks the running loop to return after its current task. Thread-safe.
  void Stop() GAFKA_EXCLUDES(mu_);

  // See "Flat combining" above. Thread-safe; takes effect at the next
  // Run(). Off by default.
  void set_flat_combining(bool on) GAFKA_EXCLUDES(mu_);

  // Starts a thread that calls Run(). At most one at a time.
  void RunInThread();
  // Stop() and join the thread started by RunInThread() (no-op if none).
  void Join();

  // True on the thread that owns the core right now: the loop thread while
  // it runs tasks and timers, or a thread running posted tasks in its place
  // (flat combining).
  bool IsLoopThread() const;
  // Tasks run by PostUnbounded() callers in place of the loop thread (flat
  // combining). Thread-safe; for tests and metrics.
  uint64_t combined_tasks() const { return combined_tasks_.load(std::memory_order_relaxed); }
  // The loop thread is asleep, nothing is queued and no thread owns the
  // core. Thread-safe; for tests.
  bool idle() const GAFKA_EXCLUDES(mu_);
  // Tasks posted but not yet taken by the loop (both kinds). Thread-safe;
  // for tests and metrics.
  size_t queued() const GAFKA_EXCLUDES(mu_);
  size_t post_queue_max() const { return post_queue_max_; }

 private:
  using TimerKey = std::pair<Millis, TimerId>;  // (deadline, sequence)

  bool PostBounded(Task fn, bool may_combine) GAFKA_EXCLUDES(mu_);
  void RunLoop(const std::function<bool()>* done, Millis deadline_ms) GAFKA_EXCLUDES(mu_);
  // True when the loop must return now: Stop() was called or `done` holds.
  bool ShouldReturn(const std::function<bool()>* done) const;
  // Runs the timers that were due when it started (not those they set), in
  // order; stops early when ShouldReturn(). Returns how many ran.
  size_t RunDueTimers(const std::function<bool()>* done);
  // Runs the rest of the current batch of posted tasks, or takes the whole
  // post queue as a new batch; stops early when ShouldReturn() (the rest of
  // the batch runs first next time). Returns how many ran.
  size_t RunPosted(const std::function<bool()>* done) GAFKA_EXCLUDES(mu_);
  // Sleeps until a post, a Stop(), or `wake_ms` (a NowMs value). Gives up
  // ownership of the core while asleep and has it again on return.
  void WaitForWork(Millis wake_ms) GAFKA_EXCLUDES(mu_);
  // After a post under mu_: takes ownership for the calling thread when the
  // idle loop lets posters run its queue (true: call RunAsCombiner()), else
  // says whether the sleeping loop needs a notify.
  bool TakeCoreForPoster(bool may_combine, bool* notify) GAFKA_REQUIRES(mu_);
  // Runs posted tasks on the calling thread, which owns the core, until the
  // queue is empty or Stop() was called; then gives ownership back.
  void RunAsCombiner() GAFKA_EXCLUDES(mu_);
  void CheckOwnerThread() const;

  const size_t post_queue_max_;

  // Loop-thread state (no lock: only the loop thread touches it).
  std::map<TimerKey, Task> timers_;
  std::unordered_map<TimerId, Millis> timer_deadlines_;  // id -> deadline; never iterated
  TimerId next_timer_id_ = 1;
  std::vector<Task> batch_;  // the swapped-out post queue being run
  size_t batch_next_ = 0;    // index of the next task of batch_ to run

  // Cross-thread state.
  mutable Mutex mu_;
  std::condition_variable_any wake_;
  std::vector<Task> posted_ GAFKA_GUARDED_BY(mu_);
  size_t posted_bounded_ GAFKA_GUARDED_BY(mu_) = 0;    // how many of posted_ came via Post()
  bool sleeping_ GAFKA_GUARDED_BY(mu_) = false;        // loop waits on wake_: notify needed
  bool flat_combining_ GAFKA_GUARDED_BY(mu_) = false;  // set_flat_combining()
  // A Run() loop is inside RunLoop with flat combining on: while it sleeps,
  // posters may take the core.
  bool combinable_ GAFKA_GUARDED_BY(mu_) = false;
  bool owned_ GAFKA_GUARDED_BY(mu_) = false;            // some thread runs core work
  bool loop_wants_core_ GAFKA_GUARDED_BY(mu_) = false;  // the loop thread waits for owned_
  bool loop_recheck_ GAFKA_GUARDED_BY(mu_) = false;     // a combiner set an earlier timer
  Millis loop_wake_ms_ GAFKA_GUARDED_BY(mu_) = 0;       // when the sleeping loop wakes itself
  // Set by Stop(), consumed when the loop returns. Atomic so the loop can
  // check it after every task without the lock; written under mu_ so a
  // sleeping loop cannot miss it.
  std::atomic<bool> stop_requested_{false};

  std::atomic<std::thread::id> loop_thread_{};  // id of the running loop, or none
  std::atomic<std::thread::id> owner_{};        // id of the thread owning the core, or none
  std::atomic<uint64_t> combined_tasks_{0};
  std::thread thread_;  // from RunInThread(); owner thread only
};

}  // namespace gafka::real
