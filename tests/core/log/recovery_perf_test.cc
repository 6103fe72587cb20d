// Recovery cost: reopening a log reads the seals of the old segments and
// scans only the tail, so reopen time does not grow with the log.
//
// The 1 GiB measurements are DISABLED_ (they write 1 GiB: 15 sealed segments
// and an active one of 62 MiB, the worst case for the scan); run them with
//   gafka_core_tests --gtest_also_run_disabled_tests --gtest_filter='LogRecoveryPerf.*'
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/log/partition_log.h"
#include "runtime-real/real_env.h"
#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::SimWorld;

struct Timed {
  double open_ms = 0;
  LogRecoveryReport report;
  Offset end;
};

// Fills a log with `total_bytes` of 64 KiB records in batches of 16, waiting
// for each batch to be durable via `run_until_durable`.
template <typename RunUntil>
void Fill(PartitionLog& log, uint64_t total_bytes, RunUntil run_until_durable) {
  std::vector<RecordInput> batch(16);
  for (size_t i = 0; i < batch.size(); ++i)
    batch[i].value.assign(64 << 10, static_cast<char>('a' + i));
  for (uint64_t written = 0; written < total_bytes; written += 16 * (64 << 10)) {
    bool durable = false;
    ASSERT_TRUE(log.Append(batch, Epoch(1), [&](Status s) { durable = s.ok(); }).ok());
    run_until_durable(durable);
    ASSERT_TRUE(durable);
  }
}

template <typename OpenFn>
Timed TimeOpen(OpenFn open) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<PartitionLog> log = open();
  const auto end = std::chrono::steady_clock::now();
  Timed t;
  t.open_ms = std::chrono::duration<double, std::milli>(end - start).count();
  t.report = log->recovery_report();
  t.end = log->end_offset();
  return t;
}

void Print(const char* what, const Timed& t) {
  std::printf("%s: reopen %.1f ms, %d segments trusted, %d scanned, %.1f MiB scanned, end %lld\n",
              what, t.open_ms, t.report.segments_trusted, t.report.segments_scanned,
              static_cast<double>(t.report.bytes_scanned) / (1 << 20),
              static_cast<long long>(t.end.value()));
}

TEST(LogRecoveryPerf, ReopenReadsOnlyTheTailOfAManySegmentLog) {
  SimWorld world;
  LogConfig config;
  config.segment_bytes = 4 << 20;
  {
    auto log = world.Open(config);
    Fill(*log, 64ull << 20, [&](bool&) { world.clock().RunAll(); });
  }
  const Timed t = TimeOpen([&] { return world.Open(config); });
  Print("64 MiB log, 4 MiB segments, SimDisk", t);
  EXPECT_GE(t.report.segments_trusted, 15);
  EXPECT_EQ(t.report.segments_scanned, 1);
  EXPECT_LE(t.report.bytes_scanned, config.segment_bytes);
}

TEST(LogRecoveryPerf, DISABLED_Reopen1GiBLogOf64MiBSegmentsOnSimDisk) {
  SimWorld world;
  LogConfig config;  // 64 MiB segments
  {
    auto log = world.Open(config);
    Fill(*log, (1ull << 30) - (2ull << 20), [&](bool&) { world.clock().RunAll(); });
  }
  const Timed t = TimeOpen([&] { return world.Open(config); });
  Print("1 GiB log, 64 MiB segments, SimDisk", t);
  EXPECT_LT(t.open_ms, 1000);
}

TEST(LogRecoveryPerf, DISABLED_Reopen1GiBLogOf64MiBSegmentsOnPosixDisk) {
  const std::filesystem::path root = std::filesystem::temp_directory_path() / "gafka-log-perf";
  std::filesystem::remove_all(root);
  LogConfig config;
  auto open_env = [&] {
    real::RealEnvOptions options;
    options.data_dir = root.string();
    options.log.min_level = LogLevel::kWarn;
    auto env = real::RealEnv::Create(options);
    EXPECT_TRUE(env.ok()) << env.status().ToString();
    return std::move(env).value();
  };
  {
    auto env = open_env();
    auto log = PartitionLog::Open(env->env(), "t-0", config);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    Fill(**log, (1ull << 30) - (2ull << 20),
         [&](bool& durable) { env->loop().RunUntil([&] { return durable; }, 60'000); });
  }
  auto env = open_env();
  const Timed t =
      TimeOpen([&] { return std::move(PartitionLog::Open(env->env(), "t-0", config)).value(); });
  Print("1 GiB log, 64 MiB segments, PosixDisk (warm page cache)", t);
  EXPECT_LT(t.open_ms, 1000);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace gafka
