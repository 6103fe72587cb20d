// Simulated clients: they speak HTTP/JSON (client_codec.h) over SimNetwork
// (sim_rpc.h) to a broker node, exactly what a real client would send, and
// report what they were told to the Oracle. A seeded share of produce and
// fetch calls (`json`, per call) goes through the codec; the rest travel as
// typed requests straight to Broker::Execute (sim_wire.h): the codec is
// exercised on every seed without paying for it on every call. Both forms of
// an answer are judged by the same code.
//
// SimProducer: generates messages (keys, explicit partitions, headers,
// binary values, explicit timestamps, all drawn from its own stream), groups
// them with the production ProduceBatcher (core/client), sends batches with
// acks 0/1/all, keeps up to max_in_flight requests open, and retries a batch
// whose outcome is unknown (timeout, 5xx, per-message errors) after a backoff
// — forever: a retry sends the same bytes, so a message may end up stored
// twice, but never altered. Every acknowledgement goes to the Oracle.
//
// SimReader: one long-polling direct fetch per partition at a time, from
// offset 0 onwards; every answer goes to the Oracle. In audit mode it reads
// with timeout 0 and finishes a partition at its high watermark: the final
// audit that proves every acked record is readable.
//
// Each client owns its timers through a NodeClock, so Stop() cancels
// everything. Owned by the Simulation; single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/rng.h"
#include "core/client/produce_batcher.h"
#include "core/protocol/messages.h"
#include "runtime-sim/client_codec.h"
#include "runtime-sim/node_clock.h"
#include "runtime-sim/oracle.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_network.h"
#include "runtime-sim/sim_rpc.h"
#include "runtime-sim/trace.h"

namespace gafka::sim {

// What every client needs from the simulation.
struct ClientContext {
  SimClock& clock;
  SimNetwork& network;
  Trace& trace;
  Oracle& oracle;
};

struct ProducerConfig {
  NodeId broker{1};
  std::string topic = "sim";
  int32_t partitions = 1;
  Millis message_interval_mean_ms = 20;  // exponential think time between messages
  ProduceBatcherConfig batcher{10, 5, 1000};
  int32_t max_in_flight = 1;      // produce requests open at once
  int32_t value_bytes_max = 256;  // payload after the "m<id>|" prefix
  double keyed = 0.5;             // share of messages with a key
  int32_t key_space = 64;
  double explicit_partition = 0.1;
  double headers = 0.1;
  double binary = 0.05;  // values with non-UTF-8 bytes (base64 on the wire)
  double explicit_timestamp = 0.05;
  double acks_none = 0.1;  // share of batches sent with acks=0
  double acks_all = 0.3;   // ... with acks=all; the rest acks=1
  Millis request_timeout_ms = 1000;
  Millis retry_backoff_ms = 50;
  double json = 1.0;  // share of produce calls through the HTTP/JSON codec
};

class SimProducer {
 public:
  SimProducer(ClientContext context, ProducerConfig config, NodeId self, Rng rng);
  ~SimProducer();
  SimProducer(const SimProducer&) = delete;
  SimProducer& operator=(const SimProducer&) = delete;

  void Start();
  // Stops generating, flushes, and sends one last acks=1 message (the
  // liveness probe); outstanding batches keep retrying until acked.
  void Drain();
  void Stop();
  // Nothing open, queued or in flight.
  bool idle() const;
  std::string Describe() const;  // for liveness reports

  // Replication: the leader moved (the operator points clients at it).
  void set_broker(NodeId broker) { config_.broker = broker; }

  uint64_t messages() const { return messages_; }
  uint64_t acked() const { return acked_; }
  uint64_t retries() const { return retries_; }

 private:
  struct Batch {
    std::vector<ProduceMessage> messages;
    Acks acks = Acks::kLeader;
    int attempts = 0;
    bool counted = true;  // its messages count in the batcher (the probe does not)
  };
  // A produce answer, whichever way it travelled.
  struct Reply {
    int status = 200;
    std::optional<std::vector<ProduceResult>> results;  // status 200 (nullopt: malformed)
    std::optional<ApiError> error;                      // other statuses (nullopt: malformed)
    std::string raw;                                    // the start of the body, for reports
  };
  static Reply FromHttp(const HttpResponse& response);
  static Reply FromTyped(const ApiResponse& response);
  void ScheduleNext();
  void Generate();
  ProduceMessage MakeMessage();
  std::string RandomBytes(size_t n, bool binary);
  std::string Payload(size_t n, bool binary);
  void Enqueue(std::vector<ProduceMessage> messages, Acks acks, bool counted);
  void Pump();
  void Send(Batch batch);
  void OnAnswer(Batch batch, const Reply* reply, bool late);
  void OnOk(Batch batch, const Reply& reply, bool late);
  void Retry(Batch batch, const std::string& why);
  void Finished(const Batch& batch, size_t messages);
  Acks DrawAcks();

