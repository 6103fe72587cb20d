// A small, fast, seedable PRNG (xoshiro256**, seeded through splitmix64).
// Pure computation, so it lives in core/. Every component gets its own
// stream via Fork(stream_name): adding a knob to one component does not shift
// the decisions of another.
#pragma once

#include <cstdint>
#include <string_view>

namespace gafka {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t Next();
  // Uniform in [0, n). n > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi]. lo <= hi.
  int64_t Range(int64_t lo, int64_t hi);
  // True with probability p (0..1).
  bool Chance(double p);
  // Uniform double in [0, 1).
  double NextDouble();
  // Exponential with the given mean.
  double Exponential(double mean);

  // A new independent stream derived from this one's seed and a name.
  Rng Fork(std::string_view stream_name) const;
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

// Stable 64-bit hash of a string (FNV-1a), for deriving stream seeds.
uint64_t HashName(std::string_view s);
// splitmix64 finaliser; good for mixing seeds. Inline: the simulator's trace
// and oracle hash with it on every event.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace gafka
