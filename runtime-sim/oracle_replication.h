// The replication invariants (docs/simulation.md, "Replication invariants"),
// judged on what the ReplicationOperator observes of the nodes: snapshots of
// every live broker's replication status, sampled every check interval, and
// at the end the logs of every replica once they converged. Numbered 11..17
// so they never clash with the single-broker (1..5) or group checkers.
//   11 at most one broker leads (accepts writes) in any epoch;
//   12 a broker's epoch never decreases (across restarts: it is durable);
//   13 a leader's high watermark never decreases within its term
//      (same broker, same incarnation, same epoch);
//   14 no acks=all write is lost (the oracle's invariant 1 judges every
//      acknowledgement except acks=1 ones; see Oracle::set_leader_only_sink);
//      acks=1 writes lost are counted per failover, and are a violation only
//      when no failover happened;
//   15 in-sync replicas' committed prefixes are byte-identical;
//   16 no reader ever sees a record that is later truncated (readers stop at
//      the HW; the oracle's invariants 2 and 4 on observed records, and the
//      final audit of the new leader's log, judge it);
//   17 liveness: once faults stop, the replicas converge (same log end and
//      HW as the leader, every follower in sync).
// Single-threaded; owned by the ReplicationOperator.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/base/types.h"
#include "core/log/record.h"
#include "runtime-sim/oracle.h"

namespace gafka::sim {

// One live broker's replication status at one instant.
struct ReplicaSnapshot {
  NodeId node;
  uint64_t incarnation = 0;  // SimNode::starts()
  bool leading = false;
  Epoch epoch;
  struct PartitionState {
    std::string topic;
    int32_t partition = 0;
    Offset log_end;
    Offset high_watermark;
    bool in_sync = false;  // follower: as the leader last said
  };
  std::vector<PartitionState> partitions;
};

class ReplicationChecker {
 public:
  explicit ReplicationChecker(Oracle& oracle) : oracle_(oracle) {}

  // 11, 12, 13 on one sample of the live brokers.
  void OnSnapshots(const std::vector<ReplicaSnapshot>& snapshots);
  // 15: every replica's records up to `committed` (the leader's HW, which
  // every follower reached) compared with the leader's, record by record.
  void CompareCommitted(const std::string& topic, int32_t partition, NodeId leader,
                        const std::vector<Record>& leader_records, NodeId follower,
                        const std::vector<Record>& follower_records, Offset committed);
  // 14: what became of the acks=1 acknowledgements, judged on the leader's
  // converged log (`at` gives the message id stored at an offset, if any).
  // Returns how many acks=1 writes were lost.
  void OnLeaderOnlyAck(const AckEvent& ack) { leader_only_.push_back(ack); }
  uint64_t CountLeaderOnlyLost(
      uint64_t failovers,
      const std::function<std::optional<MessageId>(const std::string&, int32_t, Offset)>& at);

  uint64_t leader_only_acks() const { return leader_only_.size(); }
  uint64_t samples() const { return samples_; }

 private:
  Oracle& oracle_;
  std::map<int32_t, Epoch> epoch_of_;     // node -> highest epoch seen
  std::map<int64_t, int32_t> leader_of_;  // epoch -> the node that led in it
  // (node, incarnation, epoch, topic, partition) -> highest HW seen leading.
  std::map<std::tuple<int32_t, uint64_t, int64_t, std::string, int32_t>, Offset> hw_;
  std::vector<AckEvent> leader_only_;
  uint64_t samples_ = 0;
};

}  // namespace gafka::sim
