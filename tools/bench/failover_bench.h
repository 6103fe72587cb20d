// gafka-bench failover: recovery time of a leader -> follower failover with
// real processes.
//
// Starts a leader (--min-insync-replicas=2) and a follower of it on loopback
// under a fresh work directory; W writer threads produce for --seconds with
// acks=1, then for --seconds with acks=all (throughput of each: the cost of
// replication); then, under the acks=all load, the leader is killed with
// SIGKILL and the follower promoted at once (POST /internal/v1/promote). It
// measures the time from the kill until a produce succeeds on the promoted
// follower (unavailable_ms) and until every acknowledged acks=all message is
// read back from it (all_readable_ms), and counts acknowledged messages that
// are missing (lost_acked: must be 0).
#pragma once

#include <CLI/CLI.hpp>

namespace gafka::bench {

void RegisterFailover(CLI::App& app, int* exit_code);

}  // namespace gafka::bench
