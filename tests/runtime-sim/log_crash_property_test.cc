// A RapidCheck state machine of PartitionLog on SimDisk: random appends,
// clock runs (syncs complete), reads and crashes with torn tails, checked
// against a model (a vector of the records appended, and which of them were
// acknowledged durable).
//
// After every crash + reopen:
// - every record whose durable callback said ok is present at its offset,
//   in order, byte-identical;
// - what is readable is a prefix of what was appended (nothing partial, nothing
//   invented), offsets dense from 0;
// - the log opens healthy: a crash alone is never corruption.
//
// 1,000 cases unless RC_PARAMS sets max_success; the seed is printed on
// failure (replay with RC_PARAMS="seed=N").
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/detail/TestListenerAdapter.h>

#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/log/partition_log.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_disk.h"

namespace gafka::sim {
namespace {

constexpr int kDefaultCases = 1000;
const char kLogDir[] = "topic-0";

// ---------------------------------------------------------------------------
// Operations.

struct RecordSpec {
  bool has_key = false;
  std::string key;
  std::string value;
  uint64_t big_value_seed = 0;  // when non-zero, value += big_value_bytes pseudo-random bytes
  uint32_t big_value_bytes = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  bool has_timestamp = false;
  Millis timestamp_ms = 0;
};

enum class OpKind { kAppend, kRunClock, kRunAll, kRead, kCrash };

struct Op {
  OpKind kind = OpKind::kRunAll;
  std::vector<RecordSpec> batch;    // kAppend
  Millis run_ms = 0;                // kRunClock
  uint32_t read_from_permille = 0;  // kRead: where to start, as a share of end_offset
  uint32_t read_count = 1;
  uint32_t read_bytes = 1;
};

void showValue(const Op& op, std::ostream& os) {
  switch (op.kind) {
    case OpKind::kAppend: {
      os << "Append[";
      for (const auto& r : op.batch) {
        os << "{key=" << (r.has_key ? std::to_string(r.key.size()) + "B" : "null")
           << " value=" << r.value.size() + r.big_value_bytes << "B headers=" << r.headers.size()
           << (r.has_timestamp ? " ts" : "") << "}";
      }
      os << "]";
      break;
    }
    case OpKind::kRunClock:
      os << "RunClock(" << op.run_ms << "ms)";
      break;
    case OpKind::kRunAll:
      os << "RunAll";
      break;
    case OpKind::kRead:
      os << "Read(from=" << op.read_from_permille << "permille count=" << op.read_count
         << " bytes=" << op.read_bytes << ")";
      break;
    case OpKind::kCrash:
      os << "Crash";
      break;
  }
}

struct Scenario {
  uint64_t disk_seed = 0;
  uint32_t segment_bytes = 4096;
  uint32_t index_interval_bytes = 256;
  Millis sync_latency_max_ms = 2;
  bool inject_sync_eio = false;
  std::vector<Op> ops;
};

void showValue(const Scenario& s, std::ostream& os) {
  os << "Scenario{disk_seed=" << s.disk_seed << " segment_bytes=" << s.segment_bytes
     << " index_interval_bytes=" << s.index_interval_bytes
     << " sync_latency_max_ms=" << s.sync_latency_max_ms << " sync_eio=" << s.inject_sync_eio
     << "}\n";
  for (const auto& op : s.ops) {
    showValue(op, os);
    os << "\n";
  }
}

rc::Gen<std::string> SmallBytes(int max_size) {
  return rc::gen::scale(0.3, rc::gen::resize(max_size, rc::gen::string<std::string>()));
}

rc::Gen<RecordSpec> GenRecordSpec() {
  return rc::gen::build<RecordSpec>(
      rc::gen::set(&RecordSpec::has_key, rc::gen::weightedElement<bool>({{3, true}, {1, false}})),
      rc::gen::set(&RecordSpec::key, SmallBytes(24)),
      rc::gen::set(&RecordSpec::value, SmallBytes(200)),
      rc::gen::set(&RecordSpec::big_value_seed, rc::gen::arbitrary<uint64_t>()),
      rc::gen::set(&RecordSpec::big_value_bytes,
                   rc::gen::weightedOneOf<uint32_t>({{6, rc::gen::just<uint32_t>(0)},
                                                     {1, rc::gen::inRange<uint32_t>(1, 6000)}})),
      rc::gen::set(
          &RecordSpec::headers,
          rc::gen::resize(3, rc::gen::container<std::vector<std::pair<std::string, std::string>>>(
                                 rc::gen::pair(SmallBytes(8), SmallBytes(16))))),
      rc::gen::set(&RecordSpec::has_timestamp, rc::gen::arbitrary<bool>()),
      rc::gen::set(&RecordSpec::timestamp_ms, rc::gen::inRange<Millis>(0, 2'000'000'000'000)));
}

rc::Gen<Op> GenOp() {
  auto append = rc::gen::map(
      rc::gen::resize(
          8, rc::gen::nonEmpty(rc::gen::container<std::vector<RecordSpec>>(GenRecordSpec()))),
      [](std::vector<RecordSpec> batch) {
        Op op;
        op.kind = OpKind::kAppend;
        op.batch = std::move(batch);
        return op;
      });
  auto run_clock = rc::gen::map(rc::gen::inRange<Millis>(0, 6), [](Millis ms) {
    Op op;
    op.kind = OpKind::kRunClock;
    op.run_ms = ms;
    return op;
  });
  auto read = rc::gen::map(
      rc::gen::tuple(rc::gen::inRange<uint32_t>(0, 1001), rc::gen::inRange<uint32_t>(1, 50),
                     rc::gen::inRange<uint32_t>(1, 20000)),
      [](std::tuple<uint32_t, uint32_t, uint32_t> t) {
        Op op;
        op.kind = OpKind::kRead;
        op.read_from_permille = std::get<0>(t);
        op.read_count = std::get<1>(t);
        op.read_bytes = std::get<2>(t);
        return op;
      });
  auto simple = [](OpKind kind) {
    Op op;
    op.kind = kind;
    return rc::gen::just(op);
  };
  return rc::gen::weightedOneOf<Op>({{10, append},
                                     {4, run_clock},
                                     {2, simple(OpKind::kRunAll)},
                                     {3, read},
                                     {2, simple(OpKind::kCrash)}});
}

rc::Gen<Scenario> GenScenario() {
  return rc::gen::build<Scenario>(
      rc::gen::set(&Scenario::disk_seed, rc::gen::arbitrary<uint64_t>()),
      rc::gen::set(&Scenario::segment_bytes, rc::gen::element<uint32_t>(600, 2048, 8192, 1u << 20)),
      rc::gen::set(&Scenario::index_interval_bytes, rc::gen::element<uint32_t>(64, 1024, 4096)),
      rc::gen::set(&Scenario::sync_latency_max_ms, rc::gen::inRange<Millis>(0, 5)),
      rc::gen::set(&Scenario::inject_sync_eio,
                   rc::gen::weightedElement<bool>({{9, false}, {1, true}})),
      rc::gen::set(&Scenario::ops, rc::gen::container<std::vector<Op>>(GenOp())));
}

RecordInput ToInput(const RecordSpec& spec) {
  RecordInput in;
  if (spec.has_key) in.key = spec.key;
  in.value = spec.value;
  if (spec.big_value_bytes > 0) {
    Rng rng(spec.big_value_seed);
    for (uint32_t i = 0; i < spec.big_value_bytes; ++i) {
      in.value.push_back(static_cast<char>(rng.Next() & 0xFF));
    }
  }
  for (const auto& [k, v] : spec.headers) in.headers.push_back(RecordHeader{k, v});
  if (spec.has_timestamp) in.timestamp_ms = spec.timestamp_ms;
  return in;
}

// ---------------------------------------------------------------------------
// The harness: the system under test and the model side by side.

// Durable callbacks report here. It outlives every log instance, and each
// callback names the instance ("life") that issued it, so a late callback
// from a crashed instance is detected rather than miscounted.
struct AckBook {
  int life = 0;
  std::vector<bool> acked;  // by offset, for the current life's records
  int acked_after_death = 0;
};

class Harness {
 public:
  explicit Harness(const Scenario& s)
      : scenario_(s),
        disk_(clock_, s.disk_seed, Faults(s)),
        random_(s.disk_seed ^ 0x5eed),
        env_{clock_, disk_, random_, logger_, buggify_} {
    config_.segment_bytes = s.segment_bytes;
    config_.index_interval_bytes = s.index_interval_bytes;
    config_.retention_bytes = -1;
    config_.retention_ms = -1;
  }

