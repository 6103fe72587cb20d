// SimNetwork: the simulated network between nodes and clients (after
// TigerBeetle's packet_simulator and FoundationDB's sim2). Every endpoint is
// a Transport; a packet sent on the path (from, to) is delivered after a
// seeded latency on the SimClock, or lost.
//
// Model, per directed path:
// - latency = latency_min_ms + Exponential(latency_mean_ms): packets on one
//   path overtake each other, so they arrive reordered;
// - loss (probability), duplication (probability; the copy gets its own
//   latency), capacity (packets in flight; more are dropped: overflow);
// - clogging: until a deadline nothing on the path is delivered; packets
//   wait and arrive together when it clears;
// - partitions: a path may be blocked (one-way), two groups cut apart
//   (symmetric), or a node isolated from everyone. A packet is dropped if its
//   path is blocked when it is sent or when it would arrive. Heal() clears
//   every block and clog;
// - drop filters: drop packets of one message kind (byte 0 of the packet,
//   sim_wire.h), optionally only on one path, with a probability.
//
// Each path draws from its own random stream (forked from the network seed by
// the path's name), so adding a client does not shift anyone else's latencies.
//
// Owned by the Simulation; single-threaded; must outlive no SimClock events
// it scheduled (the Simulation owns the SimClock longer and never runs them
// after destruction). Receive handlers run as SimClock events.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/base/rng.h"
#include "core/env/env.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/trace.h"

namespace gafka::sim {

struct PathOptions {
  Millis latency_min_ms = 1;
  Millis latency_mean_ms = 3;  // mean of the exponential part above the floor
  double loss = 0;             // probability a packet is lost
  double duplicate = 0;        // probability a packet is delivered twice
  size_t capacity = 4096;      // packets in flight on the path; more are dropped
};

// An object that rides with a packet without being serialised: the simulated
// clients' codec-free path (sim_wire.h, TypedRequest/TypedResponse). Shared
// and immutable, so a duplicated packet carries the same object.
struct PacketAttachment {
  virtual ~PacketAttachment() = default;
};
using Attachment = std::shared_ptr<const PacketAttachment>;

struct DropFilter {
  std::optional<uint8_t> kind;  // nullopt: any kind
  std::optional<NodeId> from;   // nullopt: any sender
  std::optional<NodeId> to;     // nullopt: any receiver
  double probability = 1.0;
};

class SimNetwork {
 public:
  SimNetwork(SimClock& clock, Trace& trace, uint64_t seed, PathOptions defaults = {});
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // The Transport of endpoint `id`, created on first use; its address is
  // stable for the network's lifetime.
  Transport& Endpoint(NodeId id);

  // Sends from `from` (need not have an endpoint) to `to`. The attachment,
  // if any, goes to the receiver's attachment handler with the bytes (which
  // are what the network model sees: kind, size, CRC in the trace).
  void Send(NodeId from, NodeId to, Bytes message, Attachment attachment = nullptr);
  // The receiver of packets with an attachment at endpoint `id` (a packet
  // with one delivered where none is set is dropped as "no-endpoint").
  using AttachmentHandler =
      std::function<void(NodeId from, Bytes message, const Attachment& attachment)>;
  void OnReceiveAttached(NodeId id, AttachmentHandler handler);

  // Options of every path without an override, and per-path overrides.
  void set_default_path(const PathOptions& options) { defaults_ = options; }
  const PathOptions& default_path() const { return defaults_; }
  void SetPath(NodeId from, NodeId to, const PathOptions& options);
  void ClearPathOverrides() { overrides_.clear(); }

  // Faults.
  void Block(NodeId from, NodeId to);                                                // one-way
  void PartitionGroups(const std::vector<NodeId>& a, const std::vector<NodeId>& b);  // symmetric
  void Isolate(NodeId node);  // every path to or from `node`
  void Clog(NodeId from, NodeId to, Millis duration_ms);
  void Heal();  // clears blocks, isolation and clogs (not filters or path options)
  bool Blocked(NodeId from, NodeId to) const;

  void AddDropFilter(const DropFilter& filter) { filters_.push_back(filter); }
  void ClearDropFilters() { filters_.clear(); }

  struct Stats {
    uint64_t sent = 0, delivered = 0, duplicated = 0;
    uint64_t sent_typed = 0;  // of `sent`: with an attachment (the codec-free path)
    uint64_t dropped_loss = 0, dropped_partition = 0, dropped_capacity = 0;
    uint64_t dropped_filter = 0, dropped_no_endpoint = 0;
    uint64_t max_in_flight = 0;  // on any one path
  };
  const Stats& stats() const { return stats_; }
  uint64_t in_flight() const { return in_flight_total_; }

 private:
  class EndpointImpl;
  using PathKey = std::pair<int32_t, int32_t>;
  struct PathState {
    Rng rng{0};
    size_t in_flight = 0;
    Millis clogged_until_ms = 0;
  };

  PathState& Path(NodeId from, NodeId to);
  const PathOptions& OptionsFor(NodeId from, NodeId to) const;
  bool Filtered(uint8_t kind, NodeId from, NodeId to, PathState& path);
  void Schedule(NodeId from, NodeId to, Bytes message, Attachment attachment, PathState& path,
                const PathOptions& options);
  void Deliver(NodeId from, NodeId to, Bytes message, const Attachment& attachment);
  void Drop(NodeId from, NodeId to, const char* reason, uint64_t* counter);

  SimClock& clock_;
  Trace& trace_;
  const Rng root_;
  PathOptions defaults_;
  std::map<PathKey, PathOptions> overrides_;
  std::map<PathKey, PathState> paths_;
  std::map<NodeId, std::unique_ptr<EndpointImpl>> endpoints_;
  std::set<PathKey> blocked_;
  std::set<NodeId> isolated_;
  std::vector<DropFilter> filters_;
  Stats stats_;
  uint64_t in_flight_total_ = 0;
};

}  // namespace gafka::sim
