#include "tools/sim/seeds.h"

#include <cctype>
#include <charconv>

namespace gafka::sim_tool {
namespace {

bool AllHex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<uint64_t> Parse(std::string_view s, int base) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<uint64_t> ParseSeed(std::string_view text) {
  if (text.size() == 40 && AllHex(text)) return Parse(text.substr(0, 16), 16);
  if (text.size() > 2 && (text.substr(0, 2) == "0x" || text.substr(0, 2) == "0X")) {
    return Parse(text.substr(2), 16);
  }
  return Parse(text, 10);
}

std::optional<SeedRange> ParseSeedRange(std::string_view text) {
  const size_t dots = text.find("..");
  if (dots == std::string_view::npos) {
    auto seed = ParseSeed(text);
    if (!seed) return std::nullopt;
    return SeedRange{*seed, *seed};
  }
  auto first = ParseSeed(text.substr(0, dots));
  auto last = ParseSeed(text.substr(dots + 2));
  if (!first || !last || *first > *last) return std::nullopt;
  return SeedRange{*first, *last};
}

std::optional<Shard> ParseShard(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto index = Parse(text.substr(0, slash), 10);
  auto count = Parse(text.substr(slash + 1), 10);
  if (!index || !count || *count == 0 || *index >= *count) return std::nullopt;
  return Shard{*index, *count};
}

std::vector<uint64_t> SeedsOf(const SeedRange& range, const Shard& shard) {
  std::vector<uint64_t> seeds;
  for (uint64_t seed = range.first;; ++seed) {
    if ((seed - range.first) % shard.count == shard.index) seeds.push_back(seed);
    if (seed == range.last) break;  // also ends a range that reaches UINT64_MAX
  }
  return seeds;
}

}  // namespace gafka::sim_tool
