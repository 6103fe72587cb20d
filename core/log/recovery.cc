// Recovery of one partition log directory. The decision table lives in
// docs/wal-format.md; the comments here say which row a branch implements.
//
// Why damage in an unsealed segment is judged within that segment only (and
// not by looking for valid records in later unsealed segments): a chain of
// syncs covers older segments before newer ones, so a record of a later
// segment can only have been acknowledged if every byte of this segment was
// synced first. A damaged tail followed by a later *unsealed* segment is the
// signature of a crash during a roll (this segment's unsynced tail torn, the
// next one's unsynced data kept), not of corruption. A later *sealed*
// segment proves this one was fully synced, so damage here is corruption.
#include "core/log/recovery.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "core/base/check.h"

namespace gafka::wal {
namespace {

constexpr size_t kSearchWindowBytes = 1 << 20;

std::string Describe(const std::string& path, uint64_t position, Offset offset) {
  return path + " at byte " + std::to_string(position) + " (offset " +
         std::to_string(offset.value()) + ")";
}

// Is there a CRC-valid record after the damage at `damage`, with an offset
// that could follow the last good record? The offset may exceed `expected`
// by at most the number of records that fit in the damaged bytes.
Result<bool> ValidRecordAfter(File& file, uint64_t damage, uint64_t end, Offset expected,
                              uint64_t* bytes_read) {
  CHECK(damage <= end);
  CHECK(bytes_read != nullptr);
  std::string window;
  std::string whole;
  for (uint64_t q = damage + 1; q + kHeaderSize <= end;) {
    const uint64_t length = std::min<uint64_t>(kSearchWindowBytes + kHeaderSize, end - q);
    GAFKA_RETURN_IF_ERROR(file.Read(q, static_cast<size_t>(length), &window));
    *bytes_read += window.size();
    if (window.size() < kHeaderSize) break;
    for (size_t i = 0; i + kHeaderSize <= window.size(); ++i) {
      size_t total = 0;
      Offset offset;
      if (!PeekHeader(window.data() + i, window.size() - i, &total, &offset)) continue;
      const uint64_t at = q + i;
      const Offset max_offset = expected + static_cast<int64_t>((at - damage) / kHeaderSize);
      if (at + total > end || offset < expected || offset > max_offset) continue;
      std::string_view candidate;
      if (i + total <= window.size()) {
        candidate = std::string_view(window).substr(i, total);
      } else {
        GAFKA_RETURN_IF_ERROR(file.Read(at, total, &whole));
        *bytes_read += whole.size();
        candidate = whole;
      }
      const Checked c = CheckRecord(candidate.data(), candidate.size());
      if (c.outcome == DecodeOutcome::kOk && c.offset == offset) return true;
    }
    q += window.size() - kHeaderSize + 1;
  }
  return false;
}

struct ScanResult {
  SegmentIndex index;
  bool damaged = false;  // else the file ended cleanly on a record boundary
  DecodeOutcome outcome = DecodeOutcome::kOk;
};

// Reads an unsealed segment record by record, rebuilding its index, up to
// the end of the file or the first invalid record (bad length, magic, CRC or
// layout; an offset that is not the next; an epoch that goes backwards).
Result<ScanResult> ScanSegment(File& file, Offset base, uint64_t interval_bytes, Epoch min_epoch,
                               uint64_t* bytes_read) {
  CHECK(base.value() >= 0);
  CHECK(bytes_read != nullptr);
  ScanResult scan{SegmentIndex(base, interval_bytes)};
  RecordCursor cursor(file, 0, file.Size());
  for (;;) {
    const uint64_t position = cursor.position();
    Checked c;
    Result<RecordCursor::Step> step = cursor.Next(&c, nullptr);
    if (!step.ok()) return step.status();
    if (*step == RecordCursor::Step::kEnd) break;
    const Offset expected = scan.index.next_offset();
    if (*step == RecordCursor::Step::kBad || c.offset != expected || c.epoch < min_epoch) {
      scan.damaged = true;
      scan.outcome = *step == RecordCursor::Step::kBad ? c.outcome : DecodeOutcome::kBadLayout;
      break;
    }
    scan.index.Add(c.offset, position, c.size, c.timestamp_ms, c.epoch);
    min_epoch = c.epoch;
  }
  *bytes_read += cursor.bytes_read();
  CHECK(scan.index.size() == cursor.position());
  return scan;
}

// One segment found in the directory, before the walk decides about it.
struct Candidate {
  Offset base;
  std::unique_ptr<File> file;
  std::optional<SegmentIndex> seal;
};

class Recoverer {
 public:
  Recoverer(Env& env, const std::string& dir, const LogConfig& config)
      : env_(env), dir_(dir), config_(config) {}

