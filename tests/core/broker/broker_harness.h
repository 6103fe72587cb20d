// A simulated world for broker tests: SimClock + SimDisk + seeded random +
// in-memory logger, and a Broker opened on them. Calls run the clock until
// the broker answers, so tests read like request/response.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/broker/broker.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_disk.h"

namespace gafka::testing {

// Faults off, syncs that take a visible 1..3 ms of virtual time.
inline sim::DiskFaults QuietDisk() {
  sim::DiskFaults faults;
  faults.sync_latency_min_ms = 1;
  faults.sync_latency_max_ms = 3;
  return faults;
}

class BrokerHarness {
 public:
  explicit BrokerHarness(uint64_t seed = 1, sim::DiskFaults faults = QuietDisk())
      : disk_(clock_, seed, faults),
        random_(seed),
        env_{clock_, disk_, random_, logger_, buggify_} {
    config_.data_dir = "broker-1";
    config_.retention_check_interval_ms = 0;  // tests that want it turn it on
  }
  ~BrokerHarness() { broker_.reset(); }

  BrokerConfig& config() { return config_; }
  sim::SimClock& clock() { return clock_; }
  sim::SimDisk& disk() { return disk_; }
  sim::SimLogger& logger() { return logger_; }
  Env& env() { return env_; }
  Broker& broker() { return *broker_; }
  bool is_open() const { return broker_ != nullptr; }

  Status Open() {
    auto opened = Broker::Open(env_, config_);
    if (!opened.ok()) return opened.status();
    broker_ = std::move(opened).value();
    return Status::Ok();
  }
  void OpenOrDie() {
    Status status = Open();
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  // Destroys the broker as a process exit would, after letting in-flight
  // syncs finish (so no log callback outlives its log).
  void Close() {
    clock_.RunUntil(clock_.NowMs() + 100);
    broker_.reset();
  }
  // Power loss: the disk keeps only what was synced (plus torn tails), then
  // the process dies.
  void Crash() {
    disk_.Crash();
    broker_.reset();
  }
  // Destroys the broker now (e.g. from a Shutdown completion).
  void Destroy() { broker_.reset(); }
  void Reopen() {
    Close();
    OpenOrDie();
  }

  // Starts a request; the answer lands in the returned slot.
  std::shared_ptr<std::optional<ApiResponse>> Start(ApiRequest request) {
    auto slot = std::make_shared<std::optional<ApiResponse>>();
    broker_->Execute(std::move(request), [slot](ApiResponse response) {
      EXPECT_FALSE(slot->has_value()) << "done called twice";
      *slot = std::move(response);
    });
    return slot;
  }
  // Runs the simulation until `slot` is answered (bounded).
  ApiResponse Wait(const std::shared_ptr<std::optional<ApiResponse>>& slot) {
    clock_.RunUntilCondition([&] { return slot->has_value(); }, 1'000'000);
    EXPECT_TRUE(slot->has_value()) << "no answer";
    if (!slot->has_value()) return ApiError{};
    return **slot;
  }
  ApiResponse Call(ApiRequest request) { return Wait(Start(std::move(request))); }

  // ---- Shorthands --------------------------------------------------------

  ApiResponse CreateTopic(const std::string& name, int32_t partitions,
                          TopicConfig config = TopicConfig{}) {
    CreateTopicRequest request;
    request.name = name;
    request.partitions = partitions;
    request.config = config;
    return Call(request);
  }

  static ProduceMessage Message(std::optional<std::string> key, std::string value,
                                std::optional<int32_t> partition = std::nullopt) {
    ProduceMessage message;
    message.key = std::move(key);
    message.value = std::move(value);
    if (partition) message.partition = PartitionId(*partition);
    return message;
  }

  static ProduceRequest ProduceOne(const std::string& topic, std::optional<std::string> key,
                                   std::string value, Acks acks = Acks::kLeader,
                                   std::optional<int32_t> partition = std::nullopt) {
    ProduceRequest request;
    request.topic = topic;
    request.acks = acks;
    request.messages.push_back(Message(std::move(key), std::move(value), partition));
    return request;
  }

  static ProduceRequest ProduceBatch(const std::string& topic, std::vector<ProduceMessage> messages,
                                     Acks acks = Acks::kLeader) {
    ProduceRequest request;
    request.topic = topic;
    request.acks = acks;
    request.batch_form = true;
    request.messages = std::move(messages);
    return request;
  }

  static FetchRequest FetchAt(const std::string& topic, int32_t partition, int64_t offset,
                              int32_t max_count = 100, Millis timeout_ms = 0) {
    FetchRequest request;
    request.topic = topic;
    request.partition = PartitionId(partition);
    request.offset_spec = OffsetSpec::kExplicit;
    request.offset = Offset(offset);
    request.max_count = max_count;
    request.timeout_ms = timeout_ms;
    return request;
  }

 private:
  sim::SimClock clock_;
  sim::SimDisk disk_;
  sim::SimRandom random_;
  sim::SimLogger logger_;
  NoBuggify buggify_;
  Env env_;
  BrokerConfig config_;
  std::unique_ptr<Broker> broker_;
};

// ---- Response accessors (fail the test on the wrong alternative) ----------

template <typename T>
const T& As(const ApiResponse& response) {
  static const T kEmpty{};
  if (const auto* error = std::get_if<ApiError>(&response);
      error != nullptr && !std::is_same_v<T, ApiError>) {
    ADD_FAILURE() << "unexpected error " << error->error_code << ": " << error->message;
    return kEmpty;
  }
  const T* value = std::get_if<T>(&response);
  if (value == nullptr) {
    ADD_FAILURE() << "unexpected response alternative " << response.index();
    return kEmpty;
  }
  return *value;
}

// The one result of a single-message produce (a default one, and a test
// failure, if the response is anything else).
inline ProduceResult Only(const ApiResponse& response) {
  const auto& produced = As<ProduceResponse>(response);
  if (produced.results.size() != 1) {
    ADD_FAILURE() << "expected one produce result, got " << produced.results.size();
    return ProduceResult{};
  }
  return produced.results[0];
}

inline int ErrorCode(const ApiResponse& response) {
  const auto* error = std::get_if<ApiError>(&response);
  return error == nullptr ? 0 : error->error_code;
}

inline std::vector<std::string> Values(const FetchResponse& response) {
  std::vector<std::string> values;
  for (const auto& consumed : response.records) values.push_back(consumed.record.value);
  return values;
}

}  // namespace gafka::testing
