// HttpServer: the broker's HTTP/JSON front door (cpp-httplib).
//
// Request path (docs/architecture.md): an httplib worker thread converts the
// request to a gafka::HttpRequest and runs DecodeRequest (pure, in parallel
// on many threads). A decode error is answered at once. Otherwise the worker
// posts a task to the loop that owns the Broker — bounded: when too many
// requests are pending, or the loop refuses the post, the answer is 503 — and
// waits, with a deadline (a long poll's own timeout plus a margin, else a
// fixed one; 504 past it), for Broker::Execute's completion, which the loop hands back
// through a small mutex+condvar slot. The worker then runs EncodeResponse and
// writes status, content type, body and "X-Gafka-Leader" (from leader_hint).
//
// Threads: Bind/Run/Stop may be called from any thread; Run blocks the caller
// until Stop and until every worker has finished its request. The Broker is
// touched only from tasks run by `post`, i.e. on the loop.
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
  int port = 9001;                     // 0: any free port (see port())
  size_t threads = 64;                 // long polls hold a thread each
  int listen_backlog = 1024;           // httplib itself listens with 5
  size_t max_payload_bytes = 0;        // httplib's body cap (413); 0: limits' + 1 MiB
  size_t max_pending_requests = 4096;  // posted to the loop, not yet answered
  // Deadlines of the wait for the broker's answer (504 past them): a long
  // poll waits its own timeout + poll_margin_ms (a test may make it negative
  // to provoke a 504); any other request waits answer_deadline_ms.
  Millis answer_deadline_ms = 15'000;
  Millis poll_margin_ms = 15'000;
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

  // Binds host:port and raises the listen backlog. After it, port() is the
  // bound port (useful with port 0).
  Status Bind();
  int port() const { return port_.load(); }

  // Serves until Stop(); returns once no worker is busy. Requires Bind().
  Status Run();

  // Requests whose path starts with "/internal/" (broker-to-broker traffic,
  // replication admin) go to `handler` on the worker thread instead of the
  // API codec. Set before Run(); without one they are unknown routes.
  using InternalHandler = std::function<HttpResponse(const HttpRequest&)>;
  void SetInternalHandler(InternalHandler handler);

  // Stops accepting connections; Run() returns when the workers drain.
  // Thread-safe and idempotent; safe from a signal-watcher thread.
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
