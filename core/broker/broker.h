// Broker: topics, partitions, produce and fetch with long polling, on the
// Env. One instance per broker process (or simulated node); single-threaded:
// every call comes from the loop that owns it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/env/env.h"
#include "core/log/partition_log.h"
#include "core/protocol/codec.h"
#include "core/protocol/messages.h"

namespace gafka {

struct BrokerConfig {
  NodeId id{1};
  std::string role = "leader";
  std::string data_dir;                  // directory on the Disk holding everything
  ApiLimits limits;
  TopicConfig default_topic_config;
  uint64_t index_interval_bytes = 4096;
  Millis retention_check_interval_ms = 60'000;
  size_t max_waiters = 10'000;           // parked long polls, broker-wide
};

class Broker {
 public:
  ~Broker();
  // Loads topic metadata and recovers every partition log.
  static Result<std::unique_ptr<Broker>> Open(Env& env, BrokerConfig config);

  // Executes one request; `done` is called exactly once, later or at once,
  // on the loop (long polls and acked produces complete later).
  void Execute(ApiRequest request, std::function<void(ApiResponse)> done);

  // Graceful stop: new requests get 503, parked polls complete empty,
  // pending syncs finish; then `done`.
  void Shutdown(std::function<void()> done);

  const BrokerConfig& config() const;

 private:
  class Impl;
  explicit Broker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gafka
