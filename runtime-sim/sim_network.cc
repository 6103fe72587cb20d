#include "runtime-sim/sim_network.h"

#include <cmath>
#include <string>

#include "core/base/check.h"
#include "core/base/crc32c.h"

namespace gafka::sim {

class SimNetwork::EndpointImpl final : public Transport {
 public:
  EndpointImpl(SimNetwork& network, NodeId id) : network_(network), id_(id) {}
  void Send(NodeId to, Bytes message) override { network_.Send(id_, to, std::move(message)); }
  void OnReceive(std::function<void(NodeId from, Bytes message)> handler) override {
    handler_ = std::move(handler);
  }
  const std::function<void(NodeId, Bytes)>& handler() const { return handler_; }
  AttachmentHandler& attached_handler() { return attached_handler_; }

 private:
  SimNetwork& network_;
  const NodeId id_;
  std::function<void(NodeId, Bytes)> handler_;
  AttachmentHandler attached_handler_;
};

SimNetwork::SimNetwork(SimClock& clock, Trace& trace, uint64_t seed, PathOptions defaults)
    : clock_(clock), trace_(trace), root_(seed), defaults_(defaults) {}

SimNetwork::~SimNetwork() = default;

Transport& SimNetwork::Endpoint(NodeId id) {
  auto& slot = endpoints_[id];
  if (slot == nullptr) slot = std::make_unique<EndpointImpl>(*this, id);
  return *slot;
}

void SimNetwork::OnReceiveAttached(NodeId id, AttachmentHandler handler) {
  Endpoint(id);
  endpoints_[id]->attached_handler() = std::move(handler);
}

void SimNetwork::SetPath(NodeId from, NodeId to, const PathOptions& options) {
  overrides_[{from.value(), to.value()}] = options;
}

SimNetwork::PathState& SimNetwork::Path(NodeId from, NodeId to) {
  const PathKey key{from.value(), to.value()};
  auto it = paths_.find(key);
  if (it != paths_.end()) return it->second;
  PathState state;
  state.rng =
      root_.Fork("path/" + std::to_string(from.value()) + "->" + std::to_string(to.value()));
  return paths_.emplace(key, state).first->second;
}

const PathOptions& SimNetwork::OptionsFor(NodeId from, NodeId to) const {
  auto it = overrides_.find({from.value(), to.value()});
  return it == overrides_.end() ? defaults_ : it->second;
}

bool SimNetwork::Blocked(NodeId from, NodeId to) const {
  if (isolated_.count(from) || isolated_.count(to)) return true;
  return blocked_.count({from.value(), to.value()}) > 0;
}

void SimNetwork::Block(NodeId from, NodeId to) {
  CHECK(from != to);
  blocked_.insert({from.value(), to.value()});
  trace_.Record(clock_.NowMs(), TraceKind::kFault, from.value(), to.value(), 0, 0, "block");
}

void SimNetwork::PartitionGroups(const std::vector<NodeId>& a, const std::vector<NodeId>& b) {
  for (NodeId x : a) {
    for (NodeId y : b) {
      if (x == y) continue;
      blocked_.insert({x.value(), y.value()});
      blocked_.insert({y.value(), x.value()});
    }
  }
  trace_.Record(clock_.NowMs(), TraceKind::kFault, 0, static_cast<int64_t>(a.size()),
                static_cast<int64_t>(b.size()), 0, "partition");
}

void SimNetwork::Isolate(NodeId node) {
  isolated_.insert(node);
  trace_.Record(clock_.NowMs(), TraceKind::kFault, node.value(), 0, 0, 0, "isolate");
}

void SimNetwork::Clog(NodeId from, NodeId to, Millis duration_ms) {
  CHECK(duration_ms >= 0);
  PathState& path = Path(from, to);
  const Millis until_ms = clock_.NowMs() + duration_ms;
  if (until_ms > path.clogged_until_ms) path.clogged_until_ms = until_ms;
  trace_.Record(clock_.NowMs(), TraceKind::kFault, from.value(), to.value(), duration_ms, 0,
                "clog");
}

void SimNetwork::Heal() {
  blocked_.clear();
  isolated_.clear();
  // Packets already held by a clog keep their delivery time; new ones flow.
  for (auto& [key, path] : paths_) path.clogged_until_ms = 0;
  trace_.Record(clock_.NowMs(), TraceKind::kFault, 0, 0, 0, 0, "heal");
}

bool SimNetwork::Filtered(uint8_t kind, NodeId from, NodeId to, PathState& path) {
  for (const DropFilter& filter : filters_) {
    if (filter.kind && *filter.kind != kind) continue;
    if (filter.from && *filter.from != from) continue;
    if (filter.to && *filter.to != to) continue;
    if (path.rng.Chance(filter.probability)) return true;
  }
  return false;
}

void SimNetwork::Drop(NodeId from, NodeId to, const char* reason, uint64_t* counter) {
  ++*counter;
  trace_.Record(clock_.NowMs(), TraceKind::kDrop, from.value(), from.value(), to.value(), 0,
                reason);
}

void SimNetwork::Send(NodeId from, NodeId to, Bytes message, Attachment attachment) {
  CHECK(!message.empty());
  ++stats_.sent;
  if (attachment != nullptr) ++stats_.sent_typed;
  const uint8_t kind = static_cast<uint8_t>(message[0]);
  trace_.Record(clock_.NowMs(), TraceKind::kSend, from.value(), to.value(), kind,
                static_cast<int64_t>(message.size()));
  if (Blocked(from, to)) return Drop(from, to, "partition", &stats_.dropped_partition);
  PathState& path = Path(from, to);
  if (Filtered(kind, from, to, path)) return Drop(from, to, "filter", &stats_.dropped_filter);
  const PathOptions& options = OptionsFor(from, to);
  if (path.rng.Chance(options.loss)) return Drop(from, to, "loss", &stats_.dropped_loss);
  if (path.rng.Chance(options.duplicate)) {
    ++stats_.duplicated;
    trace_.Record(clock_.NowMs(), TraceKind::kDuplicate, from.value(), to.value());
    Schedule(from, to, message, attachment, path, options);
  }
  Schedule(from, to, std::move(message), std::move(attachment), path, options);
}

void SimNetwork::Schedule(NodeId from, NodeId to, Bytes message, Attachment attachment,
                          PathState& path, const PathOptions& options) {
  if (path.in_flight >= options.capacity) {
    return Drop(from, to, "capacity", &stats_.dropped_capacity);
  }
  const double extra = options.latency_mean_ms > 0
                           ? path.rng.Exponential(static_cast<double>(options.latency_mean_ms))
                           : 0.0;
  Millis delay_ms = options.latency_min_ms + static_cast<Millis>(std::llround(extra));
  const Millis now_ms = clock_.NowMs();
  if (path.clogged_until_ms > now_ms + delay_ms) delay_ms = path.clogged_until_ms - now_ms;
  CHECK(delay_ms >= 0);
  ++path.in_flight;
  ++in_flight_total_;
  if (path.in_flight > stats_.max_in_flight) stats_.max_in_flight = path.in_flight;
  clock_.After(delay_ms, [this, from, to, message = std::move(message),
                          attachment = std::move(attachment)]() mutable {
    Deliver(from, to, std::move(message), attachment);
  });
}

void SimNetwork::Deliver(NodeId from, NodeId to, Bytes message, const Attachment& attachment) {
  PathState& path = Path(from, to);
  CHECK(path.in_flight > 0 && in_flight_total_ > 0);
  --path.in_flight;
  --in_flight_total_;
  // A partition that began while the packet was in flight drops it too.
  if (Blocked(from, to)) return Drop(from, to, "partition", &stats_.dropped_partition);
  auto it = endpoints_.find(to);
  if (it == endpoints_.end() ||
      (attachment == nullptr ? !it->second->handler() : !it->second->attached_handler())) {
    return Drop(from, to, "no-endpoint", &stats_.dropped_no_endpoint);
  }
  ++stats_.delivered;
  trace_.Record(clock_.NowMs(), TraceKind::kDeliver, to.value(), from.value(), to.value(),
                crc32c::Value(message));
  if (attachment != nullptr)
    return it->second->attached_handler()(from, std::move(message), attachment);
  it->second->handler()(from, std::move(message));
}

}  // namespace gafka::sim