  void Start() {
    // The log directory's own entry is made durable here, as a broker that
    // creates the partition directory would; that Open alone does it is
    // pinned by NewLogDirectorySurvivesACrash below, so that one gap does not
    // hide every other failure this property can find.
    RC_ASSERT(disk_.MakeDirs(kLogDir).ok());
    RC_ASSERT(disk_.SyncDir("").ok());
    Reopen();
    RC_ASSERT(log_->end_offset() == Offset(0));
  }

  void Apply(const Op& op) {
    switch (op.kind) {
      case OpKind::kAppend:
        Append(op.batch);
        break;
      case OpKind::kRunClock:
        clock_.RunUntil(clock_.NowMs() + op.run_ms);
        CheckDurableOffset();
        break;
      case OpKind::kRunAll:
        clock_.RunAll(1'000'000);
        CheckDurableOffset();
        break;
      case OpKind::kRead:
        Read(op);
        break;
      case OpKind::kCrash:
        CrashAndReopen();
        break;
    }
  }

  // Drains every sync, then crashes once more: the final check.
  void Finish() {
    clock_.RunAll(1'000'000);
    CheckDurableOffset();
    CrashAndReopen();
  }

 private:
  static DiskFaults Faults(const Scenario& s) {
    DiskFaults f;
    f.sync_latency_min_ms = 0;
    f.sync_latency_max_ms = s.sync_latency_max_ms;
    f.sync_eio = s.inject_sync_eio ? 0.05 : 0;
    return f;
  }

