// CRC32C (Castagnoli), as used by Kafka record batches, LevelDB and ext4.
// Uses the SSE4.2 instruction when the CPU has it, a table otherwise; both
// give identical results (tested).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gafka::crc32c {

// Extends `crc` (the CRC32C of some earlier bytes) with `n` more bytes.
uint32_t Extend(uint32_t crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// Portable table implementation, exposed so tests can compare the two paths.
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);

}  // namespace gafka::crc32c
