#include "runtime-sim/sim_rpc.h"

#include <utility>

#include "core/base/check.h"

namespace gafka::sim {

SimRpc::SimRpc(SimClock& clock, SimNetwork& network, NodeId self)
    : clock_(clock), network_(network), self_(self) {
  network_.Endpoint(self_).OnReceive(
      [this](NodeId from, const Bytes& packet) { OnPacket(from, packet); });
}

SimRpc::~SimRpc() {
  Stop();
  network_.Endpoint(self_).OnReceive([](NodeId, const Bytes&) {});
}

uint64_t SimRpc::Call(NodeId to, const HttpRequest& request, Millis timeout_ms, Callback callback) {
  CHECK(callback != nullptr);
  CHECK(timeout_ms > 0);
  const uint64_t id = next_request_id_++;
  const TimerId timer = clock_.After(timeout_ms, [this, id] { OnTimeout(id); });
  pending_.emplace(id, Pending{timer, std::move(callback)});
  network_.Send(self_, to, EncodeRequestPacket(id, request));
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
  Callback callback = std::move(it->second.callback);
  pending_.erase(it);
  ++timeouts_;
  if (late_.size() >= kMaxLate) late_.erase(late_.begin());
  // Keep a copy for a late answer; the callback may Stop() us, so insert first.
  late_.emplace(request_id, callback);
  callback(nullptr, false);
}

void SimRpc::OnPacket(NodeId /*from*/, const Bytes& packet) {
  std::optional<EnvelopeView> envelope = PeekEnvelope(packet);
  CHECK_MSG(envelope.has_value(), "a node sent a malformed envelope");
  if (envelope->kind != MessageKind::kResponse) return;
  std::optional<HttpResponse> response = DecodeHttpResponse(envelope->payload);
  CHECK_MSG(response.has_value(), "a node sent a malformed response");
  const uint64_t id = envelope->request_id;
  if (auto it = pending_.find(id); it != pending_.end()) {
    Callback callback = std::move(it->second.callback);
    clock_.Cancel(it->second.timer);
    pending_.erase(it);
    callback(&*response, false);
    return;
  }
  if (auto it = late_.find(id); it != late_.end()) {
    Callback callback = std::move(it->second);
    late_.erase(it);
    ++late_responses_;
    callback(&*response, true);
  }
  // Otherwise a duplicate, or older than the late window: ignored.
}

}  // namespace gafka::sim
