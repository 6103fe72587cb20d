#include "runtime-real/real_random.h"

#include <random>

namespace gafka::real {

uint64_t RealRandom::SeedFromDevice() {
  std::random_device device;
  // random_device yields 32 bits per call; Mix64 spreads them over 64.
  const uint64_t high = device();
  const uint64_t low = device();
  return Mix64((high << 32) | low);
}

RealRandom::RealRandom() : root_(SeedFromDevice()) {}

RealRandom::RealRandom(uint64_t seed) : root_(seed) {}

}  // namespace gafka::real
