// gafka-bench restart: a real gafka-broker process is filled with --gib GiB
// through the produce API, SIGKILLed while producers are still sending, and
// started again on the same data directory and port; measures the time from
// the restart's exec until /healthz answers 200 and until a fetch at the
// tail of every partition returns the last acknowledged record.
#pragma once

#include <CLI/CLI.hpp>

namespace gafka::bench {

void RegisterRestart(CLI::App& app, int* exit_code);

}  // namespace gafka::bench
