#include "runtime-real/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace gafka::real {
namespace {

constexpr Millis kDeadlineMs = 10'000;  // generous: only reached when a test fails

TEST(EventLoop, TimersFireInDeadlineThenSequenceOrder) {
  EventLoop loop;
  std::vector<std::string> fired;
  loop.After(20, [&] { fired.push_back("20ms"); });
  loop.After(0, [&] { fired.push_back("0ms-first"); });
  loop.After(5, [&] { fired.push_back("5ms"); });
  loop.After(0, [&] { fired.push_back("0ms-second"); });
  loop.After(-3, [&] { fired.push_back("negative-counts-as-0"); });
  ASSERT_TRUE(loop.RunUntil([&] { return fired.size() == 5; }, kDeadlineMs));
  EXPECT_EQ(fired, (std::vector<std::string>{"0ms-first", "0ms-second", "negative-counts-as-0",
                                             "5ms", "20ms"}));
}

TEST(EventLoop, TimerDoesNotFireBeforeItsDelay) {
  EventLoop loop;
  const Millis start_ms = loop.NowMs();
  Millis fired_ms = -1;
  loop.After(40, [&] { fired_ms = loop.NowMs(); });
  ASSERT_TRUE(loop.RunUntil([&] { return fired_ms >= 0; }, kDeadlineMs));
  EXPECT_GE(fired_ms, start_ms + 40);
}

TEST(EventLoop, CancelledTimerNeverFires) {
  EventLoop loop;
  bool cancelled_fired = false;
  bool later_fired = false;
  const TimerId id = loop.After(5, [&] { cancelled_fired = true; });
  EXPECT_NE(id, kNoTimer);
  loop.After(30, [&] { later_fired = true; });
  loop.Cancel(id);
  loop.Cancel(id);      // twice: a no-op
  loop.Cancel(123456);  // never set: a no-op
  ASSERT_TRUE(loop.RunUntil([&] { return later_fired; }, kDeadlineMs));
  EXPECT_FALSE(cancelled_fired);
}

TEST(EventLoop, TimerCanCancelAnotherDueAtTheSameTime) {
  EventLoop loop;
  TimerId second = kNoTimer;
  bool second_fired = false;
  bool third_fired = false;
  loop.After(0, [&] { loop.Cancel(second); });
  second = loop.After(0, [&] { second_fired = true; });
  loop.After(0, [&] { third_fired = true; });
  ASSERT_TRUE(loop.RunUntil([&] { return third_fired; }, kDeadlineMs));
  EXPECT_FALSE(second_fired);
}

TEST(EventLoop, ZeroDelayTimerRunsAfterTheCurrentTaskNeverInsideIt) {
  EventLoop loop;
  std::vector<std::string> order;
  ASSERT_TRUE(loop.Post([&] {
    loop.After(0, [&] { order.push_back("timer"); });
    order.push_back("task-end");
  }));
  ASSERT_TRUE(loop.RunUntil([&] { return order.size() == 2; }, kDeadlineMs));
  EXPECT_EQ(order, (std::vector<std::string>{"task-end", "timer"}));
}

TEST(EventLoop, SelfReschedulingTimerDoesNotStarvePostedTasks) {
  EventLoop loop;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    loop.After(0, tick);
  };
  loop.After(0, tick);
  bool posted_ran = false;
  ASSERT_TRUE(loop.Post([&] { posted_ran = true; }));
  ASSERT_TRUE(loop.RunUntil([&] { return posted_ran; }, kDeadlineMs));
  EXPECT_LE(ticks, 2);
}

TEST(EventLoop, PostFromAnotherThreadRunsOnTheLoopThread) {
  EventLoop loop;
  loop.RunInThread();
  std::promise<std::pair<std::thread::id, bool>> ran;
  std::thread poster([&] {
    ASSERT_TRUE(loop.Post([&] {
      ran.set_value({std::this_thread::get_id(), loop.IsLoopThread()});
    }));
  });
  auto future = ran.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::milliseconds(kDeadlineMs)), std::future_status::ready);
  const auto [thread_id, is_loop_thread] = future.get();
  poster.join();
  EXPECT_TRUE(is_loop_thread);
  EXPECT_NE(thread_id, std::this_thread::get_id());
  EXPECT_NE(thread_id, poster.get_id());
  loop.Join();
}