  ClientContext ctx_;
  ProducerConfig config_;
  const NodeId self_;
  Rng rng_;
  Rng codec_rng_;  // JSON or typed, per call
  NodeClock clock_;
  SimRpc rpc_;
  std::unique_ptr<ProduceBatcher> batcher_;
  std::string text_pool_, binary_pool_;  // payloads are slices of these
  std::deque<Batch> queue_;              // ready to send (retries first)
  int32_t in_flight_ = 0;
  int32_t waiting_retry_ = 0;  // batches sleeping through a backoff
  bool generating_ = false;
  bool stopped_ = false;
  uint64_t messages_ = 0, acked_ = 0, retries_ = 0;
  std::string last_error_;  // why the last retry was needed (liveness reports)
};

struct ReaderConfig {
  NodeId broker{1};
  std::string topic = "sim";
  int32_t partitions = 1;
  int32_t max_count = 100;
  int64_t max_bytes = 1 << 20;
  Millis wait_ms = 500;                     // long-poll timeout sent to the broker
  Millis request_timeout_margin_ms = 1000;  // the client's timeout is wait + margin
  Millis retry_backoff_ms = 50;
  Millis empty_backoff_ms = 10;  // after an empty answer (no busy loop on wait 0)
  bool audit = false;
  double json = 1.0;        // share of fetches through the HTTP/JSON codec
  uint64_t codec_seed = 0;  // the stream that picks JSON or typed per fetch
};

class SimReader {
 public:
  SimReader(ClientContext context, ReaderConfig config, NodeId self, int32_t index);
  ~SimReader();
  SimReader(const SimReader&) = delete;
  SimReader& operator=(const SimReader&) = delete;

  void Start();
  void Stop();
  // Every partition's position is at or past ends[(topic, p)].
  bool CaughtUp(const std::map<std::pair<std::string, int32_t>, Offset>& ends) const;
  // Audit mode: every partition was read to its high watermark.
  bool audit_complete() const;
  FinalAudit audit() const;
  std::string Describe() const;

  // Replication: the leader moved, or restarted (a new term, its HW restarted
  // from its checkpoint). The high watermarks this reader saw were another
  // term's: a new one's may start lower (invariant 4 compares within one
  // term's answers; what was read must still stay).
  void set_broker(NodeId broker);

  uint64_t fetches() const { return fetches_; }

 private:
  struct PartitionState {
    Offset position{0};
    Offset high_watermark{0};  // the highest this reader was shown
    bool done = false;         // audit: reached the high watermark
    int timeouts_in_a_row = 0;
  };
  void Fetch(int32_t partition);
  // A fetch answer, whichever way it travelled.
  struct Reply {
    int status = 200;
    std::optional<FetchAnswer> answer;  // status 200 (nullopt: malformed)
    std::optional<ApiError> error;      // other statuses (nullopt: malformed)
    std::string raw;                    // the start of the body, for reports
  };
  Reply FromHttp(const HttpResponse& response, int32_t partition) const;
  Reply FromTyped(const ApiResponse& response, int32_t partition) const;
  void OnAnswer(int32_t partition, Offset from, Offset previous_hw, Reply* reply, bool late);
  void OnError(int32_t partition, Offset from, const Reply& reply);

  ClientContext ctx_;
  ReaderConfig config_;
  const NodeId self_;
  const int32_t index_;
  Rng codec_rng_;
  NodeClock clock_;
  SimRpc rpc_;
  std::vector<PartitionState> partitions_;
  bool stopped_ = false;
  uint64_t fetches_ = 0;
  std::string last_error_;  // the last refusal (liveness reports)
};

// Creates the topic (retrying until the broker says created or exists).
class SimAdmin {
 public:
  SimAdmin(ClientContext context, NodeId broker, NodeId self);
  void CreateTopic(const std::string& name, int32_t partitions, const TopicConfig& config);
  bool done() const { return done_; }

 private:
  void Attempt();

  ClientContext ctx_;
  const NodeId broker_;
  NodeClock clock_;
  SimRpc rpc_;
  std::string name_;
  int32_t partitions_ = 1;
  TopicConfig config_;
  bool done_ = false;
};

}  // namespace gafka::sim
