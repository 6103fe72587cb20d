#include "runtime-sim/oracle_replication.h"

namespace gafka::sim {
namespace {

std::string Where(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

}  // namespace

void ReplicationChecker::OnSnapshots(const std::vector<ReplicaSnapshot>& snapshots) {
  ++samples_;
  for (const ReplicaSnapshot& s : snapshots) {
    const int32_t node = s.node.value();
    auto seen = epoch_of_.find(node);
    if (seen != epoch_of_.end() && s.epoch < seen->second) {
      return oracle_.Fail(12, "epoch-decreased",
                          "node " + std::to_string(node) + " was at epoch " +
                              std::to_string(seen->second.value()) + ", now at " +
                              std::to_string(s.epoch.value()));
    }
    epoch_of_[node] = s.epoch;
    if (!s.leading) continue;
    auto [it, inserted] = leader_of_.emplace(s.epoch.value(), node);
    if (!inserted && it->second != node) {
      return oracle_.Fail(11, "two-leaders-in-one-epoch",
                          "nodes " + std::to_string(it->second) + " and " + std::to_string(node) +
                              " both lead epoch " + std::to_string(s.epoch.value()));
    }
    for (const auto& p : s.partitions) {
      auto key = std::make_tuple(node, s.incarnation, s.epoch.value(), p.topic, p.partition);
      auto [hw, fresh] = hw_.emplace(key, p.high_watermark);
      if (!fresh && p.high_watermark < hw->second) {
        return oracle_.Fail(
            13, "leader-hw-decreased",
            "node " + std::to_string(node) + " leading epoch " + std::to_string(s.epoch.value()) +
                ": " + Where(p.topic, p.partition) + " HW " + std::to_string(hw->second.value()) +
                " -> " + std::to_string(p.high_watermark.value()));
      }
      if (p.high_watermark > hw->second) hw->second = p.high_watermark;
      if (p.high_watermark > p.log_end) {
        return oracle_.Fail(13, "leader-hw-past-log-end",
                            "node " + std::to_string(node) + ": " + Where(p.topic, p.partition) +
                                " HW " + std::to_string(p.high_watermark.value()) + " > log end " +
                                std::to_string(p.log_end.value()));
      }
    }
  }
}

void ReplicationChecker::CompareCommitted(const std::string& topic, int32_t partition,
                                          NodeId leader, const std::vector<Record>& leader_records,
                                          NodeId follower,
                                          const std::vector<Record>& follower_records,
                                          Offset committed) {
  const std::string who = "node " + std::to_string(follower.value()) + " vs leader " +
                          std::to_string(leader.value()) + " on " + Where(topic, partition);
  const size_t n = static_cast<size_t>(committed.value());
  if (leader_records.size() < n || follower_records.size() < n) {
    return oracle_.Fail(15, "committed-prefix-missing",
                        who + ": committed " + std::to_string(n) + " but leader has " +
                            std::to_string(leader_records.size()) + " and follower " +
                            std::to_string(follower_records.size()) + " records");
  }
  for (size_t i = 0; i < n; ++i) {
    const Record& a = leader_records[i];
    const Record& b = follower_records[i];
    if (!(a == b)) {  // offset, timestamp, epoch, key, value, headers
      return oracle_.Fail(15, "committed-prefix-differs",
                          who + ": offset " + std::to_string(i) + " differs (" +
                              a.value.substr(0, 24) + " vs " + b.value.substr(0, 24) + ")");
    }
  }
}

uint64_t ReplicationChecker::CountLeaderOnlyLost(
    uint64_t failovers,
    const std::function<std::optional<MessageId>(const std::string&, int32_t, Offset)>& at) {
  uint64_t lost = 0;
  std::string examples;
  for (const AckEvent& ack : leader_only_) {
    const std::optional<MessageId> slot = at(ack.topic, ack.partition.value(), ack.offset);
    if (slot == ack.id) continue;
    if (++lost <= 3) {
      examples += " m" + std::to_string(ack.id) + " at " + Where(ack.topic, ack.partition.value()) +
                  "@" + std::to_string(ack.offset.value()) + " (now " +
                  (slot ? "m" + std::to_string(*slot) : std::string("nothing")) + ", acked at " +
                  std::to_string(ack.timestamp_ms) + ");";
    }
  }
  if (lost > 0 && failovers == 0) {
    oracle_.Fail(14, "acks1-write-lost-without-failover",
                 std::to_string(lost) +
                     " acks=1 writes are gone although no leader was ever replaced:" + examples);
  }
  return lost;
}

}  // namespace gafka::sim
