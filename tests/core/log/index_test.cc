// The sparse segment index and its sealed file format.
#include "core/log/index.h"

#include <gtest/gtest.h>

#include "core/log/segment.h"

namespace gafka::wal {
namespace {

// 20 records of 100 bytes from offset 1000, timestamps 10, 20, ...; the
// epoch changes from 3 to 4 at offset 1010.
SegmentIndex Build(uint64_t interval_bytes = 250) {
  SegmentIndex index(Offset(1000), interval_bytes);
  for (int i = 0; i < 20; ++i) {
    index.Add(Offset(1000 + i), static_cast<uint64_t>(i) * 100, 100, (i + 1) * 10,
              Epoch(i < 10 ? 3 : 4));
  }
  return index;
}

TEST(SegmentIndex, AddsOneEntryPerIntervalBytes) {
  const SegmentIndex index = Build();
  // Positions 300, 600, ... : the first record starting >= 250 bytes after the last entry.
  ASSERT_EQ(index.entries().size(), 6u);
  EXPECT_EQ(index.entries()[0], (IndexEntry{3, 300, 30}));
  EXPECT_EQ(index.entries()[1], (IndexEntry{6, 600, 60}));
  EXPECT_EQ(index.next_offset(), Offset(1020));
  EXPECT_EQ(index.size(), 2000u);
  EXPECT_EQ(index.max_timestamp_ms(), 200);
  EXPECT_EQ(index.epochs(),
            (std::vector<EpochStart>{{Epoch(3), Offset(1000)}, {Epoch(4), Offset(1010)}}));
}

TEST(SegmentIndex, LookupLandsOnTheLastBoundaryAtOrBefore) {
  const SegmentIndex index = Build();
  for (int i = 0; i < 20; ++i) {
    const IndexPosition p = index.Lookup(Offset(1000 + i));
    EXPECT_LE(p.offset, Offset(1000 + i));
    EXPECT_GT(p.offset + 3, Offset(1000 + i)) << "at most one interval of records to skip";
    EXPECT_EQ(p.position, static_cast<uint64_t>(p.offset - Offset(1000)) * 100);
  }
  EXPECT_EQ(index.Lookup(Offset(1000)).position, 0u);
}

TEST(SegmentIndex, TimestampLookupNeverSkipsAMatch) {
  const SegmentIndex index = Build();
  for (Millis ts = 0; ts <= 210; ts += 5) {
    const IndexPosition p = index.LookupTimestamp(ts);
    // Every record before the returned position has a timestamp below ts.
    const int skipped = static_cast<int>(p.offset - Offset(1000));
    for (int i = 0; i < skipped; ++i) EXPECT_LT((i + 1) * 10, ts);
  }
}

TEST(SegmentIndex, TruncateForgetsEntriesAndEpochsAtOrAfterTheCut) {
  SegmentIndex index = Build();
  index.Truncate(Offset(1006), 600, 60);
  EXPECT_EQ(index.entries().size(), 1u);
  EXPECT_EQ(index.epochs().size(), 1u);
  EXPECT_EQ(index.next_offset(), Offset(1006));
  // Appending again indexes exactly as before.
  for (int i = 6; i < 20; ++i) {
    index.Add(Offset(1000 + i), static_cast<uint64_t>(i) * 100, 100, (i + 1) * 10,
              Epoch(i < 10 ? 3 : 4));
  }
  EXPECT_EQ(index.entries(), Build().entries());
}

TEST(SegmentIndex, FileRoundTrips) {
  const SegmentIndex index = Build();
  const std::string file = index.EncodeFile();
  EXPECT_EQ(file.size(), 6 * kIndexEntrySize + 2 * kEpochEntrySize + kIndexFooterSize);
  auto decoded = SegmentIndex::DecodeFile(file, Offset(1000), 250);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->entries(), index.entries());
  EXPECT_EQ(decoded->epochs(), index.epochs());
  EXPECT_EQ(decoded->next_offset(), index.next_offset());
  EXPECT_EQ(decoded->size(), index.size());
  EXPECT_EQ(decoded->max_timestamp_ms(), index.max_timestamp_ms());
}

TEST(SegmentIndex, EmptySegmentFileRoundTrips) {
  const SegmentIndex index(Offset(5), 100);
  auto decoded = SegmentIndex::DecodeFile(index.EncodeFile(), Offset(5), 100);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(SegmentIndex, FileOfAnotherSegmentIsRejected) {
  EXPECT_EQ(SegmentIndex::DecodeFile(Build().EncodeFile(), Offset(999), 250).status().code(),
            Code::kCorruption);
}

TEST(SegmentIndex, EveryTruncationOrFlipOfTheFileIsRejected) {
  const std::string file = Build().EncodeFile();
  for (size_t n = 0; n < file.size(); ++n) {
    EXPECT_FALSE(SegmentIndex::DecodeFile(file.substr(0, n), Offset(1000), 250).ok()) << n;
  }
  for (size_t i = 0; i < file.size(); ++i) {
    std::string mangled = file;
    mangled[i] = static_cast<char>(mangled[i] ^ 0x10);
    EXPECT_FALSE(SegmentIndex::DecodeFile(mangled, Offset(1000), 250).ok()) << i;
  }
  EXPECT_FALSE(SegmentIndex::DecodeFile(file + "x", Offset(1000), 250).ok());
}

TEST(SegmentFileName, NamesAreZeroPaddedAndParseBack) {
  EXPECT_EQ(SegmentLogName(Offset(0)), "00000000000000000000.log");
  EXPECT_EQ(SegmentIndexName(Offset(1234)), "00000000000000001234.index");
  Offset base;
  SegmentFileKind kind;
  ASSERT_TRUE(ParseSegmentFileName("00000000000000001234.index", &base, &kind));
  EXPECT_EQ(base, Offset(1234));
  EXPECT_EQ(kind, SegmentFileKind::kIndex);
  ASSERT_TRUE(ParseSegmentFileName(SegmentLogName(Offset(INT64_MAX)), &base, &kind));
  EXPECT_EQ(base, Offset(INT64_MAX));
  for (const char* bad : {"", "0.log", "0000000000000000000x.log", "00000000000000000000.tmp",
                          "00000000000000000000.log.tmp", "99999999999999999999.log"}) {
    EXPECT_FALSE(ParseSegmentFileName(bad, &base, &kind)) << bad;
  }
}

}  // namespace
}  // namespace gafka::wal
