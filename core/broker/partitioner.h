// Message routing: which partition a produced message goes to.
//
// Keyed messages use Kafka's default partitioner, bit for bit, so that a key
// lands on the partition Kafka would choose for the same partition count:
//   partition = ToPositive(Murmur2(key bytes)) % partitions
// Messages without a key go round-robin per topic. Documented in
// docs/partitioning.md; pure functions, no state beyond the caller's counter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/types.h"

namespace gafka {

// Kafka's org.apache.kafka.common.utils.Utils.murmur2: MurmurHash2, 32-bit,
// seed 0x9747b28c, little-endian 4-byte blocks. Returned as Java's signed int.
int32_t Murmur2(ByteView data);

// Kafka's Utils.toPositive: clears the sign bit (not abs(): abs(INT_MIN) < 0).
inline int32_t ToPositive(int32_t x) { return x & 0x7fffffff; }

// The partition Kafka's default partitioner gives `key` among `partitions`.
PartitionId PartitionForKey(ByteView key, int32_t partitions);

// Round-robin for messages without a key: the partition for this message,
// advancing *counter (one counter per topic).
PartitionId NextRoundRobin(uint64_t* counter, int32_t partitions);

}  // namespace gafka
