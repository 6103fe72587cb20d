// Byte mangling (LevelDB log_test style): a small log of two segments, then
// every truncation point and every flipped byte of every file. Reopen must
// never crash, never serve a bad record, and keep every record before the
// damage (or refuse service with kCorruption).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "core/log/partition_log.h"
#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::IndexPath;
using testing_log::LogPath;
using testing_log::RecordSpans;
using testing_log::SimWorld;

constexpr int kRecords = 5;

LogConfig MangleConfig() {
  LogConfig c = testing_log::SmallConfig();
  c.segment_bytes = 300;  // three ~92-byte records per segment: segments 0 and 3
  c.index_interval_bytes = 100;
  return c;
}

class WalMangling : public ::testing::Test {
 protected:
  void SetUp() override {
    SimWorld world;
    {
      auto log = world.Open(MangleConfig());
      world.AppendN(*log, 0, kRecords);
      original_ = *log->Read(Offset(0), 100, 1 << 20);
    }
    for (const std::string& path : {LogPath(0), IndexPath(0), LogPath(3)}) {
      auto contents = world.disk().ReadWhole(path);
      ASSERT_TRUE(contents.ok()) << path;
      files_[path] = *contents;
    }
    ASSERT_EQ(RecordSpans(files_[LogPath(0)]).size(), 3u);
    ASSERT_EQ(RecordSpans(files_[LogPath(3)]).size(), 2u);
  }

  // Writes the log's files into `world`, with `path` replaced by `contents`.
  void Reopen(const std::string& path, const std::string& contents, SimWorld& world) {
    for (const auto& [p, c] : files_) {
      ASSERT_TRUE(world.disk().WriteWhole(p, p == path ? contents : c).ok());
    }
  }

  // The record the byte at `position` of `path` belongs to (kRecords if none).
  int DamagedRecord(const std::string& path, size_t position) {
    if (path == IndexPath(0)) return kRecords;
    for (const auto& span : RecordSpans(files_[path])) {
      if (position < span.end) return static_cast<int>(span.offset.value());
    }
    return kRecords;
  }

  // Reads one record at a time: each must be the original; the first
  // failure must be kCorruption at the damaged record, and nothing after.
  void CheckServed(PartitionLog& log, int damaged, const std::string& what) {
    if (!log.failed().ok()) {
      EXPECT_EQ(log.failed().code(), Code::kCorruption) << what << log.failed().ToString();
      EXPECT_LE(damaged, kRecords) << what;
      return;
    }
    EXPECT_GE(log.end_offset(), Offset(damaged)) << what << ": lost a record before the damage";
    for (Offset o = log.start_offset(); o < log.end_offset(); ++o) {
      auto r = log.Read(o, 1, 1);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), Code::kCorruption) << what;
        EXPECT_EQ(o, Offset(damaged)) << what << ": failed away from the damaged record";
        return;
      }
      ASSERT_EQ(r->records.size(), 1u) << what;
      EXPECT_EQ(r->records[0], original_.records[o.value()]) << what << ": served a bad record";
    }
  }

  std::map<std::string, std::string> files_;
  ReadResult original_;
};

TEST_F(WalMangling, TruncatingTheActiveSegmentAnywhereKeepsEveryWholeRecord) {
  const std::string& active = files_[LogPath(3)];
  const auto spans = RecordSpans(active);
  for (size_t cut = 0; cut <= active.size(); ++cut) {
    SimWorld world;
    Reopen(LogPath(3), active.substr(0, cut), world);
    auto log = world.Open(MangleConfig());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->failed().ok()) << "cut " << cut << ": " << log->failed().ToString();
    int whole = 3;
    for (const auto& span : spans) whole += span.end <= cut ? 1 : 0;
    EXPECT_EQ(log->end_offset(), Offset(whole)) << "cut " << cut;
    CheckServed(*log, whole, "cut " + std::to_string(cut));
  }
}

TEST_F(WalMangling, TruncatingTheSealedSegmentIsCorruption) {
  const std::string& sealed = files_[LogPath(0)];
  for (size_t cut = 0; cut < sealed.size(); ++cut) {
    SimWorld world;
    Reopen(LogPath(0), sealed.substr(0, cut), world);
    auto log = world.Open(MangleConfig());
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->failed().code(), Code::kCorruption) << "cut " << cut;
  }
}

TEST_F(WalMangling, TruncatingTheIndexAnywhereOnlyCostsAScan) {
  const std::string& index = files_[IndexPath(0)];
  for (size_t cut = 0; cut < index.size(); ++cut) {
    SimWorld world;
    Reopen(IndexPath(0), index.substr(0, cut), world);
    auto log = world.Open(MangleConfig());
    ASSERT_NE(log, nullptr);
    EXPECT_TRUE(log->failed().ok()) << "cut " << cut;
    EXPECT_EQ(log->end_offset(), Offset(kRecords));
    CheckServed(*log, kRecords, "index cut " + std::to_string(cut));
  }
}

TEST_F(WalMangling, FlippingAnyByteOfAnyFileNeverServesABadRecord) {
  int corruption = 0, torn = 0, caught_by_read = 0;
  for (const auto& [path, contents] : files_) {
    for (size_t i = 0; i < contents.size(); ++i) {
      for (uint8_t mask : {0x01, 0xFF}) {
        std::string mangled = contents;
        mangled[i] = static_cast<char>(mangled[i] ^ mask);
        SimWorld world;
        Reopen(path, mangled, world);
        auto log = world.Open(MangleConfig());
        ASSERT_NE(log, nullptr);
        const std::string what =
            path + " byte " + std::to_string(i) + " mask " + std::to_string(mask);
        const bool failed_at_open = !log->failed().ok();
        CheckServed(*log, DamagedRecord(path, i), what);
        if (failed_at_open) {
          ++corruption;
          EXPECT_EQ(*world.disk().ReadWhole(path), mangled) << what << ": nothing is cut";
        } else if (!log->failed().ok()) {
          ++caught_by_read;
        } else if (log->end_offset() < Offset(kRecords)) {
          ++torn;
        }
      }
    }
  }
  std::printf("flips: %d corruption at open, %d torn tails cut, %d caught by a read\n", corruption,
              torn, caught_by_read);
  // Each outcome of the decision table was exercised.
  EXPECT_GT(corruption, 0);
  EXPECT_GT(torn, 0);
  EXPECT_GT(caught_by_read, 0);
}

}  // namespace
}  // namespace gafka
