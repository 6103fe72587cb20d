// EventLoop flat combining: a completion handed to an idle loop with
// PostUnbounded() runs on the handing thread, which owns the core meanwhile
// (gafka-broker's I/O threads; docs/architecture.md, "Threads").
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>
#include <vector>

#include "runtime-real/event_loop.h"

namespace gafka::real {
namespace {

constexpr Millis kDeadlineMs = 10'000;  // generous: only reached when a test fails

template <typename T>
T Await(std::future<T> future) {
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(kDeadlineMs)), std::future_status::ready);
  return future.get();
}

// Waits until the loop thread is asleep with nothing queued: a post then
// finds it idle.
void WaitUntilIdle(EventLoop& loop) {
  const Millis give_up_ms = loop.NowMs() + kDeadlineMs;
  while (!loop.idle()) {
    ASSERT_LT(loop.NowMs(), give_up_ms) << "the loop never went idle";
    std::this_thread::yield();
  }
}

// Flat combining on, the loop thread started and asleep with nothing queued.
void StartIdleCombining(EventLoop& loop) {
  loop.set_flat_combining(true);
  loop.RunInThread();
  WaitUntilIdle(loop);
}

TEST(FlatCombining, ACompletionForAnIdleLoopRunsOnThePostingThreadOwningTheCore) {
  EventLoop loop;
  StartIdleCombining(loop);
  std::thread::id ran_on;
  bool owned = false;
  bool in_call = true;  // cleared after PostUnbounded() returns: the task ran inside it
  // Posting from this thread: the task runs here, after PostUnbounded()
  // queued it (owned by this thread meanwhile), and before it returns.
  const uint64_t before = loop.combined_tasks();
  loop.PostUnbounded([&] {
    ran_on = std::this_thread::get_id();
    owned = loop.IsLoopThread();
    loop.After(0, [] {});  // timers may be set by the owner
  });
  in_call = false;
  EXPECT_EQ(loop.combined_tasks(), before + 2);  // the task, and the due timer it set
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_TRUE(owned);
  EXPECT_FALSE(loop.IsLoopThread());  // ownership handed back
  EXPECT_FALSE(in_call);
  loop.Join();
}

TEST(FlatCombining, PostCombiningRunsOnThePosterWhenIdleAndKeepsTheBound) {
  EventLoop loop(/*post_queue_max=*/1);
  StartIdleCombining(loop);
  std::thread::id ran_on;
  ASSERT_TRUE(loop.PostCombining([&] { ran_on = std::this_thread::get_id(); }));
  EXPECT_EQ(ran_on, std::this_thread::get_id());  // ran inside the call, here
  // While the core is owned elsewhere, a bounded post is queued, not run,
  // and the bound still refuses the one past it.
  std::promise<void> release;
  std::promise<void> holding;
  ASSERT_TRUE(loop.Post([&] {
    holding.set_value();
    release.get_future().wait();
  }));
  holding.get_future().wait();
  std::promise<std::thread::id> queued_ran_on;
  EXPECT_TRUE(loop.PostCombining([&] { queued_ran_on.set_value(std::this_thread::get_id()); }));
  EXPECT_FALSE(loop.PostCombining([] {}));  // the queue holds its one bounded task
  release.set_value();
  EXPECT_NE(Await(queued_ran_on.get_future()), std::this_thread::get_id());
  loop.Join();
}

TEST(FlatCombining, AZeroDelayTimerSetByACombinedTaskRunsOnTheCombiner) {
  EventLoop loop;
  StartIdleCombining(loop);
  std::promise<std::thread::id> timer_ran_on;
  loop.PostUnbounded([&] {
    loop.After(0, [&] { timer_ran_on.set_value(std::this_thread::get_id()); });
  });
  // The combiner ran the due timer before it handed the core back: the
  // sleeping loop thread was not woken just to run it.
  EXPECT_EQ(Await(timer_ran_on.get_future()), std::this_thread::get_id());
  loop.Join();
}

TEST(FlatCombining, ATaskPostedFromACombinedTaskRunsAfterItNeverInsideIt) {
  EventLoop loop;
  StartIdleCombining(loop);
  std::vector<int> order;  // touched only by the core's owner
  std::promise<std::vector<int>> finished;
  loop.PostUnbounded([&] {
    loop.PostUnbounded([&] {
      order.push_back(2);
      finished.set_value(order);
    });
    order.push_back(1);
  });
  EXPECT_EQ(Await(finished.get_future()), (std::vector<int>{1, 2}));
  loop.Join();
}

