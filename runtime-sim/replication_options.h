// What a scenario's "replication" section draws (docs/simulation.md,
// "Replication scenarios"): a leader and followers that replicate over
// SimNetwork, and the operator's faults on them (ReplicationOperator).
#pragma once

#include <cstdint>

#include "core/base/types.h"

namespace gafka::sim {

struct ReplicationOptions {
  bool enabled = false;  // the section is present: nodes replicate
  int min_insync_replicas = 1;
  Millis replica_lag_time_max_ms = 2'000;
  Millis fetch_max_wait_ms = 100;
  Millis fetch_timeout_ms = 500;
  // Leader crash; the operator promotes the most caught-up in-sync follower
  // promote_delay_ms later; the old leader returns as a follower.
  bool leader_crash = false;
  Millis leader_crash_interval_mean_ms = 20'000;
  Millis promote_delay_max_ms = 1'000;
  Millis leader_restart_delay_max_ms = 5'000;
  // Follower crash and restart.
  bool follower_crash = false;
  Millis follower_crash_interval_mean_ms = 20'000;
  Millis follower_restart_delay_max_ms = 5'000;
  // Partitions between the leader and followers (clients unaffected).
  bool partition = false;
  Millis partition_interval_mean_ms = 15'000;
  Millis partition_duration_max_ms = 5'000;
  // Replication messages only: lost, duplicated (SimNetwork drop filter and
  // per-path options), delayed (extra latency on broker-to-broker paths).
  double message_loss = 0;
  double message_duplicate = 0;
  Millis message_delay_mean_ms = 0;
  // How often the invariants on live state (leaders per epoch, epochs, HW)
  // are sampled.
  Millis check_interval_ms = 25;
};

}  // namespace gafka::sim
