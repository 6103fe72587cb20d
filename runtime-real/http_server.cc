#include "runtime-real/http_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <utility>
#include <variant>

#include "core/protocol/errors.h"

namespace gafka {
namespace {

// Debian's libcpp-httplib is a compiled library that listens with a backlog
// of 5: under a burst of connections the kernel drops SYNs and clients stall
// for a second per retry. The listening socket is protected, so a subclass
// reaches it to listen again with a real backlog.
class BrokerHttpServer final : public httplib::Server {
 public:
  bool RaiseBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

// httplib's thread pool, plus a hook on the accept loop's idle tick: a Stop()
// that raced with the start of the accept loop (httplib::Server::stop() is a
// no-op until the loop runs) is applied at the next tick.
class WorkerPool final : public httplib::ThreadPool {
 public:
  WorkerPool(size_t threads, std::function<void()> on_idle)
      : httplib::ThreadPool(threads), on_idle_(std::move(on_idle)) {}
  void on_idle() override { on_idle_(); }

 private:
  std::function<void()> on_idle_;
};

// The slot through which the loop hands a response to the waiting worker.
// Shared by both sides: the worker may give up (504) before the loop answers.
struct Completion {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  ApiResponse response;
};

// How long a worker waits for the broker's answer before it answers 504.
Millis AnswerDeadlineMs(const ApiRequest& request, const HttpServerConfig& config) {
  Millis poll_timeout_ms = -1;
  if (const auto* fetch = std::get_if<FetchRequest>(&request)) poll_timeout_ms = fetch->timeout_ms;
  if (const auto* poll = std::get_if<GroupPollRequest>(&request))
    poll_timeout_ms = poll->timeout_ms;
  if (poll_timeout_ms < 0) return config.answer_deadline_ms;
  return std::max<Millis>(0, poll_timeout_ms + config.poll_margin_ms);
}

// Takes the body out of httplib's request instead of copying it (up to
// limits.max_request_bytes per request; a batch of 100 x 1 KiB is ~110 KiB).
// httplib hands handlers its own mutable Request object (see the pre-routing
// handler) and does not read the body after the handler returns.
HttpRequest ToHttpRequest(const httplib::Request& request) {
  HttpRequest out;
  out.method = request.method;
  out.path = request.path;
  // A repeated parameter: the first occurrence wins (as in most frameworks).
  for (const auto& [name, value] : request.params) out.query.emplace(name, value);
  out.body = std::move(const_cast<httplib::Request&>(request).body);
  return out;
}

// Moves the body in (a fetch answer may be megabytes): what set_content()
// does, without its copy.
void WriteResponse(HttpResponse response, httplib::Response& out) {
  out.status = response.status;
  if (!response.leader_hint.empty()) out.set_header("X-Gafka-Leader", response.leader_hint);
  out.body = std::move(response.body);
  out.headers.erase("Content-Type");
  out.set_header("Content-Type", response.content_type);
}

void WriteError(int error_code, std::string message, httplib::Response& out) {
  WriteResponse(EncodeResponse(ApiResponse(MakeApiError(error_code, std::move(message)))), out);
}

// Errors httplib answers itself (unknown method, body over the payload cap,
// unparsable request line) get the JSON envelope too.
int ErrorCodeForHttplibStatus(int status) {
  switch (status) {
    case 413:
      return api_errors::kRequestTooLarge;
    case 404:
      return api_errors::kNotFound;
    case 405:
      return api_errors::kMethodNotAllowed;
    case 400:
      return api_errors::kInvalidArgument;
    default:
      return status * 100;
  }
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerConfig config, Broker& broker, PostFn post, Logger& logger)
      : config_(std::move(config)), broker_(broker), post_(std::move(post)), logger_(logger) {
    CHECK(config_.threads >= 1);
    CHECK(config_.max_pending_requests >= 1);
    CHECK(post_ != nullptr);
    Configure();
  }

