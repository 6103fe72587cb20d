// ReplicaConfig: how a broker replicates (docs/replication.md). Part of
// BrokerConfig; used only when the broker is opened with a Transport.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/base/types.h"

namespace gafka {

struct ReplicaConfig {
  NodeId self{1};
  std::string data_dir;
  std::string advertised_address;  // this broker's host:port, for leader hints
  bool follower = false;
  NodeId leader_peer{0};       // Transport id of the leader (follower role)
  std::string leader_address;  // its host:port (hints, status)
  Millis replica_lag_time_max_ms = 10'000;
  int min_insync_replicas = 1;
  Millis fetch_max_wait_ms = 500;   // a leader parks an empty fetch this long
  // A follower fetches again while the records of the last reply sync (the
  // sync's completion then sends the fetch that reports them durable),
  // instead of only after: acks=all then waits less for a follower's round.
  bool pipelined_fetch = true;
  Millis fetch_timeout_ms = 5'000;  // a follower resends a fetch unanswered this long
                                    // after the leader's long-poll wait
  uint32_t fetch_max_bytes = 4u << 20;
  Millis notice_retry_ms = 500;
  int notice_attempts_max = 20;
  // Transport id for a broker address (fencing: follow the new leader).
  std::function<std::optional<NodeId>(const std::string& address)> resolve_peer;
};

}  // namespace gafka
