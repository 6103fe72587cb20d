// Recovery on Open: torn tails are cut, corruption is reported and refused,
// sealed segments are trusted without being read.
#include <gtest/gtest.h>

#include "core/log/partition_log.h"
#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::ExpectRecordIs;
using testing_log::IndexPath;
using testing_log::LogPath;
using testing_log::ReadAll;
using testing_log::RecordSpans;
using testing_log::SegmentBases;
using testing_log::SimWorld;

// A closed log with `count` records (several segments with SmallConfig).
void Build(SimWorld& world, int count) {
  auto log = world.Open();
  world.AppendN(*log, 0, count);
}

void Replace(SimWorld& world, const std::string& path, const std::string& contents) {
  ASSERT_TRUE(world.disk().WriteWhole(path, contents).ok());
}

std::string Contents(SimWorld& world, const std::string& path) {
  return *world.disk().ReadWhole(path);
}

void ExpectRecords(PartitionLog& log, int count) {
  auto all = ReadAll(log);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) ExpectRecordIs((*all)[i], i);
}

TEST(SegmentRecovery, TornTrailingRecordIsCut) {
  SimWorld world;
  Build(world, 5);  // one segment
  const std::string bytes = Contents(world, LogPath(0));
  const auto spans = RecordSpans(bytes);
  Replace(world, LogPath(0), bytes.substr(0, spans[4].begin + 17));
  auto log = world.Open();
  EXPECT_TRUE(log->failed().ok());
  EXPECT_EQ(log->end_offset(), Offset(4));
  EXPECT_EQ(log->recovery_report().bytes_cut, 17u);
  EXPECT_NE(log->recovery_report().detail.find("torn tail"), std::string::npos);
  EXPECT_EQ(Contents(world, LogPath(0)).size(), spans[4].begin);
  ExpectRecords(*log, 4);
  world.AppendN(*log, 4, 2);  // appends continue at the cut
  ExpectRecords(*log, 6);
}

TEST(SegmentRecovery, GarbageAndZerosAfterTheLastRecordAreCut) {
  for (const std::string& tail :
       {std::string(4096, '\0'), std::string("\x07\xff garbage \x67"), std::string(3, '\x01')}) {
    SimWorld world;
    Build(world, 5);
    const std::string bytes = Contents(world, LogPath(0));
    Replace(world, LogPath(0), bytes + tail);
    auto log = world.Open();
    EXPECT_TRUE(log->failed().ok());
    EXPECT_EQ(log->recovery_report().bytes_cut, tail.size());
    ExpectRecords(*log, 5);
  }
}

TEST(SegmentRecovery, CorruptionBeforeTheTailIsReportedAndRefused) {
  SimWorld world;
  Build(world, 5);
  std::string bytes = Contents(world, LogPath(0));
  const auto spans = RecordSpans(bytes);
  bytes[spans[2].begin + 50] ^= 0x01;  // a value byte of offset 2
  Replace(world, LogPath(0), bytes);
  auto log = world.Open();
  const Status& failed = log->failed();
  EXPECT_EQ(failed.code(), Code::kCorruption);
  EXPECT_NE(failed.message().find("00000000000000000000.log"), std::string::npos);
  EXPECT_NE(failed.message().find("byte " + std::to_string(spans[2].begin)), std::string::npos)
      << failed.message();
  EXPECT_NE(failed.message().find("offset 2"), std::string::npos) << failed.message();
  EXPECT_EQ(log->Read(Offset(0), 1, 100).status().code(), Code::kCorruption);
  EXPECT_EQ(log->Append(std::vector<RecordInput>{testing_log::Input(9)}, Epoch(1), [](Status) {})
                .status()
                .code(),
            Code::kCorruption);
  EXPECT_EQ(Contents(world, LogPath(0)), bytes) << "nothing is cut";
}

TEST(SegmentRecovery, CorruptionInASealedSegmentIsCaughtByTheRead) {
  SimWorld world;
  Build(world, 30);
  std::string bytes = Contents(world, LogPath(0));
  const auto spans = RecordSpans(bytes);
  bytes[spans[3].begin + 60] ^= 0x40;
  Replace(world, LogPath(0), bytes);
  auto log = world.Open();
  ASSERT_TRUE(log->failed().ok()) << "sealed segments are trusted, not scanned";
  for (int i = 0; i < 3; ++i) ExpectRecordIs(log->Read(Offset(i), 1, 1)->records[0], i);
  auto bad = log->Read(Offset(3), 1, 1);
  ASSERT_EQ(bad.status().code(), Code::kCorruption);
  EXPECT_NE(bad.status().message().find("00000000000000000000.log at byte " +
                                        std::to_string(spans[3].begin)),
            std::string::npos)
      << bad.status().message();
  EXPECT_EQ(log->Read(Offset(20), 1, 1).status().code(), Code::kCorruption);
  EXPECT_EQ(log->failed().code(), Code::kCorruption);
}

