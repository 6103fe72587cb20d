// RecordCursor: sequential, buffered, CRC-checked reads of a segment file.
#include "core/log/segment.h"

#include <gtest/gtest.h>

#include "tests/core/log/log_test_util.h"

namespace gafka::wal {
namespace {

// A file of records with sizes from tiny to several chunks.
std::string Records(int count) {
  std::string bytes;
  for (int i = 0; i < count; ++i) {
    Record r;
    r.offset = Offset(i);
    r.value.assign(static_cast<size_t>((i * 37) % 300), static_cast<char>('a' + i % 26));
    EncodeRecord(r, &bytes);
  }
  return bytes;
}

TEST(SegmentRecordCursor, ReadsEveryRecordOnceWhateverTheChunkSize) {
  testing_log::SimWorld world;
  const std::string bytes = Records(40);
  ASSERT_TRUE(world.disk().WriteWhole("f.log", bytes).ok());
  auto file = std::move(world.disk().Open("f.log", OpenMode::kOpenExisting)).value();
  for (size_t chunk : {size_t{44}, size_t{100}, size_t{1000}, size_t{1 << 20}}) {
    RecordCursor cursor(*file, 0, bytes.size(), chunk);
    for (int i = 0; i < 40; ++i) {
      Checked c;
      Record r;
      auto step = cursor.Next(&c, &r);
      ASSERT_TRUE(step.ok());
      ASSERT_EQ(*step, RecordCursor::Step::kRecord) << "chunk " << chunk << " record " << i;
      EXPECT_EQ(r.offset, Offset(i));
      EXPECT_EQ(r.value.size(), static_cast<size_t>((i * 37) % 300));
    }
    Checked c;
    EXPECT_EQ(*cursor.Next(&c, nullptr), RecordCursor::Step::kEnd);
    EXPECT_EQ(cursor.bytes_read(), bytes.size()) << "no byte read twice, chunk " << chunk;
  }
}

TEST(SegmentRecordCursor, StopsAtTheFirstBadRecordWithoutMovingPastIt) {
  testing_log::SimWorld world;
  std::string bytes = Records(5);
  const auto spans = testing_log::RecordSpans(bytes);
  bytes[spans[3].begin + 20] ^= 0x08;
  ASSERT_TRUE(world.disk().WriteWhole("f.log", bytes).ok());
  auto file = std::move(world.disk().Open("f.log", OpenMode::kOpenExisting)).value();
  RecordCursor cursor(*file, 0, bytes.size(), 64);
  Checked c;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(*cursor.Next(&c, nullptr), RecordCursor::Step::kRecord);
  EXPECT_EQ(*cursor.Next(&c, nullptr), RecordCursor::Step::kBad);
  EXPECT_EQ(c.outcome, DecodeOutcome::kBadCrc);
  EXPECT_EQ(cursor.position(), spans[3].begin);
}

TEST(SegmentRecordCursor, AFileShorterThanExpectedEndsInATruncatedRecord) {
  testing_log::SimWorld world;
  const std::string bytes = Records(3);
  ASSERT_TRUE(world.disk().WriteWhole("f.log", bytes.substr(0, bytes.size() - 1)).ok());
  auto file = std::move(world.disk().Open("f.log", OpenMode::kOpenExisting)).value();
  RecordCursor cursor(*file, 0, bytes.size());
  Checked c;
  for (int i = 0; i < 2; ++i) ASSERT_EQ(*cursor.Next(&c, nullptr), RecordCursor::Step::kRecord);
  EXPECT_EQ(*cursor.Next(&c, nullptr), RecordCursor::Step::kBad);
  EXPECT_EQ(c.outcome, DecodeOutcome::kTruncated);
}

}  // namespace
}  // namespace gafka::wal
