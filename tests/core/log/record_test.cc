// The on-disk record format: round trips, and decoding garbage safely.
#include "core/log/record.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "core/base/coding.h"
#include "core/base/crc32c.h"
#include "core/base/rng.h"

namespace gafka::wal {
namespace {

Record Sample() {
  Record r;
  r.offset = Offset(42);
  r.timestamp_ms = 1'700'000'000'123;
  r.epoch = Epoch(7);
  r.key = "user123";
  r.value = "Hello World";
  r.headers = {{"trace", "abc"}, {"", ""}};
  return r;
}

std::string Encode(const Record& r) {
  std::string out;
  EncodeRecord(r, &out);
  return out;
}

TEST(RecordFormat, RoundTripKeepsEveryField) {
  const Record r = Sample();
  const std::string bytes = Encode(r);
  ASSERT_EQ(bytes.size(), EncodedSize(r));
  const Decoded d = DecodeRecord(bytes.data(), bytes.size());
  ASSERT_EQ(d.outcome, DecodeOutcome::kOk);
  EXPECT_EQ(d.size, bytes.size());
  EXPECT_EQ(d.record, r);
}

TEST(RecordFormat, NullKeyAndEmptyKeyAreDistinct) {
  Record null_key = Sample();
  null_key.key.reset();
  Record empty_key = Sample();
  empty_key.key = "";
  const std::string a = Encode(null_key);
  const std::string b = Encode(empty_key);
  EXPECT_EQ(DecodeFixed32(a.data() + 32), kNullKey);
  EXPECT_EQ(DecodeFixed32(b.data() + 32), 0u);
  EXPECT_EQ(DecodeRecord(a.data(), a.size()).record.key, std::nullopt);
  EXPECT_EQ(DecodeRecord(b.data(), b.size()).record.key, std::optional<std::string>(""));
}

TEST(RecordFormat, HeaderLayoutIsLittleEndianAndDocumented) {
  const Record r = Sample();
  const std::string bytes = Encode(r);
  EXPECT_EQ(DecodeFixed32(bytes.data()), bytes.size() - 4);  // length counts what follows
  EXPECT_EQ(static_cast<uint8_t>(bytes[8]), kMagic);
  EXPECT_EQ(bytes[9], 0);  // attributes
  EXPECT_EQ(DecodeFixed32(bytes.data() + 12), 7u);
  EXPECT_EQ(DecodeFixed64(bytes.data() + 16), 42u);
  EXPECT_EQ(DecodeFixed64(bytes.data() + 24), 1'700'000'000'123u);
  EXPECT_EQ(DecodeFixed32(bytes.data() + 36), r.value.size());
  EXPECT_EQ(DecodeFixed32(bytes.data() + 40), 2u);
  EXPECT_EQ(bytes.substr(kHeaderSize, 7), "user123");
}

TEST(RecordFormat, LargeValueRoundTrips) {
  Record r = Sample();
  r.value.assign(5 << 20, 'x');
  r.value[12345] = '\0';
  const std::string bytes = Encode(r);
  const Decoded d = DecodeRecord(bytes.data(), bytes.size());
  ASSERT_EQ(d.outcome, DecodeOutcome::kOk);
  EXPECT_EQ(d.record.value, r.value);
}

TEST(RecordFormat, CheckAgreesWithDecodeWithoutCopying) {
  const std::string bytes = Encode(Sample());
  const Checked c = CheckRecord(bytes.data(), bytes.size());
  ASSERT_EQ(c.outcome, DecodeOutcome::kOk);
  EXPECT_EQ(c.size, bytes.size());
  EXPECT_EQ(c.offset, Offset(42));
  EXPECT_EQ(c.epoch, Epoch(7));
  size_t total = 0;
  Offset offset;
  ASSERT_TRUE(PeekHeader(bytes.data(), bytes.size(), &total, &offset));
  EXPECT_EQ(total, bytes.size());
  EXPECT_EQ(offset, Offset(42));
}

TEST(RecordFormat, EveryShortPrefixIsTruncated) {
  const std::string bytes = Encode(Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeRecord(bytes.data(), n).outcome, DecodeOutcome::kTruncated) << n;
  }
}

TEST(RecordFormat, EveryFlippedByteIsDetected) {
  const std::string bytes = Encode(Sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xFF}) {
      std::string mangled = bytes;
      mangled[i] = static_cast<char>(mangled[i] ^ mask);
      EXPECT_NE(DecodeRecord(mangled.data(), mangled.size()).outcome, DecodeOutcome::kOk)
          << "byte " << i << " mask " << int{mask};
    }
  }
}

