#include "core/broker/metrics.h"

#include "core/base/check.h"
#include "core/broker/topic_manager.h"

namespace gafka {

namespace {

void Header(std::string* out, const char* name, const char* type, const char* help) {
  out->append("# HELP ").append(name).append(" ").append(help).append("\n");
  out->append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string* out, const char* name, const std::string& labels, uint64_t value) {
  out->append(name);
  if (!labels.empty()) out->append("{").append(labels).append("}");
  out->append(" ").append(std::to_string(value)).append("\n");
}

void Scalar(std::string* out, const char* name, const char* type, const char* help,
            uint64_t value) {
  Header(out, name, type, help);
  Sample(out, name, "", value);
}

// Topic names are [A-Za-z0-9._-]: nothing to escape in a label value.
std::string PartitionLabels(const Partition& partition) {
  return "topic=\"" + partition.topic() + "\",partition=\"" +
         std::to_string(partition.id().value()) + "\"";
}

template <typename Value>
void PerPartition(std::string* out, const char* name, const char* help,
                  const std::map<std::string, std::unique_ptr<Topic>>& topics, Value value) {
  Header(out, name, "gauge", help);
  for (const auto& [topic_name, topic] : topics) {
    for (const auto& partition : topic->partitions) {
      Sample(out, name, PartitionLabels(*partition), value(*partition));
    }
  }
}

}  // namespace

void BrokerMetrics::CountResponse(const ApiResponse& response) {
  if (const auto* error = std::get_if<ApiError>(&response)) {
    ++errors_by_code[error->error_code];
    return;
  }
  if (const auto* produce = std::get_if<ProduceResponse>(&response)) {
    for (const ProduceResult& result : produce->results) {
      if (result.error) ++errors_by_code[result.error->error_code];
    }
  }
}

std::string RenderMetrics(const BrokerMetrics& metrics, const MetricsSnapshot& snapshot,
                          const std::map<std::string, std::unique_ptr<Topic>>& topics) {
  CHECK(snapshot.uptime_ms >= 0);
  std::string out;
  out.reserve(1024 + topics.size() * 256);
  Scalar(&out, "gafka_uptime_ms", "gauge", "Milliseconds since the broker opened.",
         static_cast<uint64_t>(snapshot.uptime_ms));
  Scalar(&out, "gafka_produce_requests_total", "counter", "Produce requests received.",
         metrics.produce_requests);
  Scalar(&out, "gafka_produce_messages_total", "counter", "Messages appended to a log.",
         metrics.produce_messages);
  Scalar(&out, "gafka_produce_bytes_total", "counter", "Key and value bytes appended.",
         metrics.produce_bytes);
  Scalar(&out, "gafka_fetch_requests_total", "counter", "Fetch requests received.",
         metrics.fetch_requests);
  Scalar(&out, "gafka_fetch_records_total", "counter", "Records returned to readers.",
         metrics.fetch_records);
  Scalar(&out, "gafka_retention_segments_deleted_total", "counter",
         "Log segments deleted by retention.", metrics.retention_segments_deleted);
  Scalar(&out, "gafka_parked_waiters", "gauge", "Long polls waiting for data.",
         snapshot.parked_waiters);
  Scalar(&out, "gafka_pending_syncs", "gauge", "Appends waiting for their sync.",
         snapshot.pending_syncs);
  Header(&out, "gafka_errors_total", "counter", "Error answers by error_code.");
  for (const auto& [code, count] : metrics.errors_by_code) {
    Sample(&out, "gafka_errors_total", "code=\"" + std::to_string(code) + "\"", count);
  }
  PerPartition(
      &out, "gafka_partition_log_end_offset", "Next offset to be written.", topics,
      [](const Partition& p) { return static_cast<uint64_t>(p.log().end_offset().value()); });
  PerPartition(
      &out, "gafka_partition_high_watermark", "Readers see offsets below this.", topics,
      [](const Partition& p) { return static_cast<uint64_t>(p.high_watermark().value()); });
  PerPartition(
      &out, "gafka_partition_log_start_offset", "Earliest offset kept.", topics,
      [](const Partition& p) { return static_cast<uint64_t>(p.log().start_offset().value()); });
  PerPartition(&out, "gafka_partition_size_bytes", "Bytes of the partition's segments.", topics,
               [](const Partition& p) { return p.log().size_bytes(); });
  PerPartition(
      &out, "gafka_partition_failed", "1 when the partition refuses service.", topics,
      [](const Partition& p) { return p.log().failed().ok() ? uint64_t{0} : uint64_t{1}; });
  CHECK(!out.empty() && out.back() == '\n');
  return out;
}

}  // namespace gafka
