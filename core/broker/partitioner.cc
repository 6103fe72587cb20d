#include "core/broker/partitioner.h"

#include "core/base/check.h"

namespace gafka {

// Java ints wrap on overflow and `>>>` is a logical shift; uint32_t gives both
// exactly, so all arithmetic is unsigned and only the result is reinterpreted.
int32_t Murmur2(ByteView data) {
  constexpr uint32_t kSeed = 0x9747b28cu;
  constexpr uint32_t kM = 0x5bd1e995u;
  constexpr int kR = 24;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const size_t length = data.size();
  CHECK_MSG(length <= 0x7fffffffu, "Kafka hashes at most INT_MAX bytes");

  uint32_t h = kSeed ^ static_cast<uint32_t>(length);
  const size_t blocks = length / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const uint8_t* p = bytes + i * 4;
    uint32_t k = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                 (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const uint8_t* tail = bytes + (length & ~static_cast<size_t>(3));
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(tail[0]);
      h *= kM;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

PartitionId PartitionForKey(ByteView key, int32_t partitions) {
  CHECK_MSG(partitions > 0, "a topic has at least one partition");
  const int32_t partition = ToPositive(Murmur2(key)) % partitions;
  CHECK(partition >= 0 && partition < partitions);
  return PartitionId(partition);
}

PartitionId NextRoundRobin(uint64_t* counter, int32_t partitions) {
  CHECK(counter != nullptr);
  CHECK_MSG(partitions > 0, "a topic has at least one partition");
  const auto partition = static_cast<int32_t>(*counter % static_cast<uint64_t>(partitions));
  ++*counter;
  return PartitionId(partition);
}

}  // namespace gafka
