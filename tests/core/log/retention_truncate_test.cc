// Retention (by size and by time: whole sealed segments only) and Truncate
// (replication divergence).
#include <gtest/gtest.h>

#include "core/log/partition_log.h"
#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::ExpectRecordIs;
using testing_log::Input;
using testing_log::LogPath;
using testing_log::ReadAll;
using testing_log::SegmentBases;
using testing_log::SimWorld;
using testing_log::SmallConfig;

TEST(LogRetention, BySizeDeletesWholeOldSegmentsOnly) {
  SimWorld world;
  LogConfig config = SmallConfig();
  config.retention_bytes = 3000;
  auto log = world.Open(config);
  world.AppendN(*log, 0, 60);  // segments 0, 11, 22, 33, 44, 55
  // 5560 bytes: dropping 0 (1003) and 11 (1023) leaves 3534 >= 3000; dropping
  // 22 too would leave 2511 < 3000.
  EXPECT_EQ(log->size_bytes(), 5560u);
  EXPECT_EQ(log->ApplyRetention(), 2);
  EXPECT_EQ(log->start_offset(), Offset(22));
  EXPECT_EQ(log->size_bytes(), 3534u);
  EXPECT_EQ(SegmentBases(world.disk()), (std::vector<int64_t>{22, 33, 44, 55}));
  EXPECT_FALSE(world.disk().Exists(testing_log::IndexPath(0)));
  EXPECT_EQ(log->Read(Offset(21), 1, 1).status().code(), Code::kOutOfRange);
  ExpectRecordIs(log->Read(Offset(22), 1, 1)->records[0], 22);
  EXPECT_EQ(log->ApplyRetention(), 0);
  log.reset();
  auto reopened = world.Open(config);
  EXPECT_EQ(reopened->start_offset(), Offset(22));
  EXPECT_EQ(reopened->end_offset(), Offset(60));
}

TEST(LogRetention, ByTimeComparesEachSegmentsNewestRecordWithWallTime) {
  SimWorld world;
  LogConfig config = SmallConfig();
  config.retention_ms = 10'000;
  auto log = world.Open(config);
  world.AppendN(*log, 0, 30);  // segments 0, 11 and the start of 22
  world.clock().RunUntil(world.clock().NowMs() + 10'001);
  world.AppendN(*log, 30, 20);  // segment 22 now also holds fresh records
  EXPECT_EQ(log->ApplyRetention(), 2);
  EXPECT_EQ(log->start_offset(), Offset(22));
  EXPECT_EQ(log->epoch_starts(), (std::map<Epoch, Offset>{{Epoch(1), Offset(22)}}));
}

TEST(LogRetention, NeverDeletesTheActiveSegmentOrOneNotYetSealed) {
  SimWorld world;
  LogConfig config = SmallConfig();
  config.retention_bytes = 0;
  auto log = world.Open(config);
  std::vector<RecordInput> batch;
  for (int i = 0; i < 30; ++i) batch.push_back(Input(i));
  ASSERT_TRUE(log->Append(batch, Epoch(1), [](Status) {}).ok());
  EXPECT_EQ(log->ApplyRetention(), 0) << "rolled segments are sealed only after their sync";
  world.clock().RunAll();
  EXPECT_EQ(log->ApplyRetention(), 2);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(log->start_offset(), Offset(22));
  EXPECT_EQ(ReadAll(*log)->size(), 8u);
}

TEST(LogTruncate, CutsWithinASegmentAndDeletesLaterOnes) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 40);
  ASSERT_TRUE(log->Truncate(Offset(15)).ok());
  EXPECT_EQ(log->end_offset(), Offset(15));
  EXPECT_EQ(log->durable_offset(), Offset(15));
  EXPECT_EQ(SegmentBases(world.disk()), (std::vector<int64_t>{0, 11}));
  auto all = ReadAll(*log);
  ASSERT_EQ(all->size(), 15u);
  RecordInput replacement = Input(15);
  replacement.value = "from the new leader";
  ASSERT_TRUE(log->Append(std::vector<RecordInput>{replacement}, Epoch(2), [](Status) {}).ok());
  world.clock().RunAll();
  log.reset();
  auto reopened = world.Open();
  EXPECT_EQ(reopened->end_offset(), Offset(16));
  EXPECT_EQ(reopened->Read(Offset(15), 1, 1)->records[0].value, "from the new leader");
  EXPECT_EQ(reopened->epoch_starts(),
            (std::map<Epoch, Offset>{{Epoch(1), Offset(0)}, {Epoch(2), Offset(15)}}));
}

