// Recovery of a partition log directory: loads sealed segments from their
// index files without reading them, scans the unsealed ones (the tail), cuts
// a torn tail and reports corruption. The decision table is in
// docs/wal-format.md ("Recovery"); this file implements exactly that table.
//
// Called only by PartitionLog::Open, on the core loop.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/env/env.h"
#include "core/log/partition_log.h"
#include "core/log/segment.h"

namespace gafka::wal {

struct RecoveredLog {
  // In base-offset order. After a torn tail was cut, every segment is intact
  // and the offsets run densely across them. After corruption, the segments
  // up to and including the corrupt one.
  std::vector<std::unique_ptr<Segment>> segments;
  // Ok, or kCorruption naming the file, byte position and offset: the log
  // must then refuse service. Nothing was cut in that case.
  Status corruption;
  LogRecoveryReport report;
};

// I/O errors (listing, opening, reading, truncating) come back as a Status.
Result<RecoveredLog> RecoverLog(Env& env, const std::string& dir, const LogConfig& config);

}  // namespace gafka::wal
