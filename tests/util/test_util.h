// Helpers shared by the test binaries.
#pragma once

#include <functional>

#include "core/base/types.h"

namespace gafka::testing {

// Polls `condition` every 20 ms until it holds or `timeout_ms` passed; true
// when it held. For conditions on real processes (e2e tests), never a fixed sleep.
bool Eventually(const std::function<bool()>& condition, Millis timeout_ms = 20'000);

}  // namespace gafka::testing