  Result<RecoveredLog> Run() {
    GAFKA_RETURN_IF_ERROR(env_.disk.MakeDirs(dir_));
    GAFKA_RETURN_IF_ERROR(SyncAncestors());
    GAFKA_RETURN_IF_ERROR(Load());
    GAFKA_RETURN_IF_ERROR(Walk());
    out_.report.detail = detail_.empty() ? "clean" : detail_;
    return std::move(out_);
  }

 private:
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // The log directory itself must survive a crash: sync the entry of every
  // path component in its parent ("" is the Disk's root).
  Status SyncAncestors() {
    std::string parent;
    for (size_t at = 0;;) {
      GAFKA_RETURN_IF_ERROR(env_.disk.SyncDir(parent));
      const size_t slash = dir_.find('/', at);
      if (slash == std::string::npos) return Status::Ok();
      parent = dir_.substr(0, slash);
      at = slash + 1;
    }
  }
  void Note(const std::string& line) { detail_ += (detail_.empty() ? "" : "; ") + line; }

  // Lists the directory, removes index files without a log (a stale seal
  // must never be paired with a future segment of the same base), opens the
  // logs and reads their seals.
  Status Load() {
    GAFKA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.disk.List(dir_));
    std::map<Offset, std::pair<bool, bool>> found;  // base -> (log, index)
    for (const std::string& name : names) {
      Offset base;
      SegmentFileKind kind;
      if (!ParseSegmentFileName(name, &base, &kind)) continue;
      auto& [log, index] = found[base];
      (kind == SegmentFileKind::kLog ? log : index) = true;
    }
    for (const auto& [base, has] : found) {
      if (!has.first) {
        GAFKA_RETURN_IF_ERROR(env_.disk.Remove(Path(SegmentIndexName(base))));
        Note("removed orphan index " + SegmentIndexName(base));
        continue;
      }
      GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                             env_.disk.Open(Path(SegmentLogName(base)), OpenMode::kOpenExisting));
      Candidate c{base, std::move(file), std::nullopt};
      if (has.second) GAFKA_RETURN_IF_ERROR(LoadSeal(&c));
      candidates_.push_back(std::move(c));
    }
    return Status::Ok();
  }

  Status LoadSeal(Candidate* c) {
    CHECK(c != nullptr && c->file != nullptr);
    CHECK(!c->seal.has_value());
    GAFKA_ASSIGN_OR_RETURN(
        std::unique_ptr<File> file,
        env_.disk.Open(Path(SegmentIndexName(c->base)), OpenMode::kOpenExisting));
    std::string bytes;
    GAFKA_RETURN_IF_ERROR(file->Read(0, static_cast<size_t>(file->Size()), &bytes));
    Result<SegmentIndex> index =
        SegmentIndex::DecodeFile(bytes, c->base, config_.index_interval_bytes);
    if (index.ok()) {
      c->seal = std::move(index).value();
    } else {
      Note(SegmentIndexName(c->base) + " invalid (" + index.status().message() + "), scanning");
    }
    return Status::Ok();
  }

  bool AnySealedFrom(size_t i) const {
    for (; i < candidates_.size(); ++i) {
      if (candidates_[i].seal) return true;
    }
    return false;
  }

  void Keep(Candidate& c, SegmentIndex index, bool sealed) {
    out_.segments.push_back(std::make_unique<Segment>(dir_, std::move(c.file), std::move(index),
                                                      sealed, env_.clock.NowMs()));
  }

  Status Walk() {
    CHECK(out_.segments.empty());
    CHECK(std::is_sorted(candidates_.begin(), candidates_.end(),
                         [](const Candidate& a, const Candidate& b) { return a.base < b.base; }));
    std::optional<Offset> expected;
    Epoch min_epoch(std::numeric_limits<int32_t>::min());
    for (size_t i = 0; i < candidates_.size(); ++i) {
      Candidate& c = candidates_[i];
      if (expected && *expected != c.base) return Discontinuity(i, *expected);
      SegmentIndex index(c.base, config_.index_interval_bytes);
      if (c.seal) {
        if (!CheckSeal(c, min_epoch)) return Status::Ok();
        index = std::move(*c.seal);
        ++out_.report.segments_trusted;
      } else {
        ++out_.report.segments_scanned;
        GAFKA_ASSIGN_OR_RETURN(ScanResult scan,
                               ScanSegment(*c.file, c.base, config_.index_interval_bytes, min_epoch,
                                           &out_.report.bytes_scanned));
        if (scan.damaged) return Damaged(i, std::move(scan));
        index = std::move(scan.index);
      }
      expected = index.next_offset();
      if (!index.epochs().empty()) min_epoch = index.epochs().back().epoch;
      Keep(c, std::move(index), c.seal.has_value());
    }
    return Status::Ok();
  }