TEST(EventLoop, PostRefusesWhenTheBoundedQueueIsFull) {
  EventLoop loop(/*post_queue_max=*/3);
  std::vector<int> ran;
  EXPECT_TRUE(loop.Post([&] { ran.push_back(1); }));
  EXPECT_TRUE(loop.Post([&] { ran.push_back(2); }));
  EXPECT_TRUE(loop.Post([&] { ran.push_back(3); }));
  EXPECT_FALSE(loop.Post([&] { ran.push_back(99); }));
  // Completions are never refused, and keep FIFO order with posted tasks.
  loop.PostUnbounded([&] { ran.push_back(4); });
  EXPECT_EQ(loop.queued(), 4u);
  ASSERT_TRUE(loop.RunUntil([&] { return ran.size() == 4; }, kDeadlineMs));
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3, 4}));
  // Draining made room again.
  EXPECT_TRUE(loop.Post([&] { ran.push_back(5); }));
  ASSERT_TRUE(loop.RunUntil([&] { return ran.size() == 5; }, kDeadlineMs));
}

TEST(EventLoop, PostsFromManyThreadsAllRunInPerThreadOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  // Room for every task and the final one, even if the loop takes none meanwhile.
  EventLoop loop(/*post_queue_max=*/kThreads * kPerThread + 1);
  std::vector<int> last_seen(kThreads, -1);  // loop thread only
  bool in_order = true;
  int total = 0;
  loop.RunInThread();
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(loop.Post([&, t, i] {
          if (last_seen[t] + 1 != i) in_order = false;
          last_seen[t] = i;
          ++total;
        }));
      }
    });
  }
  for (std::thread& p : posters) p.join();
  std::promise<int> counted;
  // Posted after every other task, so it runs last.
  ASSERT_TRUE(loop.Post([&] { counted.set_value(total); }));
  auto future = counted.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::milliseconds(kDeadlineMs)), std::future_status::ready);
  EXPECT_EQ(future.get(), kThreads * kPerThread);
  loop.Join();
  EXPECT_TRUE(in_order);
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
  EventLoop loop;
  std::atomic<bool> returned{false};
  std::promise<void> running;
  std::thread runner([&] {
    ASSERT_TRUE(loop.Post([&] { running.set_value(); }));
    loop.Run();
    returned = true;
  });
  ASSERT_EQ(running.get_future().wait_for(std::chrono::milliseconds(kDeadlineMs)),
            std::future_status::ready);
  loop.Stop();
  runner.join();
  EXPECT_TRUE(returned);
}

TEST(EventLoop, StopBeforeRunMakesRunReturnAtOnceAndIsConsumed) {
  EventLoop loop;
  loop.Stop();
  loop.Run();  // returns without blocking
  bool ran = false;
  ASSERT_TRUE(loop.Post([&] { ran = true; }));
  EXPECT_TRUE(loop.RunUntil([&] { return ran; }, kDeadlineMs));
}

TEST(EventLoop, RunUntilReturnsFalseWhenTheTimeoutPasses) {
  EventLoop loop;
  const Millis start_ms = loop.NowMs();
  EXPECT_FALSE(loop.RunUntil([] { return false; }, 30));
  EXPECT_GE(loop.NowMs(), start_ms + 30);
}

TEST(EventLoop, RunUntilStopsAtTheTaskThatMadeItTrueAndKeepsTheRest) {
  EventLoop loop;
  std::vector<int> ran;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(loop.Post([&, i] { ran.push_back(i); }));
  ASSERT_TRUE(loop.RunUntil([&] { return ran.size() == 2; }, kDeadlineMs));
  EXPECT_EQ(ran, (std::vector<int>{0, 1}));
  ASSERT_TRUE(loop.RunUntil([&] { return ran.size() == 5; }, kDeadlineMs));
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(EventLoop, NowIsMonotonicAndWallIsNearTheSystemClock) {
  EventLoop loop;
  const Millis a = loop.NowMs();
  const Millis b = loop.NowMs();
  EXPECT_LE(a, b);
  const Millis system_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  EXPECT_NEAR(static_cast<double>(loop.WallMs()), static_cast<double>(system_ms), 1000.0);
}

TEST(EventLoopDeathTest, RunningTheLoopFromInsideATaskAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop loop;
        (void)loop.Post([&] { loop.Run(); });
        loop.Run();
      },
      "already running");
}

}  // namespace
}  // namespace gafka::real
