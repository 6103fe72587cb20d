// gafka-bench log-recover: how long a PartitionLog takes to reopen after an
// unclean stop, until it serves a read of its last record.
//
// Builds a log of --bytes N (records of --size S in batches of --batch B),
// then stops it uncleanly:
//   --crash kill  (default) a forked child builds the log and keeps appending;
//                 the parent kills it with SIGKILL once the log reached N bytes;
//   --crash drop  in-process: a few more batches are appended and the
//                 PartitionLog is destroyed without waiting for their sync.
// --tear appends a partial record to the newest segment (a torn write);
// --cold evicts the log's files from the page cache (posix_fadvise) first.
// Then times PartitionLog::Open + a read at end_offset - 1.
#pragma once

#include <CLI/CLI.hpp>

namespace gafka::bench {

void RegisterLogRecover(CLI::App& app, int* exit_code);

}  // namespace gafka::bench