TEST(RecordFormat, AbsurdLengthsAreRejected) {
  std::string bytes = Encode(Sample());
  EncodeFixed32(bytes.data(), 0xFFFFFFFFu);
  EXPECT_EQ(DecodeRecord(bytes.data(), bytes.size()).outcome, DecodeOutcome::kBadLength);
  EncodeFixed32(bytes.data(), 3);
  EXPECT_EQ(DecodeRecord(bytes.data(), bytes.size()).outcome, DecodeOutcome::kBadLength);
  const std::string zeros(100, '\0');
  EXPECT_EQ(DecodeRecord(zeros.data(), zeros.size()).outcome, DecodeOutcome::kBadLength);
}

// A record whose CRC is right but whose inner lengths lie (a forged record,
// or a bug): the layout check rejects it instead of reading past the end.
TEST(RecordFormat, ConsistentCrcWithLyingInnerLengthsIsBadLayout) {
  for (uint32_t lie : {0xFFFFFFF0u, 1000u, 3u}) {
    std::string bytes = Encode(Sample());
    EncodeFixed32(bytes.data() + 36, lie);  // value length
    EncodeFixed32(bytes.data() + 4, crc32c::Value(bytes.data() + 8, bytes.size() - 8));
    EXPECT_EQ(DecodeRecord(bytes.data(), bytes.size()).outcome, DecodeOutcome::kBadLayout) << lie;
  }
}

TEST(RecordFormat, RandomGarbageNeverCrashesTheDecoder) {
  Rng rng(99);
  std::string buffer;
  for (int round = 0; round < 20000; ++round) {
    buffer.resize(rng.Uniform(200));
    for (char& c : buffer) c = static_cast<char>(rng.Next());
    if (buffer.size() >= 9 && rng.Chance(0.5)) {
      EncodeFixed32(buffer.data(), static_cast<uint32_t>(rng.Uniform(300)));
      buffer[8] = static_cast<char>(kMagic);
    }
    const Decoded d = DecodeRecord(buffer.data(), buffer.size());
    if (d.outcome == DecodeOutcome::kOk) {
      EXPECT_LE(d.size, buffer.size());
    }
  }
}

RC_GTEST_PROP(RecordFormat, AnyRecordRoundTrips,
              (int64_t offset, int64_t timestamp_ms, int32_t epoch, std::string value,
               std::vector<std::pair<std::string, std::string>> headers, bool null_key,
               std::string key)) {
  Record r;
  r.offset = Offset(offset < 0 ? -(offset + 1) : offset);
  r.timestamp_ms = timestamp_ms;
  r.epoch = Epoch(epoch);
  if (!null_key) r.key = key;
  r.value = value;
  for (auto& [k, v] : headers) r.headers.push_back({k, v});
  std::string bytes = "prefix";
  EncodeRecord(r, &bytes);
  const Decoded d = DecodeRecord(bytes.data() + 6, bytes.size() - 6);
  RC_ASSERT(d.outcome == DecodeOutcome::kOk);
  RC_ASSERT(d.size == bytes.size() - 6);
  RC_ASSERT(d.record == r);
}

}  // namespace
}  // namespace gafka::wal
