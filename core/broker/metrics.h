// BrokerMetrics: cheap counters (plain integers bumped on the loop) and their
// Prometheus text rendering. Owned by the Broker; single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/protocol/messages.h"

namespace gafka {

struct Topic;

struct BrokerMetrics {
  uint64_t produce_requests = 0;
  uint64_t produce_messages = 0;  // messages appended to a log
  uint64_t produce_bytes = 0;     // key + value bytes of those messages
  uint64_t fetch_requests = 0;
  uint64_t fetch_records = 0;  // records returned to readers
  uint64_t retention_segments_deleted = 0;
  std::map<int, uint64_t> errors_by_code;  // error_code -> count (whole or per message)

  // Counts the errors a response carries: its ApiError, or per-message ones.
  void CountResponse(const ApiResponse& response);
};

struct MetricsSnapshot {
  Millis uptime_ms = 0;
  size_t parked_waiters = 0;
  size_t pending_syncs = 0;
};

// Prometheus exposition format (text, version 0.0.4). Deterministic: topics
// and codes come out sorted.
std::string RenderMetrics(const BrokerMetrics& metrics, const MetricsSnapshot& snapshot,
                          const std::map<std::string, std::unique_ptr<Topic>>& topics);

}  // namespace gafka
