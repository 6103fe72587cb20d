// Seed and seed-range parsing for gafka-sim. A seed is any 64-bit number
// (decimal or 0x-hex) or a 40-hex git commit hash (its first 16 hex digits),
// so a CI job can use its commit as the seed. A range is "A..B" (inclusive)
// or one seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gafka::sim_tool {

std::optional<uint64_t> ParseSeed(std::string_view text);

struct SeedRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};
std::optional<SeedRange> ParseSeedRange(std::string_view text);

struct Shard {
  uint64_t index = 0;  // 0-based
  uint64_t count = 1;
};
// "i/n" with 0 <= i < n.
std::optional<Shard> ParseShard(std::string_view text);

// The seeds of `range` that belong to `shard` (every n-th, starting at i).
std::vector<uint64_t> SeedsOf(const SeedRange& range, const Shard& shard);

}  // namespace gafka::sim_tool