  void Append(const std::vector<RecordSpec>& batch) {
    std::vector<RecordInput> inputs;
    for (const auto& spec : batch) inputs.push_back(ToInput(spec));
    const Offset end_before = log_->end_offset();
    RC_ASSERT(end_before == Offset(static_cast<int64_t>(model_.size())));
    const int life = book_.life;
    const size_t first = model_.size();
    const size_t count = inputs.size();
    AckBook* book = &book_;
    auto result = log_->Append(inputs, epoch_, [book, life, first, count](Status s) {
      if (!s.ok()) return;
      if (book->life != life) {
        ++book->acked_after_death;
        return;
      }
      for (size_t i = first; i < first + count && i < book->acked.size(); ++i)
        book->acked[i] = true;
    });
    if (!result.ok()) {
      // Nothing appended; only a failed log (sync EIO) may refuse.
      RC_ASSERT(!log_->failed().ok());
      RC_ASSERT(log_->end_offset() == end_before);
      return;
    }
    RC_ASSERT(result->base_offset == end_before);
    for (size_t i = 0; i < count; ++i) {
      Record r;
      r.offset = end_before + static_cast<int64_t>(i);
      r.epoch = epoch_;
      r.key = inputs[i].key;
      r.value = inputs[i].value;
      r.headers = inputs[i].headers;
      r.timestamp_ms = inputs[i].timestamp_ms.value_or(result->timestamp_ms);
      model_.push_back(std::move(r));
      book_.acked.push_back(false);
    }
    RC_ASSERT(log_->end_offset() == Offset(static_cast<int64_t>(model_.size())));
  }

  size_t AckedPrefixEnd() const {
    size_t end = 0;
    for (size_t i = 0; i < book_.acked.size(); ++i) {
      if (book_.acked[i]) end = i + 1;
    }
    return end;
  }

  void CheckDurableOffset() {
    RC_ASSERT(book_.acked_after_death == 0);
    RC_ASSERT(log_->durable_offset() <= log_->end_offset());
    RC_ASSERT(log_->durable_offset() >= Offset(static_cast<int64_t>(AckedPrefixEnd())));
  }

  void Read(const Op& op) {
    const int64_t end = log_->end_offset().value();
    const Offset from(end * op.read_from_permille / 1000);
    auto result = log_->Read(from, op.read_count, op.read_bytes);
    if (!log_->failed().ok()) return;  // a failed log may refuse reads
    RC_ASSERT(result.ok());
    const auto& records = result->records;
    RC_ASSERT(records.size() <= op.read_count);
    if (from.value() < end) RC_ASSERT(!records.empty());
    RC_ASSERT(result->next_offset == from + static_cast<int64_t>(records.size()));
    for (size_t i = 0; i < records.size(); ++i) {
      RC_ASSERT(records[i] == model_[static_cast<size_t>(from.value()) + i]);
    }
  }

  // Reads everything the log serves, from offset 0, in modest chunks.
  std::vector<Record> ReadAll() {
    std::vector<Record> all;
    Offset next(0);
    for (int guard = 0; next < log_->end_offset(); ++guard) {
      RC_ASSERT(guard < 1'000'000);
      auto chunk = log_->Read(next, 64, 64 * 1024);
      RC_ASSERT(chunk.ok());
      RC_ASSERT(!chunk->records.empty());
      for (auto& r : chunk->records) all.push_back(std::move(r));
      next = chunk->next_offset;
    }
    return all;
  }