  Status Bind(int* bound_port) {
    int port = config_.port;
    if (port == 0) {
      port = server_.bind_to_any_port(config_.host);
      if (port < 0) return IoError("cannot bind " + config_.host + " to any port");
    } else if (!server_.bind_to_port(config_.host, port)) {
      return IoError("cannot bind " + config_.host + ":" + std::to_string(port) +
                     " (in use, or not a local address)");
    }
    if (!server_.RaiseBacklog(config_.listen_backlog)) {
      return IoError("listen(backlog " + std::to_string(config_.listen_backlog) + ") failed");
    }
    *bound_port = port;
    bound_ = true;
    return Status::Ok();
  }

  Status Run() {
    CHECK_MSG(bound_, "HttpServer::Run() before Bind()");
    if (stop_requested_.load()) return Status::Ok();
    if (!server_.listen_after_bind() && !stop_requested_.load()) {
      return IoError("the HTTP accept loop failed");
    }
    return Status::Ok();
  }

  void Stop() {
    stop_requested_.store(true);
    server_.stop();
  }

  void SetInternalHandler(HttpServer::InternalHandler handler) { internal_ = std::move(handler); }

  Stats stats() const { return Stats{requests_.load(), rejected_busy_.load(), timed_out_.load()}; }

 private:
  void Configure() {
    server_.new_task_queue = [this] {
      return new WorkerPool(config_.threads, [this] {
        if (stop_requested_.load()) server_.stop();
      });
    };
    // Without TCP_NODELAY a small response waits for the client's delayed
    // ACK (Nagle): ~40 ms per request on keep-alive connections.
    server_.set_tcp_nodelay(true);
    // Only SO_REUSEADDR: httplib's default adds SO_REUSEPORT, which would let
    // a second broker bind the same port and steal half the connections.
    server_.set_socket_options([](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    // The codec answers 413 (41302) with detail for bodies over
    // limits.max_request_bytes; httplib's own cap only stops absurd ones.
    server_.set_payload_max_length(config_.max_payload_bytes != 0
                                       ? config_.max_payload_bytes
                                       : config_.limits.max_request_bytes + (1u << 20));
    server_.set_keep_alive_timeout(config_.keep_alive_timeout_s);
    server_.set_keep_alive_max_count(config_.keep_alive_max_requests);
    server_.set_idle_interval(0, 100'000);  // the accept loop's Stop() check, see WorkerPool

    // Every body is JSON. curl -d sends "application/x-www-form-urlencoded",
    // for which httplib caps the body at 8 KiB (413) and parses it into query
    // parameters. The pre-routing hook runs before the body is read; the
    // request object it sees is httplib's own mutable one, so relabelling the
    // content type there is well-defined.
    server_.set_pre_routing_handler([](const httplib::Request& request, httplib::Response&) {
      auto it = request.headers.find("Content-Type");
      if (it != request.headers.end() &&
          it->second.rfind("application/x-www-form-urlencoded", 0) == 0) {
        auto& mutable_request = const_cast<httplib::Request&>(request);
        mutable_request.headers.erase("Content-Type");
        mutable_request.headers.emplace("Content-Type", "application/json");
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });

    auto handler = [this](const httplib::Request& request, httplib::Response& response) {
      Handle(request, response);
    };
    const std::string any = "/.*";
    server_.Get(any, handler);
    server_.Post(any, handler);
    server_.Put(any, handler);
    server_.Patch(any, handler);
    server_.Delete(any, handler);

    server_.set_error_handler([](const httplib::Request&, httplib::Response& response) {
      if (!response.body.empty()) return;  // our own error answer, already JSON
      const int status = response.status;
      WriteError(ErrorCodeForHttplibStatus(status),
                 status == 413 ? "request body too large" : "bad HTTP request", response);
      response.status = status;
    });
    server_.set_exception_handler(
        [this](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
          std::string what = "unknown exception";
          try {
            if (error) std::rethrow_exception(error);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          logger_.Log(LogLevel::kError, "HTTP handler threw: " + what);
          WriteError(api_errors::kInternal, "internal error: " + what, response);
        });
  }

  void Handle(const httplib::Request& raw, httplib::Response& out) {
    requests_.fetch_add(1);
    if (internal_ && raw.path.rfind("/internal/", 0) == 0) {
      WriteResponse(internal_(ToHttpRequest(raw)), out);
      return;
    }
    auto decoded = DecodeRequest(ToHttpRequest(raw), config_.limits);
    if (auto* error = std::get_if<ApiError>(&decoded)) {
      WriteResponse(EncodeResponse(ApiResponse(std::move(*error))), out);
      return;
    }
    ApiRequest request = std::move(std::get<ApiRequest>(decoded));
    const Millis deadline_ms = AnswerDeadlineMs(request, config_);

    if (pending_->fetch_add(1) >= config_.max_pending_requests) {
      pending_->fetch_sub(1);
      rejected_busy_.fetch_add(1);
      WriteError(api_errors::kUnavailable, "broker busy: too many pending requests", out);
      return;
    }
    auto completion = std::make_shared<Completion>();
    // The loop-side closures own what they touch (the completion slot, the
    // pending counter): a worker that gave up (504) may be gone when they run.
    bool posted = post_([&broker = broker_, pending = pending_, completion,
                         request = std::move(request)]() mutable {
      broker.Execute(std::move(request), [pending, completion](ApiResponse response) {
        {
          std::lock_guard<std::mutex> lock(completion->mu);
          CHECK_MSG(!completion->done, "Broker::Execute completed a request twice");
          // Free the slot before the worker can see `done`: a client's next
          // request must not find it still taken.
          pending->fetch_sub(1);
          completion->response = std::move(response);
          completion->done = true;
        }
        completion->cv.notify_one();
      });
    });
    if (!posted) {
      pending_->fetch_sub(1);
      rejected_busy_.fetch_add(1);
      WriteError(api_errors::kUnavailable, "broker busy or stopping: request not queued", out);
      return;
    }

    std::unique_lock<std::mutex> lock(completion->mu);
    const bool done = completion->cv.wait_for(lock, std::chrono::milliseconds(deadline_ms),
                                              [&] { return completion->done; });
    if (!done) {
      lock.unlock();
      timed_out_.fetch_add(1);
      WriteError(api_errors::kTimeout,
                 "the broker did not answer within " + std::to_string(deadline_ms) + " ms", out);
      return;
    }
    ApiResponse response = std::move(completion->response);
    lock.unlock();
    WriteResponse(EncodeResponse(response), out);
  }

  HttpServer::InternalHandler internal_;  // set before Run(); then read-only
  const HttpServerConfig config_;
  Broker& broker_;
  PostFn post_;
  Logger& logger_;
  BrokerHttpServer server_;
  bool bound_ = false;
  std::atomic<bool> stop_requested_{false};
  // Requests posted to the loop and not yet completed by the Broker.
  std::shared_ptr<std::atomic<size_t>> pending_ = std::make_shared<std::atomic<size_t>>(0);
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> rejected_busy_{0};
  std::atomic<uint64_t> timed_out_{0};
};

HttpServer::HttpServer(HttpServerConfig config, Broker& broker, PostFn post, Logger& logger)
    : impl_(std::make_unique<Impl>(std::move(config), broker, std::move(post), logger)) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Bind() {
  int bound_port = 0;
  GAFKA_RETURN_IF_ERROR(impl_->Bind(&bound_port));
  port_.store(bound_port);
  return Status::Ok();
}

Status HttpServer::Run() { return impl_->Run(); }

void HttpServer::Stop() { impl_->Stop(); }

void HttpServer::SetInternalHandler(InternalHandler handler) {
  impl_->SetInternalHandler(std::move(handler));
}

HttpServer::Stats HttpServer::stats() const { return impl_->stats(); }

}  // namespace gafka
