#include "runtime-sim/sim_clients.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/base/check.h"
#include "core/broker/partitioner.h"
#include "runtime-sim/client_codec.h"

namespace gafka::sim {
namespace {

// Retrying the same request may succeed: the broker is down, busy, failing
// its disk, or was not reached.
bool Retriable(int http_status) {
  return http_status >= 500 || http_status == 409 || http_status == 429 || http_status == 408;
}

Millis Delay(Rng& rng, Millis mean_ms) {
  if (mean_ms <= 0) return 0;
  return static_cast<Millis>(std::llround(rng.Exponential(static_cast<double>(mean_ms))));
}

constexpr char kAlphabet[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-_\"\\/\n\t{}[]";
constexpr size_t kAlphabetSize = sizeof(kAlphabet) - 1;

// Payload pools per producer (plus the largest value).
constexpr size_t kPoolBytes = 64 << 10;

// The longest a client waits for one answer once it backed off.
constexpr Millis kMaxTimeoutMs = 30'000;

}  // namespace

// ---- SimProducer ----------------------------------------------------------------

SimProducer::SimProducer(ClientContext context, ProducerConfig config, NodeId self, Rng rng)
    : ctx_(context),
      config_(std::move(config)),
      self_(self),
      rng_(rng),
      codec_rng_(rng.Fork("codec")),
      clock_(context.clock),
      rpc_(context.clock, context.network, self) {
  CHECK(config_.partitions > 0 && config_.max_in_flight > 0);
  CHECK(config_.request_timeout_ms > 0 && config_.value_bytes_max >= 0);
  const size_t pool_bytes = kPoolBytes + static_cast<size_t>(config_.value_bytes_max) + 16;
  text_pool_ = RandomBytes(pool_bytes, /*binary=*/false);
  binary_pool_ = RandomBytes(pool_bytes, /*binary=*/true);
  batcher_ = std::make_unique<ProduceBatcher>(clock_, config_.batcher, [this](ProduceBatch batch) {
    Enqueue(std::move(batch.messages), DrawAcks(), /*counted=*/true);
  });
}

SimProducer::~SimProducer() { Stop(); }

void SimProducer::Start() {
  generating_ = true;
  ScheduleNext();
}

void SimProducer::Drain() {
  generating_ = false;
  batcher_->Flush();
  // The probe: once faults stop, a fresh acks=1 write must succeed.
  std::vector<ProduceMessage> probe;
  probe.push_back(MakeMessage());
  ctx_.oracle.OnSent(*Oracle::IdOf(probe.back().value), probe.back());
  ++messages_;
  Enqueue(std::move(probe), Acks::kLeader, /*counted=*/false);
}

void SimProducer::Stop() {
  stopped_ = true;
  generating_ = false;
  rpc_.Stop();
  batcher_.reset();  // cancels its linger timer
  clock_.CancelAll();
}

bool SimProducer::idle() const {
  const size_t outstanding = batcher_ != nullptr ? batcher_->outstanding() : 0;
  return outstanding == 0 && queue_.empty() && in_flight_ == 0 && waiting_retry_ == 0;
}

std::string SimProducer::Describe() const {
  return "producer " + std::to_string(self_.value()) + ": " +
         std::to_string(batcher_ != nullptr ? batcher_->outstanding() : 0) +
         " messages outstanding, " + std::to_string(queue_.size()) + " batches queued, " +
         std::to_string(in_flight_) + " in flight, " + std::to_string(waiting_retry_) +
         " waiting to retry, " + std::to_string(retries_) + " retries" +
         (last_error_.empty() ? "" : ", last: " + last_error_.substr(0, 200));
}

void SimProducer::ScheduleNext() {
  clock_.After(Delay(rng_, config_.message_interval_mean_ms), [this] { Generate(); });
}

void SimProducer::Generate() {
  if (!generating_) return;
  // Backpressure: a full buffer skips this message (a real client would block).
  if (batcher_->outstanding() < config_.batcher.max_outstanding_messages) {
    ProduceMessage message = MakeMessage();
    ctx_.oracle.OnSent(*Oracle::IdOf(message.value), message);
    ++messages_;
    const Status added = batcher_->Add(std::move(message));
    CHECK_MSG(added.ok(), "the batcher refused below its limit");
  }
  ScheduleNext();
}

// Random bytes (binary) or text that exercises the JSON escaper: quotes,
// backslashes, control characters and multi-byte UTF-8 among plain letters.
std::string SimProducer::RandomBytes(size_t n, bool binary) {
  std::string out;
  out.reserve(n + 4);
  while (out.size() < n) {
    uint64_t bits = rng_.Next();
    for (int i = 0; i < 8 && out.size() < n; ++i, bits >>= 8) {
      if (binary) {
        out.push_back(static_cast<char>(bits & 0xFF));
      } else if ((bits & 0xFF) == 0) {
        out += "\xC3\xA9";  // é: two bytes of UTF-8
      } else if ((bits & 0xFF) == 1) {
        out += "\xE2\x82\xAC";  // €: three bytes
      } else {
        out.push_back(kAlphabet[(bits & 0xFF) % kAlphabetSize]);
      }
    }
  }
  return out;
}

// A slice of a pool drawn once per producer: as random for the codec as a
// fresh draw, at the cost of one copy. Text slices start and end on UTF-8
// character boundaries, so a text value stays valid UTF-8.
std::string SimProducer::Payload(size_t n, bool binary) {
  const std::string& pool = binary ? binary_pool_ : text_pool_;
  CHECK(n + 8 <= pool.size());
  size_t begin = static_cast<size_t>(rng_.Uniform(pool.size() - n - 8));
  size_t end = begin + n;
  if (!binary) {
    auto continuation = [&](size_t i) { return (static_cast<uint8_t>(pool[i]) & 0xC0) == 0x80; };
    while (continuation(begin)) ++begin;
    while (end < pool.size() && continuation(end)) ++end;
  }
  return pool.substr(begin, end - begin);
}

ProduceMessage SimProducer::MakeMessage() {
  const MessageId id = ctx_.oracle.NewMessageId();
  const bool binary = rng_.Chance(config_.binary);
  ProduceMessage m;
  m.value = Oracle::ValueFor(
      id, Payload(static_cast<size_t>(rng_.Range(0, config_.value_bytes_max)), binary));
  if (rng_.Chance(config_.keyed)) {
    m.key = "k" + std::to_string(rng_.Uniform(static_cast<uint64_t>(config_.key_space)));
  }
  if (rng_.Chance(config_.explicit_partition)) {
    m.partition = PartitionId(static_cast<int32_t>(rng_.Uniform(config_.partitions)));
  }
  if (rng_.Chance(config_.headers)) {
    // Distinct keys in sorted order: JSON objects carry headers, and a
    // decoder may return them sorted.
    const int count = static_cast<int>(rng_.Range(1, 3));
    for (int i = 0; i < count; ++i) {
      m.headers.push_back(RecordHeader{"h" + std::to_string(i), Payload(8, binary)});
    }
  }
  if (rng_.Chance(config_.explicit_timestamp)) {
    m.timestamp_ms = std::max<Millis>(0, ctx_.clock.WallMs() - rng_.Range(0, 3'600'000));
  }
  return m;
}

Acks SimProducer::DrawAcks() {
  const double roll = rng_.NextDouble();
  if (roll < config_.acks_none) return Acks::kNone;
  if (roll < config_.acks_none + config_.acks_all) return Acks::kAll;
  return Acks::kLeader;
}

void SimProducer::Enqueue(std::vector<ProduceMessage> messages, Acks acks, bool counted) {
  CHECK(!messages.empty());
  queue_.push_back(Batch{std::move(messages), acks, 0, counted});
  Pump();
}

void SimProducer::Pump() {
  // A backlog (the broker was away) goes out in fewer, larger requests, as a
  // Kafka producer sends several batches per request.
  const size_t max_request = std::max<size_t>(config_.batcher.max_messages, 64);
  while (!stopped_ && in_flight_ < config_.max_in_flight && !queue_.empty()) {
    Batch batch = std::move(queue_.front());
    queue_.pop_front();
    while (!queue_.empty() && queue_.front().acks == batch.acks &&
           queue_.front().counted == batch.counted &&
           batch.messages.size() + queue_.front().messages.size() <= max_request) {
      Batch& next = queue_.front();
      for (ProduceMessage& m : next.messages) batch.messages.push_back(std::move(m));
      batch.attempts = std::max(batch.attempts, next.attempts);
      queue_.pop_front();
    }
    Send(std::move(batch));
  }
  CHECK(in_flight_ <= config_.max_in_flight);
}

void SimProducer::Send(Batch batch) {
  ++in_flight_;
  ++batch.attempts;
  const size_t count = batch.messages.size();
  // Each retry waits twice as long (capped), as TCP's retransmission timer
  // does: a timeout shorter than the network's round trip must not make
  // progress impossible.
  const Millis timeout_ms =
      std::max(std::min<Millis>(config_.request_timeout_ms << std::min(batch.attempts - 1, 8),
                                kMaxTimeoutMs),
               config_.request_timeout_ms);
  uint64_t id = 0;
  if (codec_rng_.Chance(config_.json)) {
    HttpRequest request = ProduceHttp(config_.topic, batch.messages, batch.acks);
    id = rpc_.Call(
        config_.broker, request, timeout_ms,
        [this, batch = std::move(batch)](const HttpResponse* response, bool late) mutable {
          // A late answer may come after this callback already gave the batch
          // to a retry: hand over a copy then.
          const std::optional<Reply> reply =
              response ? std::optional<Reply>(FromHttp(*response)) : std::nullopt;
          OnAnswer(late ? Batch(batch) : std::move(batch), reply ? &*reply : nullptr, late);
        });
  } else {
    ProduceRequest request;
    request.topic = config_.topic;
    request.messages = batch.messages;
    request.acks = batch.acks;
    request.batch_form = true;
    id = rpc_.CallTyped(
        config_.broker, MessageKind::kProduceRequest, std::move(request), timeout_ms,
        [this, batch = std::move(batch)](const ApiResponse* response, bool late) mutable {
          const std::optional<Reply> reply =
              response ? std::optional<Reply>(FromTyped(*response)) : std::nullopt;
          OnAnswer(late ? Batch(batch) : std::move(batch), reply ? &*reply : nullptr, late);
        });
  }
  ctx_.trace.Record(ctx_.clock.NowMs(), TraceKind::kProduceSend, self_.value(),
                    static_cast<int64_t>(id), static_cast<int64_t>(count));
}

SimProducer::Reply SimProducer::FromHttp(const HttpResponse& response) {
  Reply reply;
  reply.status = response.status;
  reply.raw = response.body.substr(0, 200);
  if (response.status == 200) {
    reply.results = ParseProduceAnswer(response);
  } else {
    reply.error = ParseError(response);
  }
  return reply;
}

// What the codec would have made of the answer: the status of EncodeProduce
// and the fields ParseProduceAnswer / ParseError read.
SimProducer::Reply SimProducer::FromTyped(const ApiResponse& response) {
  Reply reply;
  if (const auto* error = std::get_if<ApiError>(&response)) {
    reply.status = error->http_status;
    reply.error = *error;
  } else if (const auto* produce = std::get_if<ProduceResponse>(&response)) {
    const bool single = !produce->batch_form && produce->results.size() == 1;
    if (single && produce->results[0].error) {
      reply.status = produce->results[0].error->http_status;
      reply.error = *produce->results[0].error;
    } else {
      reply.results = produce->results;
    }
  } else {
    reply.raw = "(typed) an answer of type " + std::to_string(response.index());
  }
  return reply;
}

void SimProducer::OnAnswer(Batch batch, const Reply* response, bool late) {
  if (stopped_) return;
  if (late) {
    if (response->status == 200) OnOk(std::move(batch), *response, /*late=*/true);
    return;
  }
  CHECK(in_flight_ > 0);
  --in_flight_;
  if (response == nullptr) {
    if (batch.acks == Acks::kNone) {
      Finished(batch, batch.messages.size());  // fire and forget: nobody waits
    } else {
      Retry(std::move(batch), "timeout");
    }
  } else if (response->status == 200) {
    OnOk(std::move(batch), *response, /*late=*/false);
  } else {
    const std::optional<ApiError>& error = response->error;
    if (!error) {
      ctx_.oracle.Fail(0, "malformed-answer",
                       "produce answer " + std::to_string(response->status) + ": " + response->raw);
    } else if (Retriable(response->status)) {
      if (batch.acks == Acks::kNone) {
        Finished(batch, batch.messages.size());
      } else {
        Retry(std::move(batch), std::to_string(error->error_code) + " " + error->message);
      }
    } else if (error->error_code == 40401) {
      ctx_.oracle.Fail(1, "topic-lost", "produce: " + error->message);
    } else {
      ctx_.oracle.Fail(0, "unexpected-error",
                       "produce: " + std::to_string(error->error_code) + " " + error->message);
    }
  }
  Pump();
}

void SimProducer::OnOk(Batch batch, const Reply& response, bool late) {
  const std::optional<std::vector<ProduceResult>>& results = response.results;
  if (!results || results->size() != batch.messages.size()) {
    ctx_.oracle.Fail(0, "malformed-answer", "produce answer: " + response.raw);
    return;
  }
  std::vector<AckEvent> acks;
  std::vector<ProduceMessage> failed;
  std::string failure;
  for (size_t i = 0; i < results->size(); ++i) {
    const ProduceResult& result = (*results)[i];
    ProduceMessage& message = batch.messages[i];
    if (result.error) {
      if (!Retriable(result.error->http_status)) {
        ctx_.oracle.Fail(0, "unexpected-error",
                         "produce message: " + std::to_string(result.error->error_code) + " " +
                             result.error->message);
        return;
      }
      failed.push_back(std::move(message));
      failure = std::to_string(result.error->error_code) + " " + result.error->message;
      continue;
    }
    // Routing (SPEC §1): an explicit partition wins; a key goes where
    // Kafka's partitioner sends it.
    const PartitionId expected = message.partition ? *message.partition
                                 : message.key ? PartitionForKey(*message.key, config_.partitions)
                                               : result.partition;
    if (result.partition != expected) {
      ctx_.oracle.Fail(0, "routing",
                       "a message for partition " + std::to_string(expected.value()) +
                           " was stored in partition " + std::to_string(result.partition.value()));
      return;
    }
    if (batch.acks == Acks::kNone) continue;  // no durability promised
    const MessageId id = *Oracle::IdOf(message.value);
    acks.push_back(
        AckEvent{id, config_.topic, result.partition, result.offset, result.timestamp_ms, late});
    acks.back().leader_only = batch.acks == Acks::kLeader;
    ctx_.trace.Record(ctx_.clock.NowMs(), TraceKind::kProduceAck, self_.value(),
                      result.partition.value(), result.offset.value(), static_cast<int64_t>(id));
  }
  if (!acks.empty()) ctx_.oracle.OnProduceAnswer(acks);
  if (late) return;  // the batch's fate was already decided at its timeout
  acked_ += acks.size();
  const size_t done = batch.messages.size() - failed.size();
  if (done > 0) Finished(batch, done);
  if (!failed.empty()) {
    if (batch.acks == Acks::kNone) {
      Finished(batch, failed.size());
    } else {
      Retry(Batch{std::move(failed), batch.acks, batch.attempts, batch.counted}, failure);
    }
  }
}

void SimProducer::Retry(Batch batch, const std::string& why) {
  ++retries_;
  ++waiting_retry_;
  last_error_ = why;
  ctx_.trace.Record(ctx_.clock.NowMs(), TraceKind::kProduceFail, self_.value(), batch.attempts,
                    static_cast<int64_t>(batch.messages.size()), 0, why);
  // Exponential backoff with jitter, capped: a broker that refuses for a
  // while is not hammered (and the run does not drown in retry events).
  const int doublings = std::min(batch.attempts, 6);
  const Millis base_ms = std::min<Millis>(config_.retry_backoff_ms << doublings, 5'000);
  const Millis delay_ms = base_ms / 2 + rng_.Range(0, base_ms - base_ms / 2);
  clock_.After(delay_ms, [this, batch = std::move(batch)]() mutable {
    --waiting_retry_;
    queue_.push_front(std::move(batch));
    Pump();
  });
}

void SimProducer::Finished(const Batch& batch, size_t messages) {
  if (!batch.counted || batcher_ == nullptr) return;  // the probe never was in the batcher
  batcher_->Release(messages);
}

// ---- SimReader -------------------------------------------------------------------

SimReader::SimReader(ClientContext context, ReaderConfig config, NodeId self, int32_t index)
    : ctx_(context),
      config_(std::move(config)),
      self_(self),
      index_(index),
      codec_rng_(config_.codec_seed),
      clock_(context.clock),
      rpc_(context.clock, context.network, self),
      partitions_(static_cast<size_t>(config_.partitions)) {
  CHECK(config_.partitions > 0 && config_.max_count > 0 && config_.max_bytes > 0);
  CHECK(config_.wait_ms >= 0 && config_.request_timeout_margin_ms > 0);
}

SimReader::~SimReader() { Stop(); }

void SimReader::Start() {
  for (int32_t p = 0; p < config_.partitions; ++p) Fetch(p);
}

void SimReader::Stop() {
  stopped_ = true;
  rpc_.Stop();
  clock_.CancelAll();
}

bool SimReader::CaughtUp(const std::map<std::pair<std::string, int32_t>, Offset>& ends) const {
  for (const auto& [key, end] : ends) {
    if (key.first != config_.topic) continue;
    if (key.second >= config_.partitions) return false;
    if (partitions_[static_cast<size_t>(key.second)].position < end) return false;
  }
  return true;
}

bool SimReader::audit_complete() const {
  return std::all_of(partitions_.begin(), partitions_.end(),
                     [](const PartitionState& s) { return s.done; });
}

FinalAudit SimReader::audit() const {
  FinalAudit audit;
  audit.complete = audit_complete();
  for (size_t p = 0; p < partitions_.size(); ++p) {
    audit.log_end[{config_.topic, static_cast<int32_t>(p)}] = partitions_[p].position;
  }
  return audit;
}

std::string SimReader::Describe() const {
  std::string s = (config_.audit ? "auditor " : "reader ") + std::to_string(self_.value()) + ":";
  for (size_t p = 0; p < partitions_.size(); ++p) {
    s += " p" + std::to_string(p) + "@" + std::to_string(partitions_[p].position.value()) + "/hw" +
         std::to_string(partitions_[p].high_watermark.value());
  }
  if (!last_error_.empty()) s += ", last: " + last_error_.substr(0, 200);
  return s;
}

void SimReader::set_broker(NodeId broker) {
  config_.broker = broker;
  for (PartitionState& state : partitions_) state.high_watermark = Offset(0);
}

void SimReader::Fetch(int32_t partition) {
  PartitionState& state = partitions_[static_cast<size_t>(partition)];
  if (stopped_ || state.done) return;
  ++fetches_;
  const Millis wait_ms = config_.audit ? 0 : config_.wait_ms;
  const Offset from = state.position;
  const Offset previous_hw = state.high_watermark;
  // The margin doubles with each timeout in a row (see SimProducer::Send).
  const Millis margin_ms = std::min<Millis>(
      config_.request_timeout_margin_ms << std::min(state.timeouts_in_a_row, 8), kMaxTimeoutMs);
  const Millis timeout_ms = wait_ms + std::max(margin_ms, config_.request_timeout_margin_ms);
  if (codec_rng_.Chance(config_.json)) {
    rpc_.Call(config_.broker,
              FetchHttp(config_.topic, PartitionId(partition), from, config_.max_count,
                        config_.max_bytes, wait_ms),
              timeout_ms,
              [this, partition, from, previous_hw](const HttpResponse* response, bool late) {
                std::optional<Reply> reply;
                if (response != nullptr) reply = FromHttp(*response, partition);
                OnAnswer(partition, from, previous_hw, reply ? &*reply : nullptr, late);
              });
    return;
  }
  FetchRequest request;
  request.topic = config_.topic;
  request.partition = PartitionId(partition);
  request.offset_spec = OffsetSpec::kExplicit;
  request.offset = from;
  request.max_count = config_.max_count;
  request.max_bytes = config_.max_bytes;
  request.timeout_ms = wait_ms;
  rpc_.CallTyped(config_.broker, MessageKind::kFetchRequest, std::move(request), timeout_ms,
                 [this, partition, from, previous_hw](const ApiResponse* response, bool late) {
                   std::optional<Reply> reply;
                   if (response != nullptr) reply = FromTyped(*response, partition);
                   OnAnswer(partition, from, previous_hw, reply ? &*reply : nullptr, late);
                 });
}

SimReader::Reply SimReader::FromHttp(const HttpResponse& response, int32_t partition) const {
  Reply reply;
  reply.status = response.status;
  reply.raw = response.body.substr(0, 200);
  if (response.status == 200) {
    reply.answer = ParseFetchAnswer(response, config_.topic, PartitionId(partition));
  } else {
    reply.error = ParseError(response);
  }
  return reply;
}

// What the codec would have made of the answer (EncodeResponse's status, the
// checks of ParseFetchAnswer: every record of the asked partition).
SimReader::Reply SimReader::FromTyped(const ApiResponse& response, int32_t partition) const {
  Reply reply;
  if (const auto* error = std::get_if<ApiError>(&response)) {
    reply.status = error->http_status;
    reply.error = *error;
    return reply;
  }
  const auto* fetch = std::get_if<FetchResponse>(&response);
  if (fetch == nullptr) {
    reply.raw = "(typed) an answer of type " + std::to_string(response.index());
    return reply;
  }
  if (fetch->partition.value() != partition) {
    reply.raw = "(typed) an answer for partition " + std::to_string(fetch->partition.value());
    return reply;
  }
  FetchAnswer answer;
  answer.records.reserve(fetch->records.size());
  for (const ConsumedRecord& consumed : fetch->records) {
    if (consumed.topic != config_.topic || consumed.partition.value() != partition) {
      reply.raw = "(typed) a record of " + consumed.topic + "/" +
                  std::to_string(consumed.partition.value());
      return reply;
    }
    answer.records.push_back(consumed.record);
  }
  answer.next_offset = fetch->next_offset;
  answer.high_watermark = fetch->high_watermark;
  answer.log_start_offset = fetch->log_start_offset;
  reply.answer = std::move(answer);
  return reply;
}

void SimReader::OnAnswer(int32_t partition, Offset from, Offset previous_hw, Reply* response,
                         bool late) {
  if (stopped_) return;
  if (response == nullptr) {
    ++partitions_[static_cast<size_t>(partition)].timeouts_in_a_row;
    clock_.After(config_.retry_backoff_ms, [this, partition] { Fetch(partition); });
    return;
  }
  if (!late) partitions_[static_cast<size_t>(partition)].timeouts_in_a_row = 0;
  if (response->status != 200) {
    if (!late) OnError(partition, from, *response);
    return;
  }
  std::optional<FetchAnswer>& answer = response->answer;
  if (!answer) {
    ctx_.oracle.Fail(0, "malformed-answer", "fetch answer: " + response->raw);
    return;
  }
  // set_broker since the request left (a new term): compare with that term only.
  previous_hw = std::min(previous_hw, partitions_[static_cast<size_t>(partition)].high_watermark);
  ReadEvent read{index_,
                 config_.topic,
                 PartitionId(partition),
                 from,
                 answer->records,
                 answer->next_offset,
                 answer->high_watermark,
                 /*current=*/!late,
                 previous_hw};
  ctx_.oracle.OnRead(read);
  ctx_.trace.Record(ctx_.clock.NowMs(), TraceKind::kFetch, self_.value(), partition, from.value(),
                    static_cast<int64_t>(answer->records.size()));
  if (late) return;
  PartitionState& state = partitions_[static_cast<size_t>(partition)];
  if (answer->next_offset > state.position) state.position = answer->next_offset;
  if (answer->high_watermark > state.high_watermark) state.high_watermark = answer->high_watermark;
  if (config_.audit && answer->records.empty() && answer->next_offset == answer->high_watermark) {
    state.done = true;
    return;
  }
  if (answer->records.empty()) {
    clock_.After(config_.empty_backoff_ms, [this, partition] { Fetch(partition); });
  } else {
    Fetch(partition);
  }
}

void SimReader::OnError(int32_t partition, Offset from, const Reply& response) {
  const std::optional<ApiError>& error = response.error;
  if (!error) {
    ctx_.oracle.Fail(0, "malformed-answer",
                     "fetch error " + std::to_string(response.status) + ": " + response.raw);
    return;
  }
  last_error_ = std::to_string(error->error_code) + " " + error->message;
  ctx_.oracle.OnReadError(index_, config_.topic, PartitionId(partition), from, *error);
  if (ctx_.oracle.failed()) return;
  if (Retriable(response.status)) {
    clock_.After(config_.retry_backoff_ms, [this, partition] { Fetch(partition); });
  } else if (error->error_code == 40401) {
    ctx_.oracle.Fail(1, "topic-lost", "fetch: " + error->message);
  } else {
    ctx_.oracle.Fail(0, "unexpected-error",
                     "fetch: " + std::to_string(error->error_code) + " " + error->message);
  }
}

// ---- SimAdmin --------------------------------------------------------------------

SimAdmin::SimAdmin(ClientContext context, NodeId broker, NodeId self)
    : ctx_(context),
      broker_(broker),
      clock_(context.clock),
      rpc_(context.clock, context.network, self) {}

void SimAdmin::CreateTopic(const std::string& name, int32_t partitions, const TopicConfig& config) {
  name_ = name;
  partitions_ = partitions;
  config_ = config;
  done_ = false;
  Attempt();
}

void SimAdmin::Attempt() {
  rpc_.Call(broker_, CreateTopicHttp(name_, partitions_, config_), 2000,
            [this](const HttpResponse* response, bool late) {
              if (late || done_) return;
              if (response == nullptr || Retriable(response->status)) {
                // 409 is "exists" here: an earlier attempt created it.
                if (response != nullptr && response->status == 409) {
                  done_ = true;
                  return;
                }
                clock_.After(100, [this] { Attempt(); });
                return;
              }
              if (response->status == 200 || response->status == 201) {
                done_ = true;
                return;
              }
              ctx_.oracle.Fail(0, "create-topic-failed",
                               std::to_string(response->status) + " " + response->body);
            });
}

}  // namespace gafka::sim
