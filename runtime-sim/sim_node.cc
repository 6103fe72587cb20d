#include "runtime-sim/sim_node.h"

#include <utility>
#include <variant>

#include "core/base/check.h"
#include "core/protocol/codec.h"
#include "core/replica/replica_wire.h"
#include "runtime-sim/sim_wire.h"

namespace gafka::sim {

SimNode::SimNode(SimClock& clock, SimNetwork& network, Trace& trace, NodeConfig config,
                 uint64_t seed)
    : sim_clock_(clock),
      network_(network),
      trace_(trace),
      config_(std::move(config)),
      seed_(seed),
      endpoint_(network.Endpoint(config_.broker.id)),
      replica_port_(network, config_.broker.id),
      clock_(clock),
      disk_(clock, Rng(seed).Fork("disk").Next(), config_.disk_faults),
      node_disk_(disk_, clock_) {
  logger_.set_echo(config_.echo_log);
  logger_.set_max_lines(1000);
  endpoint_.OnReceive(
      [this](NodeId from, Bytes packet) { OnPacket(from, std::move(packet), nullptr); });
  network_.OnReceiveAttached(config_.broker.id,
                             [this](NodeId from, Bytes packet, const Attachment& attachment) {
                               OnPacket(from, std::move(packet), attachment);
                             });
}

SimNode::~SimNode() {
  // Like a crash, minus the disk model: nothing may call back afterwards.
  clock_.CancelAll();
  broker_.reset();
  clock_.CancelAll();
  endpoint_.OnReceive([](NodeId, const Bytes&) {});
  network_.OnReceiveAttached(config_.broker.id, nullptr);
}

Status SimNode::Start() {
  CHECK_MSG(!up(), "SimNode::Start on a node that is up");
  ++starts_;
  const Rng stream = Rng(seed_).Fork("incarnation/" + std::to_string(starts_));
  random_ = std::make_unique<SimRandom>(stream.Fork("random").Next());
  if (buggify_ != nullptr) buggify_fired_ += buggify_->fired();
  buggify_ = std::make_unique<SimBuggify>(stream.Fork("buggify").Next(), config_.buggify_rate);
  env_ = std::make_unique<Env>(Env{clock_, node_disk_, *random_, logger_, *buggify_});
  auto opened = config_.replicate ? Broker::Open(*env_, config_.broker, &replica_port_)
                                  : Broker::Open(*env_, config_.broker);
  if (!opened.ok()) {
    ++start_failures_;
    // Whatever Open scheduled before failing belongs to no live object.
    clock_.CancelAll();
    trace_.Record(sim_clock_.NowMs(), TraceKind::kNodeStart, id().value(),
                  static_cast<int64_t>(starts_), 0, 0,
                  "open failed: " + opened.status().ToString());
    return opened.status();
  }
  broker_ = std::move(opened).value();
  trace_.Record(sim_clock_.NowMs(), TraceKind::kNodeStart, id().value(),
                static_cast<int64_t>(starts_), 1);
  CHECK(up());
  return Status::Ok();
}

void SimNode::Crash() {
  if (!up()) return;
  ++crashes_;
  trace_.Record(sim_clock_.NowMs(), TraceKind::kNodeCrash, id().value(),
                static_cast<int64_t>(crashes_));
  // Cancel first (a new incarnation: late completions are dropped), destroy
  // the broker (its destructor may cancel or even set timers), cancel again.
  clock_.CancelAll();
  broker_.reset();
  clock_.CancelAll();
  clock_.Resume();  // a killed process is no longer stopped; nothing is held
  disk_.Crash();
  CHECK(!up() && clock_.pending() == 0);
}

void SimNode::PowerCycle() {
  if (up()) return Crash();
  trace_.Record(sim_clock_.NowMs(), TraceKind::kNodeCrash, id().value(),
                static_cast<int64_t>(crashes_), 0, 0, "power cycle while down");
  clock_.CancelAll();
  clock_.Resume();
  disk_.Crash();
}

void SimNode::Pause() {
  if (clock_.paused()) return;
  clock_.Pause();
  trace_.Record(sim_clock_.NowMs(), TraceKind::kNodePause, id().value(), 1);
}

void SimNode::Resume() {
  if (!clock_.paused()) return;
  clock_.Resume();
  trace_.Record(sim_clock_.NowMs(), TraceKind::kNodePause, id().value(), 0);
}

void SimNode::set_buggify_rate(double rate) {
  config_.buggify_rate = rate;
  if (buggify_ != nullptr) buggify_->set_rate(rate);
}

void SimNode::OnPacket(NodeId from, Bytes packet, Attachment attachment) {
  if (!up()) {
    trace_.Record(sim_clock_.NowMs(), TraceKind::kDrop, id().value(), from.value(), id().value(), 0,
                  "node-down");
    return;
  }
  if (clock_.paused() && config_.drop_while_paused) {
    trace_.Record(sim_clock_.NowMs(), TraceKind::kDrop, id().value(), from.value(), id().value(), 0,
                  "node-paused");
    return;
  }
  // Through the node's clock: held while paused, dropped if the node crashes
  // before it is processed.
  if (config_.replicate && !packet.empty() && packet[0] == kReplicationKind) {
    const uint64_t incarnation = clock_.incarnation();
    clock_.Deliver(incarnation, [this, from, incarnation, packet = std::move(packet)]() mutable {
      if (up() && clock_.incarnation() == incarnation)
        replica_port_.Deliver(from, std::move(packet));
    });
    return;
  }
  clock_.Deliver(clock_.incarnation(),
                 [this, from, packet = std::move(packet), attachment = std::move(attachment)] {
                   Handle(from, packet, attachment);
                 });
}

void SimNode::Handle(NodeId from, const Bytes& packet, const Attachment& attachment) {
  CHECK(up());
  std::optional<EnvelopeView> envelope = PeekEnvelope(packet);
  CHECK_MSG(envelope.has_value(), "a simulated client sent a malformed envelope");
  if (envelope->kind == MessageKind::kResponse || envelope->kind == MessageKind::kReplication) {
    return;  // brokers take requests only (replication joins later)
  }
  const uint64_t request_id = envelope->request_id;
  if (attachment != nullptr) {
    const auto* typed = dynamic_cast<const TypedRequest*>(attachment.get());
    CHECK_MSG(typed != nullptr, "a simulated client attached something else than a request");
    const uint64_t incarnation = clock_.incarnation();
    // A copy: a duplicated packet carries the same request.
    broker_->Execute(typed->request, [this, from, request_id, incarnation](ApiResponse response) {
      if (!up() || clock_.incarnation() != incarnation) return;
      network_.Send(id(), from, EncodeTypedPacket(MessageKind::kResponse, request_id),
                    std::make_shared<TypedResponse>(std::move(response)));
    });
    return;
  }
  std::optional<HttpRequest> http = DecodeHttpRequest(envelope->payload);
  CHECK_MSG(http.has_value(), "a simulated client sent a malformed request");
  std::variant<ApiRequest, ApiError> decoded = DecodeRequest(*http, config_.broker.limits);
  if (auto* error = std::get_if<ApiError>(&decoded)) {
    Reply(from, request_id, EncodeResponse(ApiResponse(std::move(*error))));
    return;
  }
  const uint64_t incarnation = clock_.incarnation();
  broker_->Execute(std::move(std::get<ApiRequest>(decoded)),
                   [this, from, request_id, incarnation](const ApiResponse& response) {
                     // A broker being destroyed may complete its waiters: a
                     // dead process sends nothing.
                     if (!up() || clock_.incarnation() != incarnation) return;
                     Reply(from, request_id, EncodeResponse(response));
                   });
}

void SimNode::Reply(NodeId to, uint64_t request_id, const HttpResponse& response) {
  network_.Send(id(), to, EncodeResponsePacket(request_id, response));
}

}  // namespace gafka::sim
