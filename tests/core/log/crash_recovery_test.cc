// Seeded power-loss runs on SimDisk: whatever the crash tears, drops or
// keeps, every acknowledged record comes back identical, offsets stay dense,
// and recovery never mistakes a crash for corruption. Appends race with
// syncs, rolls, retention and truncation.
//
// GAFKA_LOG_CRASH_SEEDS=N runs N seeds instead of the default.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/base/rng.h"
#include "core/log/partition_log.h"
#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::SimWorld;

struct Model {
  std::map<int64_t, std::vector<Record>> versions;  // everything ever written at an offset
  std::map<int64_t, Record> acked;                  // the acknowledged record at an offset
};

RecordInput RandomInput(Rng& rng, int64_t n) {
  RecordInput in;
  if (rng.Chance(0.8)) in.key = "k" + std::to_string(n);
  in.value.assign(rng.Uniform(rng.Chance(0.1) ? 900 : 120), static_cast<char>('a' + n % 26));
  if (rng.Chance(0.2)) in.headers = {{"h", std::to_string(rng.Next() % 1000)}};
  return in;
}

// Appends one random batch; tolerates refusals when the disk injects errors.
void AppendBatch(SimWorld& world, PartitionLog& log, Rng& rng, Model& model, bool faulty) {
  std::vector<RecordInput> batch;
  std::vector<Record> expected;
  const int64_t base = log.end_offset().value();
  for (int i = 0, n = static_cast<int>(rng.Range(1, 4)); i < n; ++i) {
    batch.push_back(RandomInput(rng, base + i));
    const RecordInput& in = batch.back();
    expected.push_back(
        Record{Offset(base + i), world.clock().WallMs(), Epoch(1), in.key, in.value, in.headers});
    model.versions[base + i].push_back(expected.back());
  }
  auto r = log.Append(batch, Epoch(1), [&model, expected](Status s) {
    if (!s.ok()) return;
    for (const Record& rec : expected) model.acked[rec.offset.value()] = rec;
  });
  if (!faulty) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
}

// Appends random batches at random moments, with the odd retention pass or
// truncation, until the caller crashes the disk.
void RunLife(SimWorld& world, PartitionLog& log, Rng& rng, Model& model, bool faulty) {
  for (int step = 0, steps = static_cast<int>(rng.Range(1, 40)); step < steps; ++step) {
    if (rng.Chance(0.05)) log.ApplyRetention();
    if (rng.Chance(0.05) && log.end_offset() > log.start_offset()) {
      const int64_t cut = rng.Range(log.start_offset().value(), log.end_offset().value());
      const Status s = log.Truncate(Offset(cut));
      if (!faulty) {
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
      if (s.ok()) model.acked.erase(model.acked.lower_bound(cut), model.acked.end());
    }
    AppendBatch(world, log, rng, model, faulty);
    world.clock().RunUntil(world.clock().NowMs() + rng.Range(0, 3));
  }
}

// After a crash: acknowledged records at or above the start offset are all
// there and identical; every served record is one that was written there.
void CheckRecovered(PartitionLog& log, Model& model, uint64_t seed) {
  ASSERT_TRUE(log.failed().ok()) << "seed " << seed << ": " << log.failed().ToString();
  const int64_t start = log.start_offset().value();
  const int64_t end = log.end_offset().value();
  for (auto it = model.acked.lower_bound(start); it != model.acked.end(); ++it) {
    ASSERT_LT(it->first, end) << "seed " << seed << ": acknowledged record lost";
  }
  auto all = testing_log::ReadAll(log);
  ASSERT_TRUE(all.ok()) << "seed " << seed << ": " << all.status().ToString();
  ASSERT_EQ(static_cast<int64_t>(all->size()), end - start);
  for (const Record& r : *all) {
    const int64_t o = r.offset.value();
    if (model.acked.count(o)) {
      ASSERT_EQ(r, model.acked[o]) << "seed " << seed << " offset " << o;
    }
    const auto& v = model.versions[o];
    ASSERT_NE(std::find(v.begin(), v.end(), r), v.end()) << "seed " << seed << ": never written";
    model.acked[o] = r;  // the reopen synced it
  }
  model.acked.erase(model.acked.lower_bound(end), model.acked.end());
}

// Runs `seeds` seeded lives-and-crashes; returns how many recoveries cut a
// torn tail.
int RunSeeds(int seeds, const sim::DiskFaults& base_faults, bool faulty) {
  int torn = 0;
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(seeds); ++seed) {
    SimWorld world(seed, base_faults);
    Rng rng(seed);
    Model model;
    LogConfig config = testing_log::SmallConfig();
    config.segment_bytes = 600 + rng.Uniform(1500);
    config.retention_bytes = rng.Chance(0.5) ? 4000 : -1;
    for (int life = 0; life < 4; ++life) {
      std::unique_ptr<PartitionLog> log;
      for (int attempt = 0; attempt < 20 && !log; ++attempt) {  // a restart may hit EIO
        auto opened = PartitionLog::Open(world.env(), testing_log::kDir, config);
        if (opened.ok()) {
          log = std::move(opened).value();
        } else {
          EXPECT_TRUE(faulty) << opened.status().ToString();
          world.disk().Crash();  // reboot: a failed fsync is permanent until then
        }
      }
      if (log == nullptr) ADD_FAILURE() << "seed " << seed << ": cannot reopen";
      if (log == nullptr) return torn;
      CheckRecovered(*log, model, seed);
      if (::testing::Test::HasFatalFailure()) return torn;
      if (log->recovery_report().bytes_cut > 0) ++torn;
      RunLife(world, *log, rng, model, faulty);
      if (::testing::Test::HasFatalFailure()) return torn;
      world.disk().Crash();
    }
  }
  return torn;
}

int Seeds() {
  const char* env = std::getenv("GAFKA_LOG_CRASH_SEEDS");
  return env ? std::atoi(env) : 150;
}

sim::DiskFaults CrashFaults() {
  sim::DiskFaults faults;  // SimDisk's default crash model: drop, keep or tear tails
  faults.sync_latency_min_ms = 0;
  faults.sync_latency_max_ms = 3;
  return faults;
}

TEST(LogCrashRecovery, AcknowledgedRecordsSurviveEveryCrash) {
  const int torn = RunSeeds(Seeds(), CrashFaults(), /*faulty=*/false);
  EXPECT_GT(torn, Seeds() / 10) << "the crash model should tear tails often";
}

// With EIO and ENOSPC injected, appends are refused and logs fail; still,
// after a restart every acknowledged record is back.
TEST(LogCrashRecovery, AcknowledgedRecordsSurviveDiskErrorsAndCrashes) {
  sim::DiskFaults faults = CrashFaults();
  faults.sync_eio = 0.02;
  faults.append_eio = 0.02;
  faults.append_enospc = 0.02;
  RunSeeds(Seeds(), faults, /*faulty=*/true);
}

}  // namespace
}  // namespace gafka