  // A sealed segment is trusted unless its file lost bytes the seal covers.
  bool CheckSeal(Candidate& c, Epoch min_epoch) {
    const SegmentIndex& seal = *c.seal;
    const std::string path = Path(SegmentLogName(c.base));
    if (c.file->Size() < seal.size()) {
      out_.corruption =
          Corruption(path + " is " + std::to_string(c.file->Size()) +
                     " bytes but its seal records " + std::to_string(seal.size()) +
                     ": synced data vanished (offset " + std::to_string(c.base.value()) + ")");
      return false;
    }
    if (!seal.epochs().empty() && seal.epochs().front().epoch < min_epoch) {
      out_.corruption = Corruption(Describe(path, 0, c.base) + ": leader epoch goes backwards");
      return false;
    }
    if (c.file->Size() > seal.size()) Note(SegmentLogName(c.base) + " longer than its seal");
    return true;
  }

  // The previous segment ends at `expected` but segment i starts elsewhere.
  Status Discontinuity(size_t i, Offset expected) {
    CHECK(i > 0 && i < candidates_.size());
    CHECK(out_.segments.size() == i);
    const Candidate& c = candidates_[i];
    const bool previous_unsealed = !out_.segments.back()->sealed();
    if (previous_unsealed && !AnySealedFrom(i)) {
      // Row "unsealed segment does not end at the next base": its latest
      // state never became durable (a tail lost at a record boundary, or a
      // Truncate undone by the crash), so by sync order nothing after it was
      // acknowledged.
      Note(SegmentLogName(out_.segments.back()->base_offset()) + " ends at offset " +
           std::to_string(expected.value()) + ", not at the base of " + SegmentLogName(c.base));
      return RemoveFrom(i);
    }
    out_.corruption = Corruption(
        Path(SegmentLogName(c.base)) + ": starts at offset " + std::to_string(c.base.value()) +
        " but the previous segment ends at offset " + std::to_string(expected.value()));
    return Status::Ok();
  }

  // Row "invalid record": torn tail or corruption, by what follows it.
  Status Damaged(size_t i, ScanResult scan) {
    CHECK(scan.damaged);
    CHECK(out_.segments.size() == i);
    Candidate& c = candidates_[i];
    const uint64_t damage = scan.index.size();
    const Offset offset = scan.index.next_offset();
    const std::string path = Path(SegmentLogName(c.base));
    GAFKA_ASSIGN_OR_RETURN(bool valid_after, ValidRecordAfter(*c.file, damage, c.file->Size(),
                                                              offset, &out_.report.bytes_scanned));
    if (valid_after || AnySealedFrom(i + 1)) {
      out_.corruption =
          Corruption(Describe(path, damage, offset) + ": " + DecodeOutcomeName(scan.outcome) +
                     (valid_after ? ", followed by valid records" : ", before a sealed segment"));
      Keep(c, std::move(scan.index), false);
      return Status::Ok();
    }
    const uint64_t cut = c.file->Size() - damage;
    GAFKA_RETURN_IF_ERROR(c.file->Truncate(damage));
    out_.report.bytes_cut += cut;
    Note("torn tail of " + std::to_string(cut) + " bytes cut at " + Describe(path, damage, offset));
    Keep(c, std::move(scan.index), false);
    return RemoveFrom(i + 1);
  }

  // Removes segments i.. (they hold no acknowledged data), newest first so
  // that a crash meanwhile leaves a contiguous prefix, and syncs the dir.
  Status RemoveFrom(size_t i) {
    CHECK(i > 0);
    CHECK(out_.corruption.ok());
    if (i >= candidates_.size()) return Status::Ok();
    for (size_t j = candidates_.size(); j-- > i;) {
      Candidate& c = candidates_[j];
      out_.report.bytes_cut += c.file->Size();
      c.file.reset();
      GAFKA_RETURN_IF_ERROR(env_.disk.Remove(Path(SegmentLogName(c.base))));
      Status s = env_.disk.Remove(Path(SegmentIndexName(c.base)));
      if (!s.ok() && s.code() != Code::kNotFound) return s;
      ++out_.report.segments_removed;
      Note("removed unacknowledged segment " + SegmentLogName(c.base));
    }
    return env_.disk.SyncDir(dir_);
  }

  Env& env_;
  const std::string& dir_;
  const LogConfig& config_;
  std::vector<Candidate> candidates_;
  RecoveredLog out_;
  std::string detail_;
};

}  // namespace

Result<RecoveredLog> RecoverLog(Env& env, const std::string& dir, const LogConfig& config) {
  CHECK(!dir.empty());
  CHECK(config.index_interval_bytes > 0);
  return Recoverer(env, dir, config).Run();
}

}  // namespace gafka::wal
