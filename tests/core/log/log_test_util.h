// Shared fixtures for the partition log tests: a simulated Env (SimClock +
// SimDisk) and helpers to append, sync, reopen and read everything back.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/log/partition_log.h"
#include "core/log/record.h"
#include "core/log/segment.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_disk.h"

namespace gafka::testing_log {

inline constexpr char kDir[] = "data/topic-0";

// A small config that rolls often, so every test has several segments.
inline LogConfig SmallConfig() {
  LogConfig c;
  c.segment_bytes = 1024;
  c.index_interval_bytes = 128;
  c.retention_ms = -1;
  return c;
}

inline RecordInput Input(int i, size_t value_bytes = 40) {
  RecordInput in;
  in.key = "key-" + std::to_string(i);
  in.value = std::to_string(i) + ":" + std::string(value_bytes, static_cast<char>('a' + i % 26));
  return in;
}

// One simulated machine: clock, disk and the Env handed to the log.
class SimWorld {
 public:
  explicit SimWorld(uint64_t seed = 1, sim::DiskFaults faults = QuietFaults())
      : disk_(clock_, seed, faults), random_(seed) {}

  // No sync latency randomness that tests do not ask for, no crash effects.
  static sim::DiskFaults QuietFaults() {
    sim::DiskFaults f;
    f.sync_latency_min_ms = 1;
    f.sync_latency_max_ms = 1;
    return f;
  }

  Env& env() { return env_; }
  // The same world seen through another Disk (e.g. a wrapper of disk()).
  Env EnvWithDisk(Disk& disk) { return Env{clock_, disk, random_, logger_, buggify_}; }
  sim::SimClock& clock() { return clock_; }
  sim::SimDisk& disk() { return disk_; }
  sim::SimLogger& logger() { return logger_; }

  std::unique_ptr<PartitionLog> Open(const LogConfig& config = SmallConfig()) {
    auto log = PartitionLog::Open(env_, kDir, config);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  // Appends one record per input, each its own batch, and runs the clock
  // until every durable callback fired. Returns the statuses.
  std::vector<Status> AppendAndSync(PartitionLog& log, const std::vector<RecordInput>& inputs,
                                    Epoch epoch = Epoch(1)) {
    std::vector<Status> statuses(inputs.size(), Internal("not called"));
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto r = log.Append(std::span<const RecordInput>(&inputs[i], 1), epoch,
                          [&statuses, i](Status s) { statuses[i] = std::move(s); });
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    clock_.RunAll();
    return statuses;
  }

  void AppendN(PartitionLog& log, int first, int count, size_t value_bytes = 40) {
    std::vector<RecordInput> inputs;
    for (int i = first; i < first + count; ++i) inputs.push_back(Input(i, value_bytes));
    for (const Status& s : AppendAndSync(log, inputs)) ASSERT_TRUE(s.ok()) << s.ToString();
  }

 private:
  sim::SimClock clock_;
  sim::SimDisk disk_;
  sim::SimRandom random_;
  sim::SimLogger logger_;
  NoBuggify buggify_;
  Env env_{clock_, disk_, random_, logger_, buggify_};
};

// Reads every record from start_offset() to end_offset() in one go.
inline Result<std::vector<Record>> ReadAll(PartitionLog& log) {
  std::vector<Record> all;
  Offset next = log.start_offset();
  while (next < log.end_offset()) {
    auto r = log.Read(next, 1000, 1 << 20);
    if (!r.ok()) return r.status();
    if (r->records.empty()) break;
    for (auto& rec : r->records) all.push_back(std::move(rec));
    next = r->next_offset;
  }
  return all;
}

// The value/key a record made by Input(i) carries.
inline void ExpectRecordIs(const Record& r, int i, size_t value_bytes = 40) {
  const RecordInput in = Input(i, value_bytes);
  EXPECT_EQ(r.offset, Offset(i));
  EXPECT_EQ(r.key, in.key);
  EXPECT_EQ(r.value, in.value);
}

}  // namespace gafka::testing_log

namespace gafka::testing_log {

inline std::string LogPath(int64_t base) {
  return std::string(kDir) + "/" + wal::SegmentLogName(Offset(base));
}
inline std::string IndexPath(int64_t base) {
  return std::string(kDir) + "/" + wal::SegmentIndexName(Offset(base));
}

// Where each record of a segment file's bytes starts and ends.
struct RecordSpan {
  Offset offset;
  size_t begin = 0;
  size_t end = 0;
};
inline std::vector<RecordSpan> RecordSpans(const std::string& bytes) {
  std::vector<RecordSpan> spans;
  for (size_t at = 0; at < bytes.size();) {
    const wal::Checked c = wal::CheckRecord(bytes.data() + at, bytes.size() - at);
    if (c.outcome != wal::DecodeOutcome::kOk) break;
    spans.push_back({c.offset, at, at + c.size});
    at += c.size;
  }
  return spans;
}

// Base offsets of the segments in the log directory, in order.
inline std::vector<int64_t> SegmentBases(sim::SimDisk& disk) {
  std::vector<int64_t> bases;
  const Result<std::vector<std::string>> names = disk.List(kDir);
  if (!names.ok()) return bases;
  for (const std::string& name : *names) {
    Offset base;
    wal::SegmentFileKind kind;
    if (wal::ParseSegmentFileName(name, &base, &kind) && kind == wal::SegmentFileKind::kLog) {
      bases.push_back(base.value());
    }
  }
  return bases;
}

}  // namespace gafka::testing_log
