// gafka-bench log-append: the partition log's durable append rate on the
// real Env, next to the raw write+fdatasync rate of the same directory.
//
// - log: appends batches of B records of S bytes to a PartitionLog for T
//   seconds, keeping N batches outstanding (default 1: append a batch, wait
//   for its durable callback, repeat). Per-batch durable latency is kept.
// - raw: in the same directory, writes the same number of bytes per sync as
//   one log batch took on disk (records plus their headers) with plain
//   write(2) + fdatasync(2) for T seconds.
// The phases run interleaved — log T/2, raw T, log T/2 — so a drift in the
// machine's load or the disk's state weighs on both alike.
// ratio = log on-disk MB/s / raw MB/s: how close the log gets to the disk.
// With N > 1 the log can cover several batches with one sync (group commit),
// so the ratio may exceed 1.
#pragma once

#include <CLI/CLI.hpp>

namespace gafka::bench {

void RegisterLogAppend(CLI::App& app, int* exit_code);

}  // namespace gafka::bench
