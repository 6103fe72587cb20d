#include "runtime-real/http_transport.h"

#include <httplib.h>

#include <chrono>
#include <utility>

#include "core/base/check.h"

namespace gafka::real {

namespace {
constexpr size_t kPeerQueueMax = 256;
constexpr const char* kPath = "/internal/v1/replica";
constexpr int64_t kReconnectMs = 50;
constexpr int64_t kReconnectForMs = 2'000;
}  // namespace

struct HttpTransport::Peer {
  NodeId id;
  std::string address;
  std::deque<Bytes> queue;  // guarded by the transport's mu_
  std::condition_variable cv;
  std::thread thread;
};

HttpTransport::HttpTransport(EventLoop& loop, Logger& logger, Millis inbound_deadline_ms)
    : loop_(loop), logger_(logger), inbound_deadline_ms_(inbound_deadline_ms) {}

HttpTransport::~HttpTransport() {
  std::map<int32_t, Slot> slots;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [id, peer] : peers_) peer->cv.notify_all();
    slots.swap(slots_);
  }
  for (auto& [id, slot] : slots) slot.reply({});
  for (auto& [id, peer] : peers_) {
    if (peer->thread.joinable()) peer->thread.join();
  }
}

NodeId HttpTransport::AddPeer(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = peer_ids_.find(address);
  if (it != peer_ids_.end()) return it->second;
  const NodeId id(kFirstPeerId + static_cast<int32_t>(peers_.size()));
  auto peer = std::make_unique<Peer>();
  peer->id = id;
  peer->address = address;
  Peer* raw = peer.get();
  peers_.emplace(id.value(), std::move(peer));
  peer_ids_.emplace(address, id);
  raw->thread = std::thread([this, raw] { RunSender(raw); });
  return id;
}

void HttpTransport::Send(NodeId to, Bytes message) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return;
  if (to.value() >= kFirstHandleId) {
    auto it = slots_.find(to.value());
    if (it == slots_.end()) return;  // answered empty at its deadline: the reply is lost
    std::function<void(Bytes)> reply = std::move(it->second.reply);
    slots_.erase(it);
    std::vector<Slot> expired = TakeExpiredSlots();
    lock.unlock();
    reply(std::move(message));
    for (Slot& slot : expired) slot.reply({});
    return;
  }
  auto it = peers_.find(to.value());
  if (it == peers_.end() || it->second->queue.size() >= kPeerQueueMax) return;  // dropped
  it->second->queue.push_back(std::move(message));
  it->second->cv.notify_all();
}

void HttpTransport::OnReceive(std::function<void(NodeId from, Bytes message)> handler) {
  handler_ = std::move(handler);
}

std::vector<HttpTransport::Slot> HttpTransport::TakeExpiredSlots() {
  std::vector<Slot> expired;
  const Millis now_ms = loop_.NowMs();
  while (!slots_.empty() && slots_.begin()->second.expires_ms <= now_ms) {
    expired.push_back(std::move(slots_.begin()->second));
    slots_.erase(slots_.begin());
  }
  return expired;
}

void HttpTransport::HandleInbound(Bytes body, std::function<void(Bytes)> reply) {
  NodeId handle;
  std::vector<Slot> expired;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) {
      lock.unlock();
      reply({});
      return;
    }
    expired = TakeExpiredSlots();
    handle = NodeId(next_handle_);
    next_handle_ = next_handle_ == INT32_MAX ? kFirstHandleId : next_handle_ + 1;
    slots_[handle.value()] = Slot{std::move(reply), loop_.NowMs() + inbound_deadline_ms_};
  }
  for (Slot& slot : expired) slot.reply({});
  // Unbounded: a follower has one fetch in flight, so these are bounded by
  // the number of followers; and with flat combining an idle loop runs it
  // right here, on this network thread, without waking the loop thread.
  loop_.PostUnbounded([this, handle, body = std::move(body)]() mutable {
    if (handler_) handler_(handle, std::move(body));
  });
}

void HttpTransport::RunSender(Peer* peer) {
  const auto colon = peer->address.rfind(':');
  const std::string host = peer->address.substr(0, colon);
  const int port = colon == std::string::npos ? 9001 : std::atoi(peer->address.c_str() + colon + 1);
  httplib::Client client(host, port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(static_cast<time_t>(inbound_deadline_ms_ / 1000 + 2), 0);
  client.set_write_timeout(5, 0);
  for (;;) {
    Bytes message;
    {
      std::unique_lock<std::mutex> lock(mu_);
      peer->cv.wait(lock, [&] { return stopping_ || !peer->queue.empty(); });
      if (stopping_) return;
      message = std::move(peer->queue.front());
      peer->queue.pop_front();
    }
    auto result = client.Post(kPath, message, "application/octet-stream");
    // No answer (the peer refused the connection, or dropped it mid-request:
    // it is restarting): try the same message again every kReconnectMs while
    // nothing newer is queued, for up to kReconnectForMs, so a follower is
    // back within one retry of its leader's restart instead of after its
    // fetch timeout. Every replication message is idempotent (core tolerates
    // duplicates: the simulator duplicates them).
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kReconnectForMs);
    while (!result && std::chrono::steady_clock::now() < give_up) {
      std::unique_lock<std::mutex> lock(mu_);
      if (peer->cv.wait_for(lock, std::chrono::milliseconds(kReconnectMs),
                            [&] { return stopping_ || !peer->queue.empty(); })) {
        break;  // stopping, or the core sent something newer: this one is moot
      }
      lock.unlock();
      result = client.Post(kPath, message, "application/octet-stream");
    }
    if (!result || result->status != 200) {
      // Lost, as the Transport contract allows: core resends on its timers.
      // Pause a little so a dead peer does not make core spin.
      std::unique_lock<std::mutex> lock(mu_);
      peer->cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_; });
      continue;
    }
    if (result->body.empty()) continue;
    const NodeId from = peer->id;
    // With flat combining an idle loop runs the reply here. A follower's
    // sync of the records it appends goes to an I/O thread, so that this
    // thread can send the pipelined fetch meanwhile (docs/replication.md).
    loop_.PostUnbounded([this, from, reply = std::move(result->body)]() mutable {
      if (handler_) handler_(from, std::move(reply));
    });
  }
}

}  // namespace gafka::real
