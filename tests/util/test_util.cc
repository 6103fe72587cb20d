#include "tests/util/test_util.h"

#include <chrono>
#include <thread>

namespace gafka::testing {

bool Eventually(const std::function<bool()>& condition, Millis timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

}  // namespace gafka::testing