// Reads remember where they ended (Segment::ReadStart): a cut makes those
// positions wrong, and records appended after it must be read at their own.
TEST(LogTruncate, ReadsAfterACutDoNotUseWhereEarlierReadsEnded) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 40);
  auto first = log->Read(Offset(13), 3, 1 << 20);  // ends at 16, inside segment 11
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->records.size(), 3u);
  auto tail = log->Read(Offset(16), 2, 1 << 20);  // continues from the hint
  ASSERT_TRUE(tail.ok());
  ExpectRecordIs(tail->records[0], 16);
  ASSERT_TRUE(log->Truncate(Offset(14)).ok());
  std::vector<RecordInput> replacements;
  for (int i = 14; i < 20; ++i) {
    RecordInput in = Input(i);
    in.value = "new " + std::to_string(i) + std::string(static_cast<size_t>(i), 'x');
    replacements.push_back(in);
  }
  ASSERT_TRUE(log->Append(replacements, Epoch(2), [](Status) {}).ok());
  world.clock().RunAll();
  auto again = log->Read(Offset(16), 2, 1 << 20);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->records.size(), 2u);
  EXPECT_EQ(again->records[0].offset, Offset(16));
  EXPECT_EQ(again->records[0].value, "new 16" + std::string(16, 'x'));
  EXPECT_EQ(again->records[1].value, "new 17" + std::string(17, 'x'));
  EXPECT_TRUE(log->failed().ok());
}

TEST(LogTruncate, IntoASealedSegmentUnsealsItAndItBecomesActive) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 30);
  ASSERT_TRUE(world.disk().Exists(testing_log::IndexPath(0)));
  ASSERT_TRUE(log->Truncate(Offset(5)).ok());
  EXPECT_FALSE(world.disk().Exists(testing_log::IndexPath(0)));
  EXPECT_EQ(log->segment_count(), 1u);
  world.AppendN(*log, 5, 20);
  world.clock().RunAll();
  log.reset();
  auto reopened = world.Open();
  EXPECT_TRUE(reopened->failed().ok());
  auto all = ReadAll(*reopened);
  ASSERT_EQ(all->size(), 25u);
  for (int i = 0; i < 25; ++i) ExpectRecordIs((*all)[i], i);
}

TEST(LogTruncate, DropsEpochStartsAtOrAboveTheCut) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 10);
  ASSERT_TRUE(
      log->Append(std::vector<RecordInput>{Input(10), Input(11)}, Epoch(3), [](Status) {}).ok());
  world.clock().RunAll();
  ASSERT_TRUE(log->Truncate(Offset(10)).ok());
  EXPECT_EQ(log->epoch_starts(), (std::map<Epoch, Offset>{{Epoch(1), Offset(0)}}));
  ASSERT_TRUE(log->Truncate(Offset(0)).ok());
  EXPECT_TRUE(log->epoch_starts().empty());
  EXPECT_EQ(log->end_offset(), Offset(0));
  EXPECT_EQ(log->size_bytes(), 0u);
}

TEST(LogTruncate, PendingDurableCallbacksAboveTheCutFailAndOthersSucceed) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 3);
  std::vector<Status> results(3, Internal("not called"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(log->Append(std::vector<RecordInput>{Input(3 + i)}, Epoch(1),
                            [&results, i](Status s) { results[i] = s; })
                    .ok());
  }
  ASSERT_TRUE(log->Truncate(Offset(4)).ok());
  EXPECT_EQ(results[2].code(), Code::kInternal) << "never called inside Truncate";
  world.clock().RunAll();
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), Code::kConflict);
  EXPECT_EQ(results[2].code(), Code::kConflict);
  EXPECT_EQ(log->durable_offset(), Offset(4));
}

TEST(LogTruncate, OutsideTheLogIsOutOfRange) {
  SimWorld world;
  LogConfig config = SmallConfig();
  config.retention_bytes = 1000;
  auto log = world.Open(config);
  world.AppendN(*log, 0, 30);
  ASSERT_GT(log->ApplyRetention(), 0);
  EXPECT_EQ(log->Truncate(log->start_offset() - 1).code(), Code::kOutOfRange);
  EXPECT_EQ(log->Truncate(Offset(31)).code(), Code::kOutOfRange);
  EXPECT_TRUE(log->Truncate(Offset(30)).ok());
  EXPECT_EQ(log->end_offset(), Offset(30));
}

}  // namespace
}  // namespace gafka
