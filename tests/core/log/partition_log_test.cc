// PartitionLog: append, read, roll, index, reopen, timestamps and epochs.
#include "core/log/partition_log.h"

#include <gtest/gtest.h>

#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::ExpectRecordIs;
using testing_log::Input;
using testing_log::ReadAll;
using testing_log::SimWorld;
using testing_log::SmallConfig;

auto Ignore() {
  return [](Status) {};
}

TEST(PartitionLog, EmptyDirectoryOpensAsAnEmptyLogAtOffsetZero) {
  SimWorld world;
  auto log = world.Open();
  EXPECT_EQ(log->start_offset(), Offset(0));
  EXPECT_EQ(log->end_offset(), Offset(0));
  EXPECT_EQ(log->durable_offset(), Offset(0));
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_TRUE(log->failed().ok());
  EXPECT_TRUE(world.disk().Exists(std::string(testing_log::kDir) + "/00000000000000000000.log"));
  auto read = log->Read(Offset(0), 10, 1000);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->records.empty());
  EXPECT_EQ(read->next_offset, Offset(0));
}

TEST(PartitionLog, AppendAssignsDenseOffsetsAndReadReturnsThem) {
  SimWorld world;
  auto log = world.Open();
  std::vector<RecordInput> batch = {Input(0), Input(1), Input(2)};
  batch[1].key.reset();
  batch[2].headers = {{"h", "v"}};
  batch[2].timestamp_ms = 77;
  auto r = log->Append(batch, Epoch(5), Ignore());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base_offset, Offset(0));
  EXPECT_EQ(r->timestamp_ms, world.clock().WallMs());
  auto r2 = log->Append(std::vector<RecordInput>{Input(3)}, Epoch(5), Ignore());
  EXPECT_EQ(r2->base_offset, Offset(3));
  EXPECT_EQ(log->end_offset(), Offset(4));
  auto read = log->Read(Offset(0), 100, 1 << 20);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->records.size(), 4u);
  EXPECT_EQ(read->next_offset, Offset(4));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(read->records[i].offset, Offset(i));
  EXPECT_EQ(read->records[1].key, std::nullopt);
  EXPECT_EQ(read->records[2].headers, batch[2].headers);
  EXPECT_EQ(read->records[2].timestamp_ms, 77);
  EXPECT_EQ(read->records[0].timestamp_ms, r->timestamp_ms);
  EXPECT_EQ(read->records[3].epoch, Epoch(5));
}

TEST(PartitionLog, ReadRespectsCountByteBudgetAndLimit) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 10);
  const size_t record_bytes = 44 + 5 + 42;  // header + "key-i" + "i:" + 40 letters
  auto by_count = log->Read(Offset(2), 3, 1 << 20);
  ASSERT_EQ(by_count->records.size(), 3u);
  EXPECT_EQ(by_count->next_offset, Offset(5));
  auto by_bytes = log->Read(Offset(2), 100, 2 * record_bytes + 1);
  EXPECT_EQ(by_bytes->records.size(), 2u);
  auto at_least_one = log->Read(Offset(2), 100, 1);
  ASSERT_EQ(at_least_one->records.size(), 1u);
  ExpectRecordIs(at_least_one->records[0], 2);
  auto limited = log->Read(Offset(2), 100, 1 << 20, Offset(6));
  EXPECT_EQ(limited->records.size(), 4u);
  EXPECT_EQ(limited->next_offset, Offset(6));
  auto at_limit = log->Read(Offset(6), 100, 1 << 20, Offset(6));
  EXPECT_TRUE(at_limit->records.empty());
  EXPECT_EQ(log->Read(Offset(11), 1, 100).status().code(), Code::kOutOfRange);
  EXPECT_TRUE(log->Read(Offset(10), 1, 100)->records.empty());
}

TEST(PartitionLog, RollsBySizeAndReadsAcrossSegments) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 60);  // ~92 bytes each, 1024-byte segments: 11 per segment
  EXPECT_GE(log->segment_count(), 5u);
  EXPECT_LE(log->size_bytes(), log->segment_count() * SmallConfig().segment_bytes);
  auto all = ReadAll(*log);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 60u);
  for (int i = 0; i < 60; ++i) ExpectRecordIs((*all)[i], i);
}

TEST(PartitionLog, SegmentNeverExceedsSegmentBytesUnlessOneRecordDoes) {
  SimWorld world;
  auto log = world.Open();
  std::vector<RecordInput> batch;
  for (int i = 0; i < 30; ++i) batch.push_back(Input(i));
  ASSERT_TRUE(log->Append(batch, Epoch(1), Ignore()).ok());  // one batch spans segments
  world.clock().RunAll();
  auto names = world.disk().List(testing_log::kDir);
  for (const std::string& name : *names) {
    if (name.ends_with(".log")) {
      EXPECT_LE(world.disk().ReadWhole(std::string(testing_log::kDir) + "/" + name)->size(),
                SmallConfig().segment_bytes);
    }
  }
  ASSERT_TRUE(log->Append(std::vector<RecordInput>{Input(30, 3000)}, Epoch(1), Ignore()).ok());
  auto big = log->Read(Offset(30), 1, 1);
  ASSERT_TRUE(big.ok());
  ExpectRecordIs(big->records[0], 30, 3000);
}

