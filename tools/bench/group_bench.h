// gafka-bench consume: group-poll throughput against direct-read throughput
// in the same run, on the same preloaded topic.
//
//   gafka-bench consume --broker H:P [--mode both|direct|group] [--partitions P]
//                       [--messages N] [--size S] [--count C] [--rounds R]
//
// Creates a fresh topic (bench-consume-<pid>) with P partitions and preloads
// N messages of S bytes (batched, acks=1). Direct mode: one client reads
// every partition from offset 0 with direct fetches of C records, partition
// after partition round-robin, until it has all N. Group mode: one member of
// a fresh group reads the same N with group polls of C records
// (auto_offset_reset=earliest, auto_commit=true: each poll commits the
// previous one's positions). Each mode runs R rounds alternately (direct,
// group, direct, ...); the best round of each is reported, in msgs/s and
// MB/s, with the group overhead in percent ((direct - group) / direct).
//
// gafka-bench group-rebalance: how fast a group moves partitions.
//
//   gafka-bench group-rebalance --broker H:P [--partitions P] [--session-ms S] [--rounds R]
//
// Two members A and B join a fresh group on a fresh topic with session S
// (heartbeat interval as the broker advises). (1) A leaves: time until the
// group status shows B owning every partition (server side) and until B's
// next heartbeat tells it (B heartbeats at its advised interval). (2) A joins
// again, then stops talking (a silent crash): the same two times. Reports the
// median over R rounds.
#pragma once

#include <CLI/CLI.hpp>

namespace gafka::bench {

void RegisterGroupConsume(CLI::App& app, int* exit_code);
void RegisterGroupRebalance(CLI::App& app, int* exit_code);

}  // namespace gafka::bench
