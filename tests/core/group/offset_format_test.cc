// The offsets record and counter formats: round trips and mangled bytes.
#include "core/group/offset_format.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace gafka::offset_format {
namespace {

OffsetKey Key(std::string group, std::string topic, int32_t partition) {
  return OffsetKey{std::move(group), TopicPartition{std::move(topic), PartitionId(partition)}};
}

TEST(OffsetFormat, KeyAndValueRoundTrip) {
  const OffsetKey key = Key("group/with/slashes", "orders", 7);
  OffsetKey decoded;
  ASSERT_TRUE(DecodeKey(EncodeKey(key), &decoded));
  EXPECT_EQ(decoded, key);
  const OffsetValue value{ValueKind::kReset,
                          CommittedOffset{Offset(123456789012), 1'700'000'000'000, "meta"}};
  OffsetValue back;
  ASSERT_TRUE(DecodeValue(EncodeValue(value), &back));
  EXPECT_EQ(back.kind, ValueKind::kReset);
  EXPECT_EQ(back.committed, value.committed);
}

TEST(OffsetFormat, KeysOfDifferentGroupsNeverCollide) {
  // "a" + "b/c" and "a/b" + "c" would collide in a text key.
  EXPECT_NE(EncodeKey(Key("a", "b/c", 0)), EncodeKey(Key("a/b", "c", 0)));
}

TEST(OffsetFormat, EveryTruncationOfAValueOrKeyIsRejected) {
  const std::string key = EncodeKey(Key("g", "t", 3));
  const std::string value = EncodeValue(OffsetValue{ValueKind::kCommit, {Offset(5), 9, "xyz"}});
  for (size_t n = 0; n < key.size(); ++n) {
    OffsetKey k;
    EXPECT_FALSE(DecodeKey(key.substr(0, n), &k)) << n;
  }
  for (size_t n = 0; n < value.size(); ++n) {
    OffsetValue v;
    EXPECT_FALSE(DecodeValue(value.substr(0, n), &v)) << n;
  }
  OffsetKey k;
  EXPECT_FALSE(DecodeKey(key + "x", &k));
  OffsetValue v;
  EXPECT_FALSE(DecodeValue(value + "x", &v));
}

TEST(OffsetFormat, UnknownFormatsKindsAndNegativeOffsetsAreRejected) {
  std::string value = EncodeValue(OffsetValue{ValueKind::kCommit, {Offset(5), 9, ""}});
  OffsetValue v;
  std::string bad = value;
  bad[0] = 2;
  EXPECT_FALSE(DecodeValue(bad, &v));
  bad = value;
  bad[1] = 9;
  EXPECT_FALSE(DecodeValue(bad, &v));
  bad = value;
  bad[9] = static_cast<char>(0x80);  // offset's top byte: negative
  EXPECT_FALSE(DecodeValue(bad, &v));
}

TEST(OffsetFormat, CountersCarryAMagicAndACrc) {
  const std::string current = EncodeCounter(kCurrentMagic, 42);
  ASSERT_EQ(current.size(), kCounterSize);
  EXPECT_EQ(DecodeCounter(kCurrentMagic, current).value(), 42u);
  EXPECT_EQ(DecodeCounter(kBootMagic, current).status().code(), Code::kCorruption);
  for (size_t i = 0; i < current.size(); ++i) {
    std::string flipped = current;
    flipped[i] ^= 0x10;
    EXPECT_FALSE(DecodeCounter(kCurrentMagic, flipped).ok()) << i;
  }
  for (size_t n = 0; n < current.size(); ++n) {
    EXPECT_FALSE(DecodeCounter(kCurrentMagic, current.substr(0, n)).ok()) << n;
  }
}

TEST(OffsetFormat, LogDirNamesSortByNumberAndParseBack) {
  EXPECT_EQ(LogDirName(1), "log-00000000000000000001");
  EXPECT_LT(LogDirName(9), LogDirName(10));
  EXPECT_EQ(ParseLogDirName(LogDirName(18446744073709551615ull)), 18446744073709551615ull);
  EXPECT_FALSE(ParseLogDirName("log-1").has_value());
  EXPECT_FALSE(ParseLogDirName("log-0000000000000000000x").has_value());
  EXPECT_FALSE(ParseLogDirName("CURRENT").has_value());
  EXPECT_FALSE(ParseLogDirName("log-99999999999999999999").has_value());  // > 2^64-1
}

RC_GTEST_PROP(OffsetFormatProperty, ArbitraryBytesNeverCrashTheDecoders,
              (const std::string& bytes)) {
  OffsetKey key;
  OffsetValue value;
  if (DecodeKey(bytes, &key)) RC_ASSERT(EncodeKey(key) == bytes);
  if (DecodeValue(bytes, &value)) RC_ASSERT(EncodeValue(value) == bytes);
  (void)DecodeCounter(kCurrentMagic, bytes).ok();
}

RC_GTEST_PROP(OffsetFormatProperty, AnyKeyAndValueRoundTrip,
              (const std::string& group, const std::string& topic, uint32_t partition,
               uint64_t offset, int64_t timestamp, const std::string& metadata)) {
  const OffsetKey key = Key(group, topic, static_cast<int32_t>(partition & 0x7FFFFFFF));
  OffsetKey key_back;
  RC_ASSERT(DecodeKey(EncodeKey(key), &key_back));
  RC_ASSERT(key_back == key);
  const OffsetValue value{ValueKind::kCommit,
                          {Offset(static_cast<int64_t>(offset >> 1)), timestamp, metadata}};
  OffsetValue value_back;
  RC_ASSERT(DecodeValue(EncodeValue(value), &value_back));
  RC_ASSERT(value_back.committed == value.committed);
}

}  // namespace
}  // namespace gafka::offset_format