TEST(SegmentRecovery, SealedSegmentShorterThanItsSealIsCorruption) {
  SimWorld world;
  Build(world, 30);
  const std::string bytes = Contents(world, LogPath(0));
  Replace(world, LogPath(0), bytes.substr(0, bytes.size() - 1));
  auto log = world.Open();
  EXPECT_EQ(log->failed().code(), Code::kCorruption);
  EXPECT_NE(log->failed().message().find("synced data vanished"), std::string::npos);
}

TEST(SegmentRecovery, SealedSegmentsAreNotScanned) {
  SimWorld world;
  Build(world, 400);
  const auto bases = SegmentBases(world.disk());
  ASSERT_GE(bases.size(), 30u);
  auto log = world.Open();
  const auto& report = log->recovery_report();
  EXPECT_EQ(report.segments_trusted, static_cast<int>(bases.size()) - 1);
  EXPECT_EQ(report.segments_scanned, 1);
  EXPECT_LE(report.bytes_scanned, Contents(world, LogPath(bases.back())).size());
  ExpectRecords(*log, 400);
}

TEST(SegmentRecovery, InvalidOrMissingIndexMeansTheSegmentIsScannedAndResealed) {
  SimWorld world;
  Build(world, 30);
  std::string index = Contents(world, IndexPath(0));
  index[3] ^= 0x01;
  Replace(world, IndexPath(0), index);
  ASSERT_TRUE(world.disk().Remove(IndexPath(11)).ok());
  auto log = world.Open();
  EXPECT_TRUE(log->failed().ok());
  EXPECT_EQ(log->recovery_report().segments_scanned, 3);
  ExpectRecords(*log, 30);
  log.reset();
  auto again = world.Open();
  EXPECT_EQ(again->recovery_report().segments_scanned, 1) << "resealed on the first reopen";
}

TEST(SegmentRecovery, OrphanIndexIsRemoved) {
  SimWorld world;
  Build(world, 3);
  Replace(world, IndexPath(500), "stale");
  auto log = world.Open();
  EXPECT_FALSE(world.disk().Exists(IndexPath(500)));
  ExpectRecords(*log, 3);
}

// A crash during a roll: the old segment's unsynced tail is torn while the
// new segment's unsynced records survived. Nothing after the tear can have
// been acknowledged (syncs go oldest first), so all of it goes.
TEST(SegmentRecovery, TornUnsealedSegmentBeforeTheActiveOneDropsTheLaterSegments) {
  SimWorld world;
  Build(world, 15);
  ASSERT_EQ(SegmentBases(world.disk()), (std::vector<int64_t>{0, 11}));
  ASSERT_TRUE(world.disk().Remove(IndexPath(0)).ok());
  const std::string bytes = Contents(world, LogPath(0));
  const auto spans = RecordSpans(bytes);
  Replace(world, LogPath(0), bytes.substr(0, spans[9].begin + 30));
  auto log = world.Open();
  EXPECT_TRUE(log->failed().ok()) << log->failed().ToString();
  EXPECT_EQ(log->recovery_report().segments_removed, 1);
  EXPECT_FALSE(world.disk().Exists(LogPath(11)));
  ExpectRecords(*log, 9);
}

TEST(SegmentRecovery, UnsealedSegmentEndingShortOfTheNextBaseDropsTheLaterSegments) {
  SimWorld world;
  Build(world, 15);
  ASSERT_TRUE(world.disk().Remove(IndexPath(0)).ok());
  const std::string bytes = Contents(world, LogPath(0));
  Replace(world, LogPath(0), bytes.substr(0, RecordSpans(bytes)[10].begin));
  auto log = world.Open();
  EXPECT_TRUE(log->failed().ok());
  EXPECT_EQ(log->recovery_report().segments_removed, 1);
  ExpectRecords(*log, 10);
}

// A sealed later segment proves the earlier one was synced completely: damage
// there is corruption, not a torn tail.
TEST(SegmentRecovery, DamagedUnsealedSegmentBeforeASealedOneIsCorruption) {
  SimWorld world;
  Build(world, 30);
  ASSERT_GE(SegmentBases(world.disk()).size(), 3u);
  ASSERT_TRUE(world.disk().Remove(IndexPath(0)).ok());
  const std::string bytes = Contents(world, LogPath(0));
  Replace(world, LogPath(0), bytes.substr(0, bytes.size() - 5));
  auto log = world.Open();
  EXPECT_EQ(log->failed().code(), Code::kCorruption);
  EXPECT_NE(log->failed().message().find("sealed segment"), std::string::npos);
  EXPECT_TRUE(world.disk().Exists(LogPath(11))) << "nothing removed";
}

TEST(SegmentRecovery, MissingSegmentInTheMiddleIsCorruption) {
  SimWorld world;
  Build(world, 40);
  ASSERT_TRUE(world.disk().Remove(LogPath(11)).ok());
  ASSERT_TRUE(world.disk().Remove(IndexPath(11)).ok());
  auto log = world.Open();
  EXPECT_EQ(log->failed().code(), Code::kCorruption);
  EXPECT_NE(log->failed().message().find("previous segment ends at offset 11"), std::string::npos)
      << log->failed().message();
}

}  // namespace
}  // namespace gafka
