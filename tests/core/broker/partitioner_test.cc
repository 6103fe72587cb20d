#include "core/broker/partitioner.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>

namespace gafka {
namespace {

// Kafka's clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java
// (testMurmur2): the same bytes must give the same signed 32-bit hash.
TEST(Murmur2, MatchesKafkaUtilsTestVectors) {
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2(std::string{'a', 'b', 'c'}), 479470107);
}

TEST(Murmur2, CoversEveryTailLength) {
  // Lengths 0..3 mod 4 take different tail paths; each must be stable and
  // differ from its neighbours.
  std::map<int32_t, std::string> seen;
  for (const std::string key : {"", "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg"}) {
    EXPECT_EQ(Murmur2(key), Murmur2(std::string(key))) << key;
    EXPECT_TRUE(seen.emplace(Murmur2(key), key).second) << "collision for '" << key << "'";
  }
}

TEST(Murmur2, HashesHighBytesAsUnsigned) {
  // Java masks each byte with 0xff: bytes >= 0x80 must not sign-extend.
  const std::string high("\xff\xfe\x80\x81\x90", 5);
  const std::string low("\x7f\x7e\x00\x01\x10", 5);
  EXPECT_NE(Murmur2(high), Murmur2(low));
  EXPECT_EQ(Murmur2(high), Murmur2(std::string(high)));
}

TEST(ToPositive, ClearsOnlyTheSignBit) {
  EXPECT_EQ(ToPositive(0), 0);
  EXPECT_EQ(ToPositive(5), 5);
  EXPECT_EQ(ToPositive(-1), 0x7fffffff);
  EXPECT_EQ(ToPositive(INT32_MIN), 0);  // where abs() would stay negative
  EXPECT_EQ(ToPositive(-973932308), -973932308 & 0x7fffffff);
}

TEST(PartitionForKey, IsKafkasDefaultPartitioner) {
  // toPositive(murmur2("foobar")) % 3 computed by hand from the vector above.
  EXPECT_EQ(PartitionForKey("foobar", 3).value(), ToPositive(-790332482) % 3);
  EXPECT_EQ(PartitionForKey("21", 7).value(), ToPositive(-973932308) % 7);
  EXPECT_EQ(PartitionForKey("anything", 1).value(), 0);
}

RC_GTEST_PROP(PartitionForKey, IsStableAndInRange, (const std::string& key)) {
  const auto partitions = *rc::gen::inRange<int32_t>(1, 101);
  const PartitionId first = PartitionForKey(key, partitions);
  RC_ASSERT(first.value() >= 0);
  RC_ASSERT(first.value() < partitions);
  RC_ASSERT(PartitionForKey(std::string(key), partitions) == first);
}

TEST(NextRoundRobin, CyclesThroughEveryPartitionInOrder) {
  uint64_t counter = 0;
  std::map<int32_t, int> hits;
  for (int i = 0; i < 30; ++i) {
    const PartitionId p = NextRoundRobin(&counter, 3);
    EXPECT_EQ(p.value(), i % 3);
    ++hits[p.value()];
  }
  EXPECT_EQ(hits, (std::map<int32_t, int>{{0, 10}, {1, 10}, {2, 10}}));
  EXPECT_EQ(counter, 30u);
}

}  // namespace
}  // namespace gafka
