// Seeded power-loss runs on SimDisk: whatever the crash tears, drops or
// keeps, every acknowledged record comes back identical, offsets stay dense,
// and recovery never mistakes a crash for corruption.
#include <gtest/gtest.h>

#include <map>

#include "core/base/rng.h"
#include "core/log/partition_log.h"
#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::SimWorld;

struct Model {
  std::map<int64_t, Record> written;  // what was appended at each offset (latest life)
  std::map<int64_t, bool> acked;
};

RecordInput RandomInput(Rng& rng, int64_t n) {
  RecordInput in;
  if (rng.Chance(0.8)) in.key = "k" + std::to_string(n);
  in.value.assign(rng.Uniform(rng.Chance(0.1) ? 900 : 120), static_cast<char>('a' + n % 26));
  if (rng.Chance(0.2)) in.headers = {{"h", std::to_string(n)}};
  return in;
}

// Appends random batches at random moments until a random crash point.
void RunLife(SimWorld& world, PartitionLog& log, Rng& rng, Model& model) {
  const int batches = static_cast<int>(rng.Range(1, 40));
  for (int b = 0; b < batches; ++b) {
    std::vector<RecordInput> batch;
    const int64_t base = log.end_offset().value();
    for (int i = 0, n = static_cast<int>(rng.Range(1, 4)); i < n; ++i) {
      batch.push_back(RandomInput(rng, base + i));
    }
    const int64_t end = base + static_cast<int64_t>(batch.size());
    auto r = log.Append(batch, Epoch(1), [&model, base, end](Status s) {
      if (!s.ok()) return;
      for (int64_t o = base; o < end; ++o) model.acked[o] = true;
    });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto written = log.Read(Offset(base), batch.size(), 1 << 30);
    ASSERT_TRUE(written.ok());
    for (Record& rec : written->records) {
      model.acked[rec.offset.value()] = false;
      model.written[rec.offset.value()] = std::move(rec);
    }
    world.clock().RunUntil(world.clock().NowMs() + rng.Range(0, 3));
  }
}

// After a crash: acknowledged records all there and identical; whatever else
// survived is what was written; the model forgets what was lost.
void CheckRecovered(PartitionLog& log, Model& model, uint64_t seed) {
  ASSERT_TRUE(log.failed().ok()) << "seed " << seed << ": " << log.failed().ToString();
  const int64_t end = log.end_offset().value();
  for (const auto& [offset, acked] : model.acked) {
    if (acked) {
      ASSERT_LT(offset, end) << "seed " << seed << ": acknowledged record lost";
    }
  }
  auto all = testing_log::ReadAll(log);
  ASSERT_TRUE(all.ok()) << "seed " << seed << ": " << all.status().ToString();
  ASSERT_EQ(static_cast<int64_t>(all->size()), end);
  for (const Record& r : *all) {
    ASSERT_EQ(r, model.written.at(r.offset.value())) << "seed " << seed;
    model.acked[r.offset.value()] = true;  // synced by the reopen
  }
  model.written.erase(model.written.lower_bound(end), model.written.end());
  model.acked.erase(model.acked.lower_bound(end), model.acked.end());
}

TEST(LogCrashRecovery, AcknowledgedRecordsSurviveEveryCrash) {
  int torn = 0;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    sim::DiskFaults faults;  // SimDisk's default crash model: drop, keep or tear tails
    faults.sync_latency_min_ms = 0;
    faults.sync_latency_max_ms = 3;
    SimWorld world(seed, faults);
    Rng rng(seed);
    Model model;
    LogConfig config = testing_log::SmallConfig();
    config.segment_bytes = 600 + rng.Uniform(1500);
    for (int life = 0; life < 4; ++life) {
      auto log = world.Open(config);
      ASSERT_NE(log, nullptr) << "seed " << seed;
      CheckRecovered(*log, model, seed);
      if (log->recovery_report().bytes_cut > 0) ++torn;
      RunLife(world, *log, rng, model);
      world.disk().Crash();
    }
  }
  EXPECT_GT(torn, 20) << "the crash model should tear tails often";
}

}  // namespace
}  // namespace gafka
