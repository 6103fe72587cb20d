// SimRpc: a simulated client's request/response layer over SimNetwork, the
// stand-in for an HTTP client. Call() sends Envelope{HttpRequest} and calls
// back exactly once with the response, or with nullptr when `timeout_ms`
// passes first (outcome unknown: the request may still be executed).
//
// A response that arrives after its timeout is handed to the same callback
// once more with late = true, so the oracle still learns what the broker did
// (a late produce answer is a real acknowledgement). The late window is
// bounded (kMaxLate most recent timed-out calls). Duplicated responses after
// the first are ignored.
//
// Owned by one simulated client; single-threaded; Stop() cancels everything
// (no callback runs afterwards).
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "core/env/env.h"
#include "core/protocol/http.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_network.h"
#include "runtime-sim/sim_wire.h"

namespace gafka::sim {

class SimRpc {
 public:
  // response == nullptr: timed out. late: a response after the timeout.
  using Callback = std::function<void(const HttpResponse* response, bool late)>;
  static constexpr size_t kMaxLate = 1024;

  SimRpc(SimClock& clock, SimNetwork& network, NodeId self);
  ~SimRpc();
  SimRpc(const SimRpc&) = delete;
  SimRpc& operator=(const SimRpc&) = delete;

  // The codec-free form (sim_wire.h): the answer is the broker's ApiResponse.
  using TypedCallback = std::function<void(const ApiResponse* response, bool late)>;

  // Returns the request id.
  uint64_t Call(NodeId to, const HttpRequest& request, Millis timeout_ms, Callback callback);
  uint64_t CallTyped(NodeId to, MessageKind kind, ApiRequest request, Millis timeout_ms,
                     TypedCallback callback);
  void Stop();

  NodeId self() const { return self_; }
  size_t pending() const { return pending_.size(); }
  uint64_t timeouts() const { return timeouts_; }
  uint64_t late_responses() const { return late_responses_; }

 private:
  // One of the two callbacks is set, by the form of the call.
  struct Handlers {
    Callback http;
    TypedCallback typed;
    void Timeout() const { http ? http(nullptr, false) : typed(nullptr, false); }
  };
  struct Pending {
    TimerId timer = kNoTimer;
    Handlers handlers;
  };
  uint64_t Register(Millis timeout_ms, Handlers handlers);
  void OnPacket(NodeId from, const Bytes& packet, const Attachment& attachment);
  void OnTimeout(uint64_t request_id);

  SimClock& clock_;
  SimNetwork& network_;
  const NodeId self_;
  std::map<uint64_t, Pending> pending_;
  std::map<uint64_t, Handlers> late_;  // timed out; ids ascend, so begin() is the oldest
  uint64_t next_request_id_ = 1;
  uint64_t timeouts_ = 0;
  uint64_t late_responses_ = 0;
};

}  // namespace gafka::sim
