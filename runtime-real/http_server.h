// HttpServer: the broker's HTTP/JSON front door, an epoll server of its own.
//
// Request path (docs/architecture.md): a few network threads, each with its
// own epoll set, own the connections (thread 0 accepts and deals them out
// round-robin). A network thread reads what its sockets have, parses HTTP
// (runtime-real/http_wire.h) and runs DecodeRequest. A decode error is
// answered at once. The requests it decoded in one pass over its ready
// sockets go to the loop that owns the Broker as one posted task — bounded:
// when too many requests are pending, or the loop refuses the post, the
// answer is 503. Broker::Execute's completion, on whichever thread owns the
// core, drops the answer in the network thread's mailbox (waking it through
// an eventfd only when it sleeps in epoll_wait); the network thread encodes
// it and writes it. No thread blocks on a request: a parked long poll holds a
// connection, not a thread. Each request has a deadline (a long poll's own
// timeout plus a margin, else a fixed one): past it the network thread
// answers 504 and drops the late answer.
//
// Why not cpp-httplib's server (which the clients still use): its thread per
// connection costs a thread wake-up per request to receive it and another to
// answer it once durable; on this 2-core VM each wake-up is ~10–15 µs of CPU
// and they made the produce path four times as expensive as the HTTP work
// itself (docs/architecture.md, "The HTTP server").
//
// Threads: Bind/Run/Stop may be called from any thread; Run blocks the caller
// until Stop and until every request in flight is answered (or its deadline
// passed). The Broker is touched only from tasks run by `post`, i.e. on the
// loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/base/status.h"
#include "core/broker/broker.h"
#include "core/env/env.h"
#include "core/protocol/codec.h"

namespace gafka {

struct HttpServerConfig {
  std::string host = "127.0.0.1";
  int port = 9001;               // 0: any free port (see port())
  size_t threads = 2;            // network threads (epoll); long polls hold none
  int listen_backlog = 1024;
  size_t max_payload_bytes = 0;  // HTTP body cap (413); 0: limits' + 1 MiB
  size_t max_pending_requests = 4096;  // posted to the loop, not yet answered
  // Deadlines of the wait for the broker's answer (504 past them): a long
  // poll waits its own timeout + poll_margin_ms (a test may make it negative
  // to provoke a 504); any other request waits answer_deadline_ms.
  Millis answer_deadline_ms = 15'000;
  Millis poll_margin_ms = 15'000;
  // A request whose bytes have not all arrived this long after its first
  // one is answered 408 and its connection closed (a slow or stuck client
  // must not hold a connection for ever).
  Millis request_read_timeout_ms = 30'000;
  int keep_alive_timeout_s = 5;              // idle keep-alive connections
  size_t keep_alive_max_requests = 100'000;  // per connection
  ApiLimits limits;
};

class HttpServer {
 public:
  // Hands `task` to the loop that owns the Broker; thread-safe; false when
  // the loop's queue is full or it has stopped (the task is dropped then).
  using PostFn = std::function<bool(Task task)>;

  HttpServer(HttpServerConfig config, Broker& broker, PostFn post, Logger& logger);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port and listens. After it, port() is the bound port (useful
  // with port 0).
  Status Bind();
  int port() const { return port_.load(); }

  // Serves until Stop(); returns once every request in flight is answered.
  // Requires Bind().
  Status Run();

  // Requests whose path starts with "/internal/" (broker-to-broker traffic,
  // replication admin) go to `handler` on the network thread instead of the
  // API codec. The handler must not block: it calls `respond` once, from any
  // thread (past the request's deadline the answer is 504 and `respond` is a
  // no-op). Set before Run(); without one they are unknown routes.
  using Respond = std::function<void(HttpResponse)>;
  using InternalHandler = std::function<void(HttpRequest request, Respond respond)>;
  void SetInternalHandler(InternalHandler handler);

  // Stops accepting connections; Run() returns when the requests in flight
  // are answered. Thread-safe and idempotent; safe from a signal-watcher
  // thread.
  void Stop();

  struct Stats {
    uint64_t requests = 0;
    uint64_t rejected_busy = 0;  // 503: queue full
    uint64_t timed_out = 0;      // 504: deadline passed
  };
  Stats stats() const;

  class Impl;  // public for the .cc's helper functions

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<int> port_{0};
};

}  // namespace gafka
