// HttpTransport: core's Transport (broker-to-broker messages) over HTTP.
//
// - Outbound to a peer (AddPeer: host:port -> a NodeId): each message is a
//   POST of its bytes to http://<peer>/internal/v1/replica, sent by the
//   peer's own sender thread (a bounded queue: a full queue drops, as the
//   Transport contract allows; core retries on its timers). A message that
//   got no answer (the peer refused or dropped the connection: restarting)
//   is sent again every 50 ms for up to 2 s while nothing newer is queued.
//   A non-empty 200 body is the peer's reply, delivered to the receive
//   handler as a message from that peer.
// - Inbound (HandleInbound, from an HTTP network thread): the body is handed
//   to the receive handler on the loop as a message from a fresh reply
//   handle; the core's Send(handle, reply) calls `reply`, which completes the
//   HTTP exchange. A reply handle the core has not used within
//   `inbound_deadline_ms` is answered empty (checked at the next inbound
//   message or reply).
//
// Threads: Send/OnReceive run on the loop thread; HandleInbound on HTTP
// network threads; one sender thread per peer. The receive handler runs only on the
// loop. Destroy after the core stopped using it (joins the senders).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/env/env.h"
#include "runtime-real/event_loop.h"

namespace gafka::real {

class HttpTransport final : public Transport {
 public:
  HttpTransport(EventLoop& loop, Logger& logger, Millis inbound_deadline_ms = 10'000);
  ~HttpTransport() override;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // The NodeId to Send to for `address` (host:port); the same id for the same
  // address. Thread-safe.
  NodeId AddPeer(const std::string& address);

  void Send(NodeId to, Bytes message) override;
  void OnReceive(std::function<void(NodeId from, Bytes message)> handler) override;

  // An inbound POST body. Does not block: `reply` gets the core's reply body
  // (may be empty) once, from the thread running the core, or empty past the
  // deadline or when the transport stops.
  void HandleInbound(Bytes body, std::function<void(Bytes)> reply);

  static constexpr int32_t kFirstPeerId = 1'000'000;
  static constexpr int32_t kFirstHandleId = 10'000'000;

 private:
  struct Peer;
  struct Slot {
    std::function<void(Bytes)> reply;
    Millis expires_ms = 0;  // EventLoop::NowMs()
  };
  void RunSender(Peer* peer);
  // Takes the slots past their deadline out of slots_ (mu_ held); the caller
  // answers them empty once it let go of mu_.
  std::vector<Slot> TakeExpiredSlots();

  EventLoop& loop_;
  Logger& logger_;
  const Millis inbound_deadline_ms_;
  // Loop thread only.
  std::function<void(NodeId, Bytes)> handler_;
  std::mutex mu_;  // guards the maps below and every peer's queue
  std::map<std::string, NodeId> peer_ids_;
  std::map<int32_t, std::unique_ptr<Peer>> peers_;
  std::map<int32_t, Slot> slots_;  // by handle: oldest first
  int32_t next_handle_ = kFirstHandleId;
  bool stopping_ = false;
};

}  // namespace gafka::real
