// SimNode: one simulated broker machine. It owns what survives a crash (the
// SimDisk, the NodeClock, its network address) and, while it is up, the
// volatile part: a real Broker opened by Broker::Open — the production
// recovery code — on an Env made of the node's clock, disk and seeded random.
//
// Requests arrive over SimNetwork as Envelope{HttpRequest}; the node runs the
// production path DecodeRequest -> Broker::Execute -> EncodeResponse and
// sends back Envelope{HttpResponse} with the same request id. A typed
// request (sim_wire.h, the codec-free path) goes to Broker::Execute as is and
// its answer back as a TypedResponse.
//
// Lifecycle: Start() -> up; Crash() -> down (the broker object is destroyed,
// every node timer cancelled, the SimDisk's power-loss model applied, and
// completions of the old incarnation dropped); Start() again recovers.
// Pause()/Resume(): while paused no timer, disk completion or packet is
// processed (packets are held, or dropped if drop_while_paused).
//
// Owned by the Simulation; single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/broker/broker.h"
#include "core/env/env.h"
#include "runtime-sim/node_clock.h"
#include "runtime-sim/node_disk.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_disk.h"
#include "runtime-sim/sim_network.h"
#include "runtime-sim/trace.h"

namespace gafka::sim {

struct NodeConfig {
  BrokerConfig broker;      // broker.id is the node's network address
  DiskFaults disk_faults;   // initial; the fault injector changes them
  double buggify_rate = 0;  // per Buggify site call, while up
  bool drop_while_paused = false;
  bool echo_log = false;  // print the broker's log lines to stderr
  // Replication: the broker is opened with a Transport (broker.replication
  // says leader or follower); replication messages (byte 0 = 32) go to it.
  bool replicate = false;
};

// The Transport a replicating broker sees: the node's SimNetwork endpoint,
// shared with client traffic (SimNode routes replication messages here).
class ReplicaPort : public Transport {
 public:
  ReplicaPort(SimNetwork& network, NodeId self) : network_(network), self_(self) {}
  void Send(NodeId to, Bytes message) override { network_.Send(self_, to, std::move(message)); }
  void OnReceive(std::function<void(NodeId, Bytes)> handler) override {
    handler_ = std::move(handler);
  }
  void Deliver(NodeId from, Bytes message) {
    if (handler_) handler_(from, std::move(message));
  }

 private:
  SimNetwork& network_;
  NodeId self_;
  std::function<void(NodeId, Bytes)> handler_;
};

class SimNode {
 public:
  SimNode(SimClock& clock, SimNetwork& network, Trace& trace, NodeConfig config, uint64_t seed);
  ~SimNode();
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  // Opens the broker on the node's disk (recovering whatever is there).
  // On failure the node stays down.
  Status Start();
  // Power loss. No-op when down.
  void Crash();
  // Power loss whether the process is up or not: also what an operator does
  // when recovery keeps failing (a reboot clears the disk's error state).
  void PowerCycle();
  void Pause();
  void Resume();

  NodeId id() const { return config_.broker.id; }
  bool up() const { return broker_ != nullptr; }
  bool paused() const { return clock_.paused(); }
  uint64_t starts() const { return starts_; }
  uint64_t crashes() const { return crashes_; }
  uint64_t start_failures() const { return start_failures_; }
  // Buggify sites that fired, over every incarnation.
  uint64_t buggify_fired() const {
    return buggify_fired_ + (buggify_ != nullptr ? buggify_->fired() : 0);
  }

  SimDisk& disk() { return disk_; }
  NodeDisk& node_disk() { return node_disk_; }
  NodeClock& clock() { return clock_; }
  SimLogger& logger() { return logger_; }
  Broker* broker() { return broker_.get(); }
  const NodeConfig& config() const { return config_; }
  // Replication: what the next Start() opens as (leader, or follower of whom).
  BrokerConfig& broker_config() { return config_.broker; }
  void set_buggify_rate(double rate);

 private:
  void OnPacket(NodeId from, Bytes packet, Attachment attachment);
  void Handle(NodeId from, const Bytes& packet, const Attachment& attachment);
  void Reply(NodeId to, uint64_t request_id, const HttpResponse& response);

  SimClock& sim_clock_;
  SimNetwork& network_;
  Trace& trace_;
  NodeConfig config_;
  const uint64_t seed_;
  Transport& endpoint_;
  ReplicaPort replica_port_;

  NodeClock clock_;
  SimDisk disk_;
  NodeDisk node_disk_;
  SimLogger logger_;
  // Rebuilt on every start, so a restarted broker draws fresh randomness.
  std::unique_ptr<SimRandom> random_;
  std::unique_ptr<SimBuggify> buggify_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Broker> broker_;

  uint64_t starts_ = 0;
  uint64_t crashes_ = 0;
  uint64_t start_failures_ = 0;
  uint64_t buggify_fired_ = 0;  // of earlier incarnations
};

}  // namespace gafka::sim