TEST(PartitionLog, RollsByAgeOfTheActiveSegment) {
  SimWorld world;
  LogConfig config = SmallConfig();
  config.segment_bytes = 1 << 20;
  config.segment_ms = 1000;
  const Millis created_ms = world.clock().NowMs();
  auto log = world.Open(config);
  world.AppendN(*log, 0, 3);
  EXPECT_EQ(log->segment_count(), 1u);
  world.clock().RunUntil(created_ms + 998);
  world.AppendN(*log, 3, 1);  // appended at 998 (its sync ends at 999)
  EXPECT_EQ(log->segment_count(), 1u);
  world.clock().RunUntil(created_ms + 1000);
  world.AppendN(*log, 4, 1);
  EXPECT_EQ(log->segment_count(), 2u);
  // An empty active segment never rolls, however old.
  world.clock().RunUntil(world.clock().NowMs() + 5000);
  EXPECT_EQ(log->segment_count(), 2u);
}

TEST(PartitionLog, IndexLookupsLandOnTheRightRecordBeforeAndAfterReopen) {
  SimWorld world;
  LogConfig config = SmallConfig();
  config.segment_bytes = 4096;
  config.index_interval_bytes = 200;
  {
    auto log = world.Open(config);
    world.AppendN(*log, 0, 150);
    for (int i = 0; i < 150; ++i) ExpectRecordIs(log->Read(Offset(i), 1, 1)->records[0], i);
  }
  auto log = world.Open(config);
  EXPECT_GT(log->recovery_report().segments_trusted, 0);
  for (int i = 149; i >= 0; --i) ExpectRecordIs(log->Read(Offset(i), 1, 1)->records[0], i);
}

TEST(PartitionLog, ReopenAfterCleanCloseKeepsEverything) {
  SimWorld world;
  std::map<Epoch, Offset> epochs;
  {
    auto log = world.Open();
    world.AppendN(*log, 0, 25);
    ASSERT_TRUE(log->Append(std::vector<RecordInput>{Input(25)}, Epoch(2), Ignore()).ok());
    world.clock().RunAll();
    epochs = log->epoch_starts();
  }
  auto log = world.Open();
  EXPECT_TRUE(log->failed().ok());
  EXPECT_EQ(log->end_offset(), Offset(26));
  EXPECT_EQ(log->durable_offset(), Offset(26));
  EXPECT_EQ(log->epoch_starts(), epochs);
  EXPECT_EQ(log->epoch_starts(),
            (std::map<Epoch, Offset>{{Epoch(1), Offset(0)}, {Epoch(2), Offset(25)}}));
  EXPECT_EQ(log->recovery_report().bytes_cut, 0u);
  auto all = ReadAll(*log);
  ASSERT_EQ(all->size(), 26u);
  for (int i = 0; i < 26; ++i) ExpectRecordIs((*all)[i], i);
  std::vector<RecordInput> more = {Input(26), Input(27)};
  for (const Status& s : world.AppendAndSync(*log, more, Epoch(2))) EXPECT_TRUE(s.ok());
  EXPECT_EQ(log->end_offset(), Offset(28));  // appends continue densely
}

TEST(PartitionLog, OffsetForTimestampFindsTheFirstRecordAtOrAfter) {
  SimWorld world;
  auto log = world.Open();
  std::vector<RecordInput> inputs;
  for (int i = 0; i < 40; ++i) {
    inputs.push_back(Input(i));
    inputs.back().timestamp_ms = 1000 + 10 * i;
  }
  inputs[20].timestamp_ms = 5;  // out of order: a producer's own clock
  for (const Status& s : world.AppendAndSync(*log, inputs)) ASSERT_TRUE(s.ok());
  EXPECT_EQ(*log->OffsetForTimestamp(0), Offset(0));
  EXPECT_EQ(*log->OffsetForTimestamp(1000), Offset(0));
  EXPECT_EQ(*log->OffsetForTimestamp(1001), Offset(1));
  EXPECT_EQ(*log->OffsetForTimestamp(1195), Offset(21));
  EXPECT_EQ(*log->OffsetForTimestamp(1390), Offset(39));
  EXPECT_EQ(*log->OffsetForTimestamp(1391), Offset(40));
}

TEST(PartitionLog, EpochStartsTrackEachLeaderEpoch) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 3);
  ASSERT_TRUE(log->Append(std::vector<RecordInput>{Input(3)}, Epoch(4), Ignore()).ok());
  EXPECT_EQ(log->epoch_starts(),
            (std::map<Epoch, Offset>{{Epoch(1), Offset(0)}, {Epoch(4), Offset(3)}}));
  auto stale = log->Append(std::vector<RecordInput>{Input(4)}, Epoch(2), Ignore());
  EXPECT_EQ(stale.status().code(), Code::kConflict);
  EXPECT_EQ(log->end_offset(), Offset(4));
}

TEST(PartitionLog, AppendReplicatedKeepsTheLeadersOffsetsAndEpochs) {
  SimWorld world;
  auto leader = world.Open();
  world.AppendN(*leader, 0, 12);
  auto records = leader->Read(Offset(0), 100, 1 << 20)->records;
  SimWorld follower_world(2);
  auto follower = follower_world.Open();
  EXPECT_EQ(follower->AppendReplicated(std::span(records).subspan(1), Ignore()).code(),
            Code::kInvalidArgument);
  Status durable = Internal("not called");
  ASSERT_TRUE(follower->AppendReplicated(records, [&](Status s) { durable = s; }).ok());
  follower_world.clock().RunAll();
  EXPECT_TRUE(durable.ok());
  EXPECT_EQ(*ReadAll(*follower), records);
}

TEST(PartitionLog, OversizedRecordIsRefusedWithoutSideEffects) {
  SimWorld world;
  auto log = world.Open();
  RecordInput huge = Input(0);
  huge.value.assign(wal::kMaxRecordLength, 'x');
  auto r = log->Append(std::vector<RecordInput>{huge}, Epoch(1), Ignore());
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
  EXPECT_EQ(log->end_offset(), Offset(0));
  EXPECT_EQ(log->Append(std::span<const RecordInput>(), Epoch(1), Ignore()).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace gafka
