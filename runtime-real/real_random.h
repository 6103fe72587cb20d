// RealRandom: gafka::Random for the real runtime. One root seed (from
// std::random_device unless given, e.g. to reproduce a run), and one stream
// per component via Rng::Fork, as in the simulator.
//
// Stream() is const on the root, so it may be called from any thread; each
// returned Rng belongs to its caller.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/base/rng.h"
#include "core/env/env.h"

namespace gafka::real {

class RealRandom final : public Random {
 public:
  // Seeded from std::random_device.
  RealRandom();
  explicit RealRandom(uint64_t seed);

  Rng Stream(std::string_view component) override { return root_.Fork(component); }
  // The root seed, so a tool can log it.
  uint64_t seed() const { return root_.seed(); }

  static uint64_t SeedFromDevice();

 private:
  Rng root_;
};

}  // namespace gafka::real