TEST(FlatCombining, PostsFromManyThreadsAllRunInPerThreadOrderWithOneOwnerAtATime) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  EventLoop loop(/*post_queue_max=*/kThreads * kPerThread + 1);
  loop.set_flat_combining(true);
  std::vector<int> last_seen(kThreads, -1);  // owner only
  bool in_order = true;
  int total = 0;
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  loop.RunInThread();
  WaitUntilIdle(loop);  // so the first post at least is run by its poster
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto task = [&, t, i] {
          if (running.fetch_add(1) != 0) overlapped = true;
          if (!loop.IsLoopThread()) overlapped = true;
          if (last_seen[t] + 1 != i) in_order = false;
          last_seen[t] = i;
          ++total;
          running.fetch_sub(1);
        };
        // Both kinds, as in the broker: requests (Post) and completions.
        if (i % 2 == 0) {
          loop.PostUnbounded(task);
        } else {
          ASSERT_TRUE(loop.Post(task));
        }
      }
    });
  }
  for (std::thread& p : posters) p.join();
  std::promise<int> counted;
  ASSERT_TRUE(loop.Post([&] { counted.set_value(total); }));
  EXPECT_EQ(Await(counted.get_future()), kThreads * kPerThread);
  loop.Join();
  EXPECT_TRUE(in_order);
  EXPECT_FALSE(overlapped);
  EXPECT_GT(loop.combined_tasks(), 0u);  // posters did run some of it
}

TEST(FlatCombining, ACombinerHandsAStreamOfWorkBackToTheLoopThread) {
  EventLoop loop;
  StartIdleCombining(loop);
  // Each task queues the next: the queue is never empty when a batch ends.
  constexpr int kChain = EventLoop::kMaxCombinedBatches + 3;
  std::vector<std::thread::id> ran_on;  // owner only
  std::promise<std::vector<std::thread::id>> finished;
  std::function<void()> step = [&] {
    ran_on.push_back(std::this_thread::get_id());
    if (static_cast<int>(ran_on.size()) == kChain) {
      finished.set_value(ran_on);
    } else {
      loop.PostUnbounded(step);
    }
  };
  loop.PostUnbounded(step);
  const std::vector<std::thread::id> threads = Await(finished.get_future());
  ASSERT_EQ(threads.size(), static_cast<size_t>(kChain));
  for (int i = 0; i < kChain; ++i) {
    if (i < EventLoop::kMaxCombinedBatches) {
      EXPECT_EQ(threads[i], std::this_thread::get_id()) << i;  // this thread combined
    } else {
      EXPECT_NE(threads[i], std::this_thread::get_id()) << i;  // the loop thread took over
    }
  }
  loop.Join();
}

TEST(FlatCombining, ATimerSetByACombinedTaskWakesTheSleepingLoop) {
  EventLoop loop;
  StartIdleCombining(loop);  // the loop sleeps with no timer: it would never wake by itself
  std::promise<bool> fired;
  loop.PostUnbounded([&] { loop.After(20, [&] { fired.set_value(loop.IsLoopThread()); }); });
  EXPECT_TRUE(Await(fired.get_future()));
  loop.Join();
}

TEST(FlatCombining, StopWaitsForTheCombinerAndLeavesTheRestQueued) {
  EventLoop loop;
  StartIdleCombining(loop);
  std::promise<void> started;
  std::promise<void> release;
  std::atomic<bool> first_done{false};
  std::atomic<bool> second_ran{false};
  std::thread poster([&] {
    loop.PostUnbounded([&] {
      started.set_value();
      release.get_future().wait();
      first_done = true;
    });
  });
  Await(started.get_future());
  ASSERT_TRUE(loop.Post([&] { second_ran = true; }));  // queued behind the running task
  loop.Stop();
  release.set_value();
  loop.Join();  // returns only once the loop thread got the core back
  EXPECT_TRUE(first_done);
  poster.join();
  EXPECT_FALSE(second_ran);  // stopped after the current task
  EXPECT_EQ(loop.queued(), 1u);
}

TEST(FlatCombining, ARequestPostedToAnIdleLoopWakesTheLoopThread) {
  EventLoop loop;
  StartIdleCombining(loop);
  std::promise<std::thread::id> ran_on;
  ASSERT_TRUE(loop.Post([&] { ran_on.set_value(std::this_thread::get_id()); }));
  EXPECT_NE(Await(ran_on.get_future()), std::this_thread::get_id());
  EXPECT_EQ(loop.combined_tasks(), 0u);
  loop.Join();
}

TEST(FlatCombining, OffByDefaultAndUnderRunUntil) {
  EventLoop loop;
  bool ran = false;
  loop.PostUnbounded([&] { ran = true; });
  ASSERT_TRUE(loop.RunUntil([&] { return ran; }, kDeadlineMs));
  loop.set_flat_combining(true);
  std::promise<std::thread::id> ran_on;
  std::thread poster(
      [&] { loop.PostUnbounded([&] { ran_on.set_value(std::this_thread::get_id()); }); });
  poster.join();  // queued, not run: no Run() loop lets it
  auto future = ran_on.get_future();
  ASSERT_TRUE(loop.RunUntil(
      [&] { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
      kDeadlineMs));
  EXPECT_EQ(future.get(), std::this_thread::get_id());
  EXPECT_EQ(loop.combined_tasks(), 0u);
}

}  // namespace
}  // namespace gafka::real
