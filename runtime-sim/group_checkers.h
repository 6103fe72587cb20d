// The consumer-group invariants (invariant 6 in docs/simulation.md), judged
// from what simulated group members and the committed-offsets observer were
// told (sim_group_members.h). Reported through the shared Oracle (Fail), so
// the first violation ends the run like any other.
//
//   group-two-owners            at most one owner per partition per generation
//                               (every join, heartbeat, poll and commit answer
//                               names the member's generation and partitions);
//   group-fenced-commit         a commit answered 200 by a member that did not
//                               own the partition in that generation; or a
//                               committed offset that only refused (409)
//                               commits ever asked for;
//   group-commit-regressed      the observer (one request at a time, so its
//                               answers are in broker order) saw a committed
//                               offset go backwards (no resets in scenarios),
//                               or lower than a commit answered before it asked
//                               (an acknowledged commit lost, e.g. by a crash);
//   group-commit-past-end       a committed offset past every offset known to
//                               exist (acked or delivered), or past the final
//                               log end;
//   group-gap                   a commit applied at C while an acked or
//                               delivered offset below C was never processed
//                               (at-least-once: duplicates allowed, gaps never);
//   group-record-altered        a group poll delivered a record whose bytes
//                               are not what its producer sent, or that differ
//                               from the acked record at that offset;
//   liveness (5) "group-liveness"  after faults stop, every acked record is
//                               processed and committed (Simulation's drain).
//
// Owned by SimGroup; single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/base/types.h"
#include "core/log/record.h"
#include "runtime-sim/oracle.h"

namespace gafka::sim {

class GroupChecker {
 public:
  static constexpr int kInvariant = 6;

  GroupChecker(Oracle& oracle, std::string topic, int32_t partitions);

  // An answer told `member` it owns `partitions` in `generation`.
  void OnAssignment(const std::string& member, int64_t generation,
                    const std::vector<int32_t>& partitions);
  // A group poll delivered `record` of `partition`.
  void OnDelivered(const std::string& member, int32_t partition, const Record& record);
  // The member finished processing these offsets (before committing them).
  void OnProcessed(int32_t partition, Offset from, Offset to);  // [from, to)
  // A commit of `offset` for `partition` is sent.
  void OnCommitSent(int32_t partition, Offset offset);
  // A commit of `offset` for `partition` was sent by `member` in `generation`
  // and then: accepted (200; `applied`, `committed` as answered), refused
  // (409/400: must not be applied), or unknown (timeout, 5xx).
  void OnCommitAccepted(const std::string& member, int64_t generation, int32_t partition,
                        Offset offset, bool applied, Offset committed);
  void OnCommitRefused(int32_t partition, Offset offset);
  void OnCommitUnknown(int32_t partition, Offset offset);
  // The floor an observer request sent now must see (acked commits so far).
  std::map<int32_t, Offset> AckedCommitFloor() const { return acked_floor_; }
  // The observer's answer to a request sent when `floor` was the floor.
  void OnCommittedRead(const std::map<int32_t, Offset>& floor,
                       const std::map<int32_t, Offset>& committed);
  // Liveness: every acked offset processed, and the observer saw every
  // partition committed at or past its acked end.
  bool Consumed() const;
  std::string DescribeProgress() const;
  // The final audit: committed offsets never past the log end.
  void OnFinal(const FinalAudit& audit);

  uint64_t delivered() const { return delivered_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t generations() const { return generations_.size(); }
  uint64_t commits_applied() const { return commits_applied_; }
  uint64_t commits_refused() const { return commits_refused_; }

 private:
  struct PartitionState {
    std::vector<bool> processed;  // by offset
    Offset gap_checked{0};        // offsets below are checked for gaps
    Offset delivered_end{0};      // highest delivered offset + 1
    Offset observed{0};           // the observer's last committed value
    bool observed_any = false;
    std::map<int64_t, int> asked;    // commits sent, by value
    std::map<int64_t, int> refused;  // commits refused, by value
  };
  PartitionState& State(int32_t partition);
  Offset KnownEnd(int32_t partition) const;
  bool Fail(const char* name, const std::string& detail);

  Oracle& oracle_;
  const std::string topic_;
  std::vector<PartitionState> partitions_;
  std::map<std::pair<int64_t, int32_t>, std::string> owners_;  // (generation, partition)
  std::set<int64_t> generations_;
  std::map<int32_t, Offset> acked_floor_;
  uint64_t delivered_ = 0, duplicates_ = 0, commits_applied_ = 0, commits_refused_ = 0;
};

}  // namespace gafka::sim