  // Opens (recovers) the log. Without injected faults: we test crash safety
  // here, and a refused Open would hide what recovery would have served.
  void Reopen() {
    const DiskFaults saved = disk_.faults();
    disk_.faults().sync_eio = 0;
    auto log = PartitionLog::Open(env_, kLogDir, config_);
    disk_.faults() = saved;
    if (!log.ok()) RC_FAIL("PartitionLog::Open failed: " + log.status().ToString());
    log_ = std::move(log).value();
    if (!log_->failed().ok()) {
      RC_FAIL("log opened failed after a crash: " + log_->failed().ToString() + " (" +
              log_->recovery_report().detail + ")");
    }
  }

  void CrashAndReopen() {
    const size_t acked_end = AckedPrefixEnd();
    disk_.Crash();  // power loss first: nothing the old log does now persists
    log_.reset();
    ++book_.life;
    clock_.RunAll(1'000'000);  // leftovers of the dead instance must be harmless
    RC_ASSERT(book_.acked_after_death == 0);

    Reopen();
    RC_ASSERT(log_->start_offset() == Offset(0));
    const std::vector<Record> served = ReadAll();

    // Dense, a prefix of what was appended, byte-identical, acked kept.
    RC_ASSERT(log_->end_offset() == Offset(static_cast<int64_t>(served.size())));
    RC_ASSERT(served.size() <= model_.size());
    RC_ASSERT(served.size() >= acked_end);
    for (size_t i = 0; i < served.size(); ++i) {
      RC_ASSERT(served[i].offset == Offset(static_cast<int64_t>(i)));
      RC_ASSERT(served[i] == model_[i]);
    }
    // What recovery found is on disk after the reboot, hence durable now.
    model_.resize(served.size());
    book_.acked.assign(served.size(), true);
    epoch_ = epoch_ + 1;
    ++crashes_;
  }

  const Scenario& scenario_;
  SimClock clock_;
  SimDisk disk_;
  SimRandom random_;
  SimLogger logger_;
  NoBuggify buggify_;
  Env env_;
  LogConfig config_;
  std::unique_ptr<PartitionLog> log_;
  std::vector<Record> model_;
  AckBook book_;
  Epoch epoch_{1};
  int crashes_ = 0;
};

void RunScenario() {
  const Scenario scenario = *GenScenario();
  Harness harness(scenario);
  harness.Start();
  for (const auto& op : scenario.ops) harness.Apply(op);
  harness.Finish();
}

TEST(PartitionLogCrashProperty, AckedRecordsSurviveCrashesAndNothingIsInvented) {
  const auto& config = rc::detail::configuration();
  rc::detail::TestParams params = config.testParams;
  if (params.maxSuccess == rc::detail::TestParams().maxSuccess) params.maxSuccess = kDefaultCases;
  rc::detail::TestMetadata metadata;
  metadata.id = "PartitionLogCrashProperty/AckedRecordsSurviveCrashesAndNothingIsInvented";
  metadata.description = "acked records survive crashes; nothing partial or invented is served";
  rc::detail::TestListenerAdapter listener;
  const auto result = rc::detail::checkProperty(rc::detail::toProperty(RunScenario), metadata,
                                                params, listener, config.reproduce);
  if (result.is<rc::detail::SuccessResult>()) {
    EXPECT_GE(result.get<rc::detail::SuccessResult>().numSuccess, params.maxSuccess);
    return;
  }
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  FAIL() << message.str() << "\nRapidCheck seed: " << params.seed
         << " (replay: RC_PARAMS=\"seed=" << params.seed << " max_success=" << params.maxSuccess
         << "\")";
}

// PartitionLog::Open creates its directory when missing; an acknowledged
// record must survive a crash even then, so the new directory's entry in its
// parent must be durable (SyncDir of the parent) before anything is acked.
TEST(PartitionLogCrash, NewLogDirectorySurvivesACrash) {
  int lost = 0;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed);
    SimRandom random(seed);
    SimLogger logger;
    NoBuggify buggify;
    Env env{clock, disk, random, logger, buggify};
    auto log = PartitionLog::Open(env, "data/topic-0", LogConfig{});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    std::vector<RecordInput> batch(1);
    batch[0].value = "acked";
    bool acked = false;
    ASSERT_TRUE((*log)->Append(batch, Epoch(1), [&](Status s) { acked = s.ok(); }).ok());
    ASSERT_TRUE(clock.RunUntilCondition([&] { return acked; }));
    disk.Crash();
    log.value().reset();
    auto reopened = PartitionLog::Open(env, "data/topic-0", LogConfig{});
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    if ((*reopened)->end_offset() != Offset(1)) ++lost;
  }
  EXPECT_EQ(lost, 0) << "acked records lost with their never-synced directory";
}

}  // namespace
}  // namespace gafka::sim
