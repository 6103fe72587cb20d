// gafka-bench e2e: producer -> consumer latency at a fixed message rate.
//
// Creates the topic if missing (2 partitions). P producer threads (own
// connections) send R msgs/s in total, paced on a schedule: each thread sends
// what is due (one message normally, a small batch of at most --max-batch
// when it fell behind), each message to an explicit partition (round robin),
// its value starting with the wall-clock send time in microseconds
// ("<us>|" + padding to --size bytes). One consumer thread per partition
// long-polls it with direct fetches (timeout 500 ms) from the partition's
// end offset as it was before the run, and takes receive time - send time for
// every record. Reports p50/p95/p99/max and mean in ms, messages sent,
// received and lost; producer lateness (actual send vs schedule) is reported
// too, so a stalled producer does not hide latency silently.
#pragma once

#include <CLI/CLI.hpp>

namespace gafka::bench {

void RegisterE2e(CLI::App& app, int* exit_code);

}  // namespace gafka::bench
