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

void AppendBatch(PartitionLog& log, Rng& rng, Model& model) {
  std::vector<RecordInput> batch;
  const int64_t base = log.end_offset().value();
  for (int i = 0, n = static_cast<int>(rng.Range(1, 4)); i < n; ++i) {
    batch.push_back(RandomInput(rng, base + i));
  }
  auto written = std::make_shared<std::vector<Record>>();
  auto r = log.Append(batch, Epoch(1), [&model, written](Status s) {
    if (!s.ok()) return;
    for (const Record& rec : *written) model.acked[rec.offset.value()] = rec;
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto read = log.Read(Offset(base), batch.size(), 1 << 30);
  ASSERT_TRUE(read.ok());
  *written = read->records;
  for (const Record& rec : *written) model.versions[rec.offset.value()].push_back(rec);
}

// Appends random batches at random moments, with the odd retention pass or
// truncation, until the caller crashes the disk.
void RunLife(SimWorld& world, PartitionLog& log, Rng& rng, Model& model) {
  for (int step = 0, steps = static_cast<int>(rng.Range(1, 40)); step < steps; ++step) {
    if (rng.Chance(0.05)) log.ApplyRetention();
    if (rng.Chance(0.05) && log.end_offset() > log.start_offset()) {
      const int64_t cut = rng.Range(log.start_offset().value(), log.end_offset().value());
      ASSERT_TRUE(log.Truncate(Offset(cut)).ok());
      model.acked.erase(model.acked.lower_bound(cut), model.acked.end());
    }
    AppendBatch(log, rng, model);
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

int Seeds() {
  const char* env = std::getenv("GAFKA_LOG_CRASH_SEEDS");
  return env ? std::atoi(env) : 150;
}

TEST(LogCrashRecovery, AcknowledgedRecordsSurviveEveryCrash) {
  int torn = 0;
  const int seeds = Seeds();
  for (uint64_t seed = 1; seed <= static_cast<uint64_t>(seeds); ++seed) {
    sim::DiskFaults faults;  // SimDisk's default crash model: drop, keep or tear tails
    faults.sync_latency_min_ms = 0;
    faults.sync_latency_max_ms = 3;
    SimWorld world(seed, faults);
    Rng rng(seed);
    Model model;
    LogConfig config = testing_log::SmallConfig();
    config.segment_bytes = 600 + rng.Uniform(1500);
    config.retention_bytes = rng.Chance(0.5) ? 4000 : -1;
    for (int life = 0; life < 4; ++life) {
      auto log = world.Open(config);
      ASSERT_NE(log, nullptr) << "seed " << seed;
      CheckRecovered(*log, model, seed);
      if (log->recovery_report().bytes_cut > 0) ++torn;
      RunLife(world, *log, rng, model);
      world.disk().Crash();
    }
  }
  EXPECT_GT(torn, seeds / 10) << "the crash model should tear tails often";
}

}  // namespace
}  // namespace gafka
