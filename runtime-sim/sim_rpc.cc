#include "runtime-sim/sim_rpc.h"

#include <utility>

#include "core/base/check.h"

namespace gafka::sim {

SimRpc::SimRpc(SimClock& clock, SimNetwork& network, NodeId self)
    : clock_(clock), network_(network), self_(self) {
  network_.Endpoint(self_).OnReceive(
      [this](NodeId from, const Bytes& packet) { OnPacket(from, packet, nullptr); });
  network_.OnReceiveAttached(
      self_, [this](NodeId from, const Bytes& packet, const Attachment& attachment) {
        OnPacket(from, packet, attachment);
      });
}

SimRpc::~SimRpc() {
  Stop();
  network_.Endpoint(self_).OnReceive([](NodeId, const Bytes&) {});
  network_.OnReceiveAttached(self_, nullptr);
}

uint64_t SimRpc::Register(Millis timeout_ms, Handlers handlers) {
  CHECK(timeout_ms > 0);
  const uint64_t id = next_request_id_++;
  const TimerId timer = clock_.After(timeout_ms, [this, id] { OnTimeout(id); });
  pending_.emplace(id, Pending{timer, std::move(handlers)});
  return id;
}

uint64_t SimRpc::Call(NodeId to, const HttpRequest& request, Millis timeout_ms, Callback callback) {
  CHECK(callback != nullptr);
  const uint64_t id = Register(timeout_ms, Handlers{std::move(callback), nullptr});
  network_.Send(self_, to, EncodeRequestPacket(id, request));
  return id;
}

uint64_t SimRpc::CallTyped(NodeId to, MessageKind kind, ApiRequest request, Millis timeout_ms,
                           TypedCallback callback) {
  CHECK(callback != nullptr);
  const uint64_t id = Register(timeout_ms, Handlers{nullptr, std::move(callback)});
  network_.Send(self_, to, EncodeTypedPacket(kind, id),
                std::make_shared<TypedRequest>(std::move(request)));
  return id;
}

void SimRpc::Stop() {
  for (auto& [id, pending] : pending_) clock_.Cancel(pending.timer);
  pending_.clear();
  late_.clear();
}

void SimRpc::OnTimeout(uint64_t request_id) {
  auto it = pending_.find(request_id);
  CHECK_MSG(it != pending_.end(), "an RPC timer fired for a finished call");
  Handlers handlers = std::move(it->second.handlers);
  pending_.erase(it);
  ++timeouts_;
  if (late_.size() >= kMaxLate) late_.erase(late_.begin());
  // Keep a copy for a late answer; the callback may Stop() us, so insert first.
  late_.emplace(request_id, handlers);
  handlers.Timeout();
}

void SimRpc::OnPacket(NodeId /*from*/, const Bytes& packet, const Attachment& attachment) {
  std::optional<EnvelopeView> envelope = PeekEnvelope(packet);
  CHECK_MSG(envelope.has_value(), "a node sent a malformed envelope");
  if (envelope->kind != MessageKind::kResponse) return;
  const TypedResponse* typed = nullptr;
  std::optional<HttpResponse> http;
  if (attachment != nullptr) {
    typed = dynamic_cast<const TypedResponse*>(attachment.get());
    CHECK_MSG(typed != nullptr, "a node attached something else than a response");
  } else {
    http = DecodeHttpResponse(envelope->payload);
    CHECK_MSG(http.has_value(), "a node sent a malformed response");
  }
  // A node answers in the form it was asked in.
  auto answer = [&](const Handlers& handlers, bool late) {
    if (typed != nullptr) {
      CHECK_MSG(handlers.typed != nullptr, "a typed answer to an HTTP call");
      handlers.typed(&typed->response, late);
    } else {
      CHECK_MSG(handlers.http != nullptr, "an HTTP answer to a typed call");
      handlers.http(&*http, late);
    }
  };
  const uint64_t id = envelope->request_id;
  if (auto it = pending_.find(id); it != pending_.end()) {
    Handlers handlers = std::move(it->second.handlers);
    clock_.Cancel(it->second.timer);
    pending_.erase(it);
    answer(handlers, false);
    return;
  }
  if (auto it = late_.find(id); it != late_.end()) {
    Handlers handlers = std::move(it->second);
    late_.erase(it);
    ++late_responses_;
    answer(handlers, true);
  }
  // Otherwise a duplicate, or older than the late window: ignored.
}

}  // namespace gafka::sim
