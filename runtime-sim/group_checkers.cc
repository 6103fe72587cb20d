#include "runtime-sim/group_checkers.h"

#include <algorithm>

#include "core/base/check.h"

namespace gafka::sim {

GroupChecker::GroupChecker(Oracle& oracle, std::string topic, int32_t partitions)
    : oracle_(oracle), topic_(std::move(topic)), partitions_(static_cast<size_t>(partitions)) {}

GroupChecker::PartitionState& GroupChecker::State(int32_t partition) {
  CHECK(partition >= 0 && static_cast<size_t>(partition) < partitions_.size());
  return partitions_[static_cast<size_t>(partition)];
}

bool GroupChecker::Fail(const char* name, const std::string& detail) {
  oracle_.Fail(kInvariant, name, detail);
  return false;
}

void GroupChecker::OnAssignment(const std::string& member, int64_t generation,
                                const std::vector<int32_t>& partitions) {
  generations_.insert(generation);
  for (int32_t p : partitions) {
    auto [it, inserted] = owners_.emplace(std::make_pair(generation, p), member);
    if (!inserted && it->second != member) {
      Fail("group-two-owners", "partition " + std::to_string(p) + " of generation " +
                                   std::to_string(generation) + " owned by " + it->second +
                                   " and by " + member);
      return;
    }
  }
}

void GroupChecker::OnDelivered(const std::string& member, int32_t partition, const Record& record) {
  if (partition < 0 || static_cast<size_t>(partition) >= partitions_.size()) {
    Fail("group-record-altered", member + " got a record of partition " +
                                     std::to_string(partition) + " that does not exist");
    return;
  }
  const auto id = Oracle::IdOf(record.value);
  const uint64_t fingerprint = Oracle::Fingerprint(record);
  const auto sent = id ? oracle_.SentFingerprint(*id) : std::nullopt;
  const std::string where = member + " partition " + std::to_string(partition) + " offset " +
                            std::to_string(record.offset.value());
  if (!sent || *sent != fingerprint) {
    Fail("group-record-altered", where + ": not a record any producer sent");
    return;
  }
  if (const Slot* acked = oracle_.Acked(topic_, PartitionId(partition), record.offset)) {
    if (acked->id != *id || acked->fingerprint != fingerprint) {
      Fail("group-record-altered", where + ": message " + std::to_string(*id) + " where message " +
                                       std::to_string(acked->id) + " was acked");
      return;
    }
  }
  PartitionState& s = State(partition);
  ++delivered_;
  const auto index = static_cast<size_t>(record.offset.value());
  if (index < s.processed.size() && s.processed[index]) ++duplicates_;
  s.delivered_end = std::max(s.delivered_end, record.offset + 1);
}

void GroupChecker::OnProcessed(int32_t partition, Offset from, Offset to) {
  PartitionState& s = State(partition);
  if (to.value() > static_cast<int64_t>(s.processed.size())) {
    s.processed.resize(static_cast<size_t>(to.value()), false);
  }
  for (int64_t o = from.value(); o < to.value(); ++o) s.processed[static_cast<size_t>(o)] = true;
}

Offset GroupChecker::KnownEnd(int32_t partition) const {
  const PartitionState& s = partitions_[static_cast<size_t>(partition)];
  Offset end = s.delivered_end;
  oracle_.ForEachAcked(topic_, PartitionId(partition),
                       [&](Offset offset, const Slot&) { end = std::max(end, offset + 1); });
  return end;
}

void GroupChecker::OnCommitAccepted(const std::string& member, int64_t generation,
                                    int32_t partition, Offset offset, bool applied,
                                    Offset committed) {
  PartitionState& s = State(partition);
  auto owner = owners_.find({generation, partition});
  if (owner != owners_.end() && owner->second != member) {
    Fail("group-fenced-commit", member + "'s commit of partition " + std::to_string(partition) +
                                    " in generation " + std::to_string(generation) +
                                    " was accepted, but " + owner->second + " owns it");
    return;
  }
  if (applied) {
    ++commits_applied_;
    if (committed != offset) {
      Fail("group-fenced-commit", "an applied commit of " + std::to_string(offset.value()) +
                                      " answered committed_offset " +
                                      std::to_string(committed.value()));
      return;
    }
  }
  if (committed > KnownEnd(partition)) {
    Fail("group-commit-past-end", "partition " + std::to_string(partition) + " committed at " +
                                      std::to_string(committed.value()) +
                                      ", past every known offset (" +
                                      std::to_string(KnownEnd(partition).value()) + ")");
    return;
  }
  Offset& floor = acked_floor_[partition];
  floor = std::max(floor, committed);
  // No gaps: every offset below the committed one that is known to exist was
  // processed by someone.
  for (int64_t o = s.gap_checked.value(); o < committed.value(); ++o) {
    const auto index = static_cast<size_t>(o);
    const bool processed = index < s.processed.size() && s.processed[index];
    if (processed) continue;
    const bool exists = oracle_.Acked(topic_, PartitionId(partition), Offset(o)) != nullptr ||
                        oracle_.Observed(topic_, PartitionId(partition), Offset(o)) != nullptr;
    if (exists) {
      Fail("group-gap", "partition " + std::to_string(partition) + " committed at " +
                            std::to_string(committed.value()) + " but offset " + std::to_string(o) +
                            " was never processed");
      return;
    }
  }
  s.gap_checked = std::max(s.gap_checked, committed);
}

void GroupChecker::OnCommitSent(int32_t partition, Offset offset) {
  ++State(partition).asked[offset.value()];
}

void GroupChecker::OnCommitRefused(int32_t partition, Offset offset) {
  ++commits_refused_;
  ++State(partition).refused[offset.value()];
}

void GroupChecker::OnCommitUnknown(int32_t /*partition*/, Offset /*offset*/) {}

void GroupChecker::OnCommittedRead(const std::map<int32_t, Offset>& floor,
                                   const std::map<int32_t, Offset>& committed) {
  for (const auto& [p, value] : committed) {
    if (p < 0 || static_cast<size_t>(p) >= partitions_.size()) {
      Fail("group-fenced-commit",
           "committed offset for partition " + std::to_string(p) + " that does not exist");
      return;
    }
    PartitionState& s = State(p);
    const std::string where =
        "partition " + std::to_string(p) + " committed " + std::to_string(value.value());
    const int asked = s.asked.count(value.value()) ? s.asked.at(value.value()) : 0;
    const int refused = s.refused.count(value.value()) ? s.refused.at(value.value()) : 0;
    if (asked <= refused) {
      Fail("group-fenced-commit",
           where + (refused > 0 ? ": only a refused (fenced) commit asked for it"
                                : ": no commit asked for it"));
      return;
    }
    if (s.observed_any && value < s.observed) {
      Fail("group-commit-regressed",
           where + " after " + std::to_string(s.observed.value()) + " was observed");
      return;
    }
    auto f = floor.find(p);
    if (f != floor.end() && value < f->second) {
      Fail("group-commit-regressed", where + " but a commit of " +
                                         std::to_string(f->second.value()) +
                                         " was acknowledged before the read was sent");
      return;
    }
    if (value > KnownEnd(p)) {
      Fail("group-commit-past-end",
           where + ", past every known offset (" + std::to_string(KnownEnd(p).value()) + ")");
      return;
    }
    s.observed = value;
    s.observed_any = true;
  }
  for (size_t p = 0; p < partitions_.size(); ++p) {
    if (partitions_[p].observed_any && !committed.count(static_cast<int32_t>(p))) {
      Fail("group-commit-regressed",
           "partition " + std::to_string(p) + "'s committed offset disappeared");
      return;
    }
  }
}

bool GroupChecker::Consumed() const {
  for (size_t p = 0; p < partitions_.size(); ++p) {
    const PartitionState& s = partitions_[p];
    bool all = true;
    Offset end{0};
    oracle_.ForEachAcked(topic_, PartitionId(static_cast<int32_t>(p)),
                         [&](Offset offset, const Slot&) {
                           const auto index = static_cast<size_t>(offset.value());
                           if (index >= s.processed.size() || !s.processed[index]) all = false;
                           end = std::max(end, offset + 1);
                         });
    if (!all) return false;
    if (end.value() > 0 && (!s.observed_any || s.observed < end)) return false;
  }
  return true;
}

std::string GroupChecker::DescribeProgress() const {
  std::string out = "group:";
  for (size_t p = 0; p < partitions_.size(); ++p) {
    const PartitionState& s = partitions_[p];
    Offset end{0}, first_missing{-1};
    oracle_.ForEachAcked(
        topic_, PartitionId(static_cast<int32_t>(p)), [&](Offset offset, const Slot&) {
          const auto index = static_cast<size_t>(offset.value());
          if (first_missing.value() < 0 && (index >= s.processed.size() || !s.processed[index])) {
            first_missing = offset;
          }
          end = std::max(end, offset + 1);
        });
    out += " p" + std::to_string(p) + " acked_end=" + std::to_string(end.value()) +
           " committed=" + (s.observed_any ? std::to_string(s.observed.value()) : "none") +
           " first_unprocessed=" + std::to_string(first_missing.value()) + ";";
  }
  return out;
}

void GroupChecker::OnFinal(const FinalAudit& audit) {
  for (size_t p = 0; p < partitions_.size(); ++p) {
    const PartitionState& s = partitions_[p];
    auto end = audit.log_end.find({topic_, static_cast<int32_t>(p)});
    if (s.observed_any && end != audit.log_end.end() && s.observed > end->second) {
      Fail("group-commit-past-end", "partition " + std::to_string(p) + " committed at " +
                                        std::to_string(s.observed.value()) +
                                        " past the final log end " +
                                        std::to_string(end->second.value()));
      return;
    }
  }
}

}  // namespace gafka::sim
