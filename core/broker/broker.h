// Broker: topics, partitions, produce and fetch with long polling, on the
// Env. One instance per broker process (or simulated node); single-threaded:
// every call comes from the loop that owns it. See core/broker/README.md.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/broker/group_requests.h"
#include "core/env/env.h"
#include "core/group/group_types.h"
#include "core/log/partition_log.h"
#include "core/protocol/codec.h"
#include "core/protocol/messages.h"
#include "core/replica/replica_config.h"

namespace gafka {

struct BrokerConfig {
  NodeId id{1};
  std::string role = "leader";
  std::string data_dir;  // directory on the Disk holding everything
  ApiLimits limits;
  TopicConfig default_topic_config;
  uint64_t index_interval_bytes = 4096;
  Millis retention_check_interval_ms = 60'000;  // <= 0: no retention checks
  size_t max_waiters = 10'000;                  // parked long polls, broker-wide
  // Consumer groups (core/group). offsets_dir is relative to data_dir when
  // not absolute; default "<data_dir>/__consumer_offsets".
  bool enable_groups = true;
  GroupConfig groups;
  // Replication (docs/replication.md); used only when Open gets a Transport.
  ReplicaConfig replication;
};

class Broker {
 public:
  ~Broker();
  // Loads topic metadata, removes orphan partition directories and recovers
  // every partition log.
  static Result<std::unique_ptr<Broker>> Open(Env& env, BrokerConfig config);
  // The same, replicating through `transport` (leader or follower per
  // config.replication). The transport must outlive the broker.
  static Result<std::unique_ptr<Broker>> Open(Env& env, BrokerConfig config, Transport* transport);

  // Replication: makes this follower the leader of a new epoch (a leader
  // answers its current epoch). kFailedPrecondition-like errors as Status.
  // `advertised_address` (host:port clients reach it at) becomes the leader
  // hint the fenced old leader gives; empty: the configured one.
  // `force`: promote even if the follower was not in sync (unclean).
  Result<Epoch> Promote(const std::string& advertised_address = "", bool force = false);

  // Executes one request; `done` is called exactly once, later or at once,
  // on the loop (long polls and acked produces complete later).
  void Execute(ApiRequest request, std::function<void(ApiResponse)> done);

  // Graceful stop: new requests get 503, parked polls complete empty,
  // pending syncs finish; then `done` (from its own Clock task, so `done`
  // may destroy the broker). Call once.
  void Shutdown(std::function<void()> done);

  // Replaces the handler of consumer-group requests (by default the broker's
  // own GroupService, core/broker/group_service.h; 501 with enable_groups
  // off). Tests only: the replaced service is destroyed.
  void SetGroupHandler(std::unique_ptr<GroupRequestHandler> handler);

  const BrokerConfig& config() const;
  // Long polls currently parked (also exported in Metrics).
  size_t parked_waiters() const;

 private:
  class Impl;
  explicit Broker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gafka
