#include "runtime-sim/sim_clock.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gafka::sim {
namespace {

TEST(SimClock, TimersFireInDeadlineThenSequenceOrder) {
  SimClock clock;
  std::vector<std::string> fired;
  clock.After(10, [&] { fired.push_back("b10"); });
  clock.After(5, [&] { fired.push_back("a5"); });
  clock.After(10, [&] { fired.push_back("c10"); });
  clock.After(0, [&] { fired.push_back("z0"); });
  clock.After(5, [&] { fired.push_back("d5"); });
  EXPECT_EQ(clock.RunAll(), 5u);
  EXPECT_EQ(fired, (std::vector<std::string>{"z0", "a5", "d5", "b10", "c10"}));
  EXPECT_EQ(clock.NowMs(), 10);
}

TEST(SimClock, TimeJumpsToTheNextDeadline) {
  SimClock clock;
  std::vector<Millis> seen;
  clock.After(1000, [&] { seen.push_back(clock.NowMs()); });
  clock.After(250, [&] { seen.push_back(clock.NowMs()); });
  EXPECT_TRUE(clock.RunOne());
  EXPECT_EQ(clock.NowMs(), 250);
  EXPECT_TRUE(clock.RunOne());
  EXPECT_EQ(clock.NowMs(), 1000);
  EXPECT_FALSE(clock.RunOne());
  EXPECT_EQ(seen, (std::vector<Millis>{250, 1000}));
}

TEST(SimClock, CancelledTimerNeverFires) {
  SimClock clock;
  int fired = 0;
  const TimerId keep = clock.After(5, [&] { fired += 1; });
  const TimerId drop = clock.After(5, [&] { fired += 100; });
  EXPECT_NE(keep, kNoTimer);
  EXPECT_NE(keep, drop);
  clock.Cancel(drop);
  EXPECT_EQ(clock.pending(), 1u);
  clock.RunAll();
  EXPECT_EQ(fired, 1);
  clock.Cancel(keep);   // already fired: a no-op
  clock.Cancel(12345);  // never existed: a no-op
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(SimClock, TaskCanScheduleAndCancelOtherTimers) {
  SimClock clock;
  std::vector<int> order;
  TimerId later = kNoTimer;
  clock.After(1, [&] {
    order.push_back(1);
    clock.Cancel(later);
    clock.After(0, [&] { order.push_back(2); });
  });
  later = clock.After(1, [&] { order.push_back(99); });
  clock.After(2, [&] { order.push_back(3); });
  clock.RunAll();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(SimClock, ZeroDelayFromATaskRunsAfterItReturns) {
  SimClock clock;
  std::vector<int> order;
  clock.After(0, [&] {
    clock.After(0, [&] { order.push_back(2); });
    order.push_back(1);
  });
  clock.RunAll();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(clock.NowMs(), 0);
}

TEST(SimClock, NegativeDelayRunsAtTheCurrentTime) {
  SimClock clock;
  clock.RunUntil(100);
  Millis at = -1;
  clock.After(-50, [&] { at = clock.NowMs(); });
  clock.RunAll();
  EXPECT_EQ(at, 100);
  EXPECT_EQ(clock.NowMs(), 100);
}

TEST(SimClock, RunUntilStopsBeforeLaterEventsAndAdvancesTime) {
  SimClock clock;
  int fired = 0;
  clock.After(10, [&] { ++fired; });
  clock.After(20, [&] { ++fired; });
  clock.After(21, [&] { ++fired; });
  EXPECT_EQ(clock.RunUntil(20), 2u);
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(clock.NowMs(), 20);
  EXPECT_EQ(clock.pending(), 1u);
  EXPECT_EQ(clock.RunUntil(500), 1u);
  EXPECT_EQ(clock.NowMs(), 500);
  EXPECT_EQ(clock.RunUntil(100), 0u);  // never backwards
  EXPECT_EQ(clock.NowMs(), 500);
}

TEST(SimClock, RunUntilConditionStopsAsSoonAsItHolds) {
  SimClock clock;
  int count = 0;
  for (int i = 1; i <= 10; ++i) clock.After(i, [&] { ++count; });
  EXPECT_TRUE(clock.RunUntilCondition([&] { return count == 4; }));
  EXPECT_EQ(count, 4);
  EXPECT_EQ(clock.NowMs(), 4);
  EXPECT_FALSE(clock.RunUntilCondition([&] { return count == 100; }));
  EXPECT_EQ(count, 10);
}

TEST(SimClock, RunAllIsBoundedByMaxEvents) {
  SimClock clock;
  std::function<void()> forever = [&] { clock.After(1, forever); };
  clock.After(0, forever);
  EXPECT_EQ(clock.RunAll(1000), 1000u);
  EXPECT_EQ(clock.events_run(), 1000u);
  EXPECT_EQ(clock.pending(), 1u);
}

TEST(SimClock, WallTimeFollowsEpochAndSkewWhileNowStaysMonotonic) {
  SimClock clock(5000);
  EXPECT_EQ(clock.WallMs(), 5000);
  clock.RunUntil(10);
  clock.SkewWall(-3000);
  EXPECT_EQ(clock.WallMs(), 2010);
  EXPECT_EQ(clock.NowMs(), 10);
}

TEST(SimRandom, SameSeedAndNameGiveTheSameStream) {
  SimRandom a(42);
  SimRandom b(42);
  Rng x = a.Stream("log");
  Rng y = b.Stream("log");
  Rng z = a.Stream("net");
  const uint64_t first = x.Next();
  EXPECT_EQ(first, y.Next());
  EXPECT_NE(first, z.Next());
}

TEST(SimBuggify, FiresAccordingToRate) {
  SimBuggify never(7, 0.0);
  SimBuggify always(7, 1.0);
  SimBuggify half(7, 0.5);
  int half_fired = 0;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(never.Fire("site"));
    EXPECT_TRUE(always.Fire("site"));
    half_fired += half.Fire("site") ? 1 : 0;
  }
  EXPECT_EQ(always.fired(), 1000u);
  EXPECT_EQ(half.fired(), static_cast<uint64_t>(half_fired));
  EXPECT_GT(half_fired, 400);
  EXPECT_LT(half_fired, 600);
}

TEST(SimLogger, KeepsRecentLinesWithinTheBound) {
  SimLogger logger;
  logger.set_max_lines(8);
  for (int i = 0; i < 100; ++i) logger.Log(LogLevel::kInfo, "line " + std::to_string(i));
  ASSERT_LE(logger.lines().size(), 8u);
  ASSERT_FALSE(logger.lines().empty());
  EXPECT_EQ(logger.lines().back(), "[I] line 99");
}

}  // namespace
}  // namespace gafka::sim
