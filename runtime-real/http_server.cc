#include "runtime-real/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/protocol/errors.h"
#include "runtime-real/event_loop.h"
#include "runtime-real/http_wire.h"

namespace gafka {
namespace {

using real::Mutex;
using real::MutexLock;
using real::SteadyNowMs;

// How long the broker may take to answer a request before it is answered 504.
Millis AnswerDeadlineMs(const ApiRequest& request, const HttpServerConfig& config) {
  Millis poll_timeout_ms = -1;
  if (const auto* fetch = std::get_if<FetchRequest>(&request)) poll_timeout_ms = fetch->timeout_ms;
  if (const auto* poll = std::get_if<GroupPollRequest>(&request))
    poll_timeout_ms = poll->timeout_ms;
  if (poll_timeout_ms < 0) return config.answer_deadline_ms;
  return std::max<Millis>(0, poll_timeout_ms + config.poll_margin_ms);
}

// HTTP-level errors (bad framing, body over the cap, too slow) get the JSON
// envelope: status * 100, but the body cap has its own code.
int ErrorCodeForHttpStatus(int status) {
  return status == 413 ? api_errors::kRequestTooLarge : status * 100;
}

HttpResponse ErrorResponse(int error_code, std::string message) {
  return EncodeResponse(ApiResponse(MakeApiError(error_code, std::move(message))));
}

// An answer on its way from whichever thread produced it to the network
// thread that owns the connection.
struct Answer {
  uint64_t conn_id = 0;
  uint64_t exchange = 0;           // which request of the connection it answers
  std::optional<ApiResponse> api;  // encoded on the network thread
  HttpResponse http;               // when `api` is empty
};

// A network thread's inbox, shared with the closures that answer its
// requests: they may outlive the thread (a long poll answered at shutdown).
struct Mailbox {
  Mutex mu;
  std::vector<Answer> answers GAFKA_GUARDED_BY(mu);
  std::vector<int> new_sockets GAFKA_GUARDED_BY(mu);  // from the accepting thread
  bool asleep GAFKA_GUARDED_BY(mu) = false;           // in epoll_wait: a delivery must wake it
  bool closed GAFKA_GUARDED_BY(mu) = false;           // the thread is gone; event_fd is closed
  int event_fd = -1;

  // Wakes the thread if it sleeps in epoll_wait.
  void WakeLocked() GAFKA_REQUIRES(mu) {
    if (asleep) KickLocked();
  }
  // Wakes it even if it is about to sleep (it has not set `asleep` yet).
  void KickLocked() GAFKA_REQUIRES(mu) {
    if (closed) return;
    asleep = false;
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(event_fd, &one, sizeof(one));
  }
  void Deliver(Answer answer) GAFKA_EXCLUDES(mu) {
    MutexLock lock(mu);
    if (closed) return;
    answers.push_back(std::move(answer));
    WakeLocked();
  }
};

constexpr uint64_t kListenTag = 0;
constexpr uint64_t kEventTag = 1;
constexpr uint64_t kFirstConnId = 2;
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxReadPerPass = 1 << 20;
// After an error that ends a connection, what the client still sends is read
// and dropped for this long, so it sees the answer instead of a reset.
constexpr Millis kLingerMs = 2'000;
// How long the accepting thread stops accepting after accept(2) failed for
// want of descriptors or memory.
constexpr Millis kAcceptPauseMs = 100;
// How long Run() waits after Stop() for answers still owed.
constexpr Millis kStopGraceMs = 20'000;

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerConfig config, Broker& broker, PostFn post, Logger& logger)
      : config_(std::move(config)), broker_(broker), post_(std::move(post)), logger_(logger) {
    CHECK(config_.threads >= 1);
    CHECK(config_.max_pending_requests >= 1);
    CHECK(post_ != nullptr);
    wire_limits_.max_body_bytes = config_.max_payload_bytes != 0
                                      ? config_.max_payload_bytes
                                      : config_.limits.max_request_bytes + (1u << 20);
  }

  ~Impl() {
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  Status Bind() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(config_.port);
    if (int rc = ::getaddrinfo(config_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      return IoError("cannot resolve " + config_.host + ": " + ::gai_strerror(rc));
    }
    std::string last_error = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      const int fd =
          ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      // Only SO_REUSEADDR, not SO_REUSEPORT: a second broker must not be able
      // to bind the same port and steal half the connections.
      int yes = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, config_.listen_backlog) == 0) {
        listen_fd_ = fd;
        break;
      }
      last_error = std::strerror(errno);
      ::close(fd);
    }
    ::freeaddrinfo(found);
    if (listen_fd_ < 0) {
      return IoError("cannot bind " + config_.host + ":" + port + " (" + last_error +
                     "; in use, or not a local address)");
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof(bound);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
    bound_port_ = bound.ss_family == AF_INET6
                      ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return Status::Ok();
  }

  int bound_port() const { return bound_port_; }

  Status Run() {
    CHECK_MSG(listen_fd_ >= 0, "HttpServer::Run() before Bind()");
    for (size_t i = 0; i < config_.threads; ++i) {
      auto mailbox = std::make_shared<Mailbox>();
      mailbox->event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (mailbox->event_fd < 0) return IoError("eventfd: " + std::string(std::strerror(errno)));
      mailboxes_.push_back(std::move(mailbox));
    }
    {
      MutexLock lock(stop_mu_);
      running_ = true;
    }
    std::vector<std::thread> threads;
    for (size_t i = 1; i < config_.threads; ++i) threads.emplace_back([this, i] { NetMain(i); });
    NetMain(0);
    for (std::thread& thread : threads) thread.join();
    return Status::Ok();
  }

  void Stop() {
    stop_requested_.store(true);
    MutexLock lock(stop_mu_);
    if (!running_) return;
    for (const auto& mailbox : mailboxes_) {
      MutexLock mailbox_lock(mailbox->mu);
      mailbox->KickLocked();
    }
  }

  void SetInternalHandler(InternalHandler handler) { internal_ = std::move(handler); }

  Stats stats() const { return Stats{requests_.load(), rejected_busy_.load(), timed_out_.load()}; }

 private:
  struct Conn {
    int fd = -1;
    std::string in;
    std::string out;
    size_t out_sent = 0;
    bool busy = false;         // a request is with the broker (or the handler)
    uint64_t exchange = 0;     // the request in flight, or the last one
    bool close_after = false;  // close once `out` is sent
    bool lingering = false;    // answered an error: drop input until EOF or linger_until
    Millis linger_until = 0;
    bool continue_sent = false;  // "100 Continue" for the request being read
    bool writing = false;        // EPOLLOUT registered
    bool reading = true;         // EPOLLIN registered
    bool eof = false;            // the client closed its side
    Millis last_active_ms = 0;
    Millis partial_since_ms = 0;  // the first byte of a request not complete yet; 0: none
    size_t served = 0;
  };

  // Per network thread; touched only by that thread (the mailbox aside).
  struct Net {
    size_t index = 0;
    int epoll_fd = -1;
    std::shared_ptr<Mailbox> mailbox;
    std::unordered_map<uint64_t, Conn> conns;
    uint64_t next_conn_id = kFirstConnId;
    uint64_t next_exchange = 1;
    size_t next_target = 0;  // thread 0: round-robin of accepted sockets
    // (deadline, conn id, exchange), earliest first.
    std::priority_queue<std::tuple<Millis, uint64_t, uint64_t>,
                        std::vector<std::tuple<Millis, uint64_t, uint64_t>>, std::greater<>>
        deadlines;
    std::vector<Task> to_post;                               // this pass's decoded requests
    std::vector<std::pair<uint64_t, uint64_t>> to_post_ids;  // their (conn, exchange)
    Millis next_sweep_ms = 0;
    Millis accept_paused_until_ms = 0;  // thread 0: accept failed (no descriptors)
    bool listening = false;             // the listening socket is in the epoll set
  };

  void NetMain(size_t index) {
    if (index > 0) pthread_setname_np(pthread_self(), "gafka-net");  // 0 is Run()'s caller
    Net net;
    net.index = index;
    net.mailbox = mailboxes_[index];
    net.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    CHECK_MSG(net.epoll_fd >= 0, "epoll_create1 failed");
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kEventTag;
    ::epoll_ctl(net.epoll_fd, EPOLL_CTL_ADD, net.mailbox->event_fd, &event);
    std::vector<epoll_event> events(256);
    Millis stop_deadline_ms = 0;
    for (;;) {
      const Millis now_ms = SteadyNowMs();
      UpdateListening(net, now_ms);
      if (stop_requested_.load()) {
        if (stop_deadline_ms == 0) stop_deadline_ms = now_ms + kStopGraceMs;
        CloseIdle(net);
        if (net.conns.empty() || now_ms >= stop_deadline_ms) break;
      }
      Millis timeout_ms = std::max<Millis>(0, net.next_sweep_ms - now_ms);
      if (!net.deadlines.empty()) {
        timeout_ms =
            std::min(timeout_ms, std::max<Millis>(0, std::get<0>(net.deadlines.top()) - now_ms));
      }
      if (net.accept_paused_until_ms > now_ms) {
        timeout_ms = std::min(timeout_ms, net.accept_paused_until_ms - now_ms);
      }
      if (stop_requested_.load()) timeout_ms = std::min<Millis>(timeout_ms, 50);
      {
        MutexLock lock(net.mailbox->mu);
        if (!net.mailbox->answers.empty() || !net.mailbox->new_sockets.empty()) timeout_ms = 0;
        net.mailbox->asleep = timeout_ms != 0;
      }
      const int ready = ::epoll_wait(net.epoll_fd, events.data(), static_cast<int>(events.size()),
                                     static_cast<int>(std::min<Millis>(timeout_ms, 1'000)));
      {
        MutexLock lock(net.mailbox->mu);
        net.mailbox->asleep = false;
      }
      for (int i = 0; i < ready; ++i) {
        const uint64_t tag = events[static_cast<size_t>(i)].data.u64;
        const uint32_t flags = events[static_cast<size_t>(i)].events;
        if (tag == kListenTag) {
          Accept(net);
        } else if (tag == kEventTag) {
          uint64_t count = 0;
          [[maybe_unused]] ssize_t n = ::read(net.mailbox->event_fd, &count, sizeof(count));
        } else {
          OnSocket(net, tag, flags);
        }
      }
      TakeMail(net);
      ExpireDeadlines(net);
      // Last: answers and expiries may have started pipelined requests.
      PostDecoded(net);
    }
    // Close what is left; answers still owed are dropped (the mailbox closes).
    for (auto& [id, conn] : net.conns) ::close(conn.fd);
    net.conns.clear();
    {
      MutexLock lock(net.mailbox->mu);
      net.mailbox->closed = true;
      for (int fd : net.mailbox->new_sockets) ::close(fd);
      net.mailbox->new_sockets.clear();
      ::close(net.mailbox->event_fd);
    }
    ::close(net.epoll_fd);
  }

  // Thread 0 has the listening socket in its epoll set unless stopping, or
  // paused for want of descriptors (the ready socket would make it spin).
  void UpdateListening(Net& net, Millis now_ms) {
    const bool want =
        net.index == 0 && !stop_requested_.load() && now_ms >= net.accept_paused_until_ms;
    if (want == net.listening) return;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenTag;
    if (::epoll_ctl(net.epoll_fd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listen_fd_, &event) == 0) {
      net.listening = want;
    }
  }

  void Accept(Net& net) {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        // EMFILE, ENFILE, ENOBUFS, ENOMEM: pending connections wait in the
        // backlog while the server stops accepting for kAcceptPauseMs.
        logger_.Log(LogLevel::kWarn, std::string("accept: ") + std::strerror(errno) +
                                         "; not accepting for " + std::to_string(kAcceptPauseMs) +
                                         " ms (" + std::to_string(net.conns.size()) +
                                         " connections on this thread)");
        net.accept_paused_until_ms = SteadyNowMs() + kAcceptPauseMs;
        return;
      }
      // Without TCP_NODELAY a small response waits for the client's delayed
      // ACK (Nagle): ~40 ms per request on keep-alive connections.
      int yes = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
      const size_t target = net.next_target;
      net.next_target = (net.next_target + 1) % mailboxes_.size();
      if (target == net.index) {
        AddConn(net, fd);
      } else {
        Mailbox& mailbox = *mailboxes_[target];
        MutexLock lock(mailbox.mu);
        if (mailbox.closed) {
          ::close(fd);
          continue;
        }
        mailbox.new_sockets.push_back(fd);
        mailbox.KickLocked();
      }
    }
  }

  void AddConn(Net& net, int fd) {
    const uint64_t id = net.next_conn_id++;
    Conn& conn = net.conns[id];
    conn.fd = fd;
    conn.last_active_ms = SteadyNowMs();
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u64 = id;
    if (::epoll_ctl(net.epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
      ::close(fd);
      net.conns.erase(id);
    }
  }

  void CloseConn(Net& net, uint64_t id) {
    auto it = net.conns.find(id);
    if (it == net.conns.end()) return;
    ::close(it->second.fd);  // also leaves the epoll set
    net.conns.erase(it);
  }

  // Stopping: connections with nothing in flight and nothing left to write go.
  void CloseIdle(Net& net) {
    std::vector<uint64_t> idle;
    for (auto& [id, conn] : net.conns) {
      if (!conn.busy && conn.out_sent == conn.out.size()) idle.push_back(id);
    }
    for (uint64_t id : idle) CloseConn(net, id);
  }

  void UpdateInterest(Net& net, uint64_t id, Conn& conn) {
    const bool want_write = conn.out_sent < conn.out.size();
    // Stop reading while a request is in flight and a whole request's worth
    // is already buffered behind it (a client that pipelines without limit).
    const bool want_read =
        !conn.eof &&
        !(conn.busy && conn.in.size() > wire_limits_.max_head_bytes + wire_limits_.max_body_bytes);
    if (want_write == conn.writing && want_read == conn.reading) return;
    conn.writing = want_write;
    conn.reading = want_read;
    epoll_event event{};
    event.events = (want_read ? EPOLLIN | EPOLLRDHUP : 0u) | (want_write ? EPOLLOUT : 0u);
    event.data.u64 = id;
    ::epoll_ctl(net.epoll_fd, EPOLL_CTL_MOD, conn.fd, &event);
  }

  void OnSocket(Net& net, uint64_t id, uint32_t flags) {
    auto it = net.conns.find(id);
    if (it == net.conns.end()) return;
    Conn& conn = it->second;
    if ((flags & EPOLLERR) || (conn.eof && (flags & EPOLLHUP))) {
      CloseConn(net, id);
      return;
    }
    if (flags & EPOLLOUT) {
      if (!Flush(net, id, conn)) return;
    }
    if (flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) {
      bool eof = false;
      char buffer[kReadChunk];
      // At most kMaxReadPerPass per pass: a client that sends fast must not
      // hold this thread (the socket stays ready; epoll reports it again).
      for (size_t read = 0; read < kMaxReadPerPass;) {
        const ssize_t n = ::recv(conn.fd, buffer, sizeof(buffer), 0);
        if (n > 0) {
          if (!conn.lingering) conn.in.append(buffer, static_cast<size_t>(n));
          read += static_cast<size_t>(n);
          if (static_cast<size_t>(n) < sizeof(buffer)) break;
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        // 0: the client closed its side; an error other than "nothing more
        // for now" ends the connection the same way.
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) eof = true;
        break;
      }
      conn.last_active_ms = SteadyNowMs();
      if (eof && conn.lingering) {
        CloseConn(net, id);
        return;
      }
      // A half-closed client may still wait for the answers to what it sent:
      // nothing more can come, so the connection closes once they are written.
      if (eof) conn.eof = true;
    }
    Pump(net, id);
    CloseIfDone(net, id);
  }

  // After the client's EOF: closes once nothing is in flight or unwritten.
  void CloseIfDone(Net& net, uint64_t id) {
    auto it = net.conns.find(id);
    if (it == net.conns.end()) return;
    const Conn& conn = it->second;
    if (conn.eof && !conn.busy && conn.out_sent == conn.out.size()) CloseConn(net, id);
  }

  // Starts the requests buffered on a connection, one at a time, while they
  // are answered at once (errors); then updates the epoll interest.
  void Pump(Net& net, uint64_t id) {
    for (;;) {
      auto it = net.conns.find(id);
      if (it == net.conns.end()) return;
      Conn& conn = it->second;
      if (conn.busy || conn.lingering || conn.close_after || conn.in.empty() ||
          !ParseNext(net, id, conn)) {
        if (net.conns.count(id) == 0) return;
        // The read timeout runs while part of a request waits for the rest.
        if (conn.busy || conn.lingering || conn.in.empty()) {
          conn.partial_since_ms = 0;
        } else if (conn.partial_since_ms == 0) {
          conn.partial_since_ms = SteadyNowMs();
        }
        UpdateInterest(net, id, conn);
        return;
      }
    }
  }

  // Writes what `out` holds. False if the connection was closed.
  bool Flush(Net& net, uint64_t id, Conn& conn) {
    while (conn.out_sent < conn.out.size()) {
      const ssize_t n = ::send(conn.fd, conn.out.data() + conn.out_sent,
                               conn.out.size() - conn.out_sent, MSG_NOSIGNAL);
      if (n > 0) {
        conn.out_sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      CloseConn(net, id);
      return false;
    }
    if (conn.out_sent == conn.out.size()) {
      conn.out.clear();
      conn.out_sent = 0;
      if (conn.close_after && !conn.busy) {
        if (conn.lingering) {
          ::shutdown(conn.fd, SHUT_WR);
        } else {
          CloseConn(net, id);
          return false;
        }
      }
    }
    return true;
  }

  // Parses and starts the next buffered request. False if none is complete.
  bool ParseNext(Net& net, uint64_t id, Conn& conn) {
    real::ParseResult parsed = real::ParseHttpRequest(conn.in, wire_limits_);
    if (parsed.state == real::ParseState::kIncomplete) {
      if (parsed.head_complete && parsed.expect_continue && !conn.continue_sent) {
        conn.continue_sent = true;
        conn.out.append("HTTP/1.1 100 Continue\r\n\r\n");
        Flush(net, id, conn);
      }
      return false;
    }
    if (parsed.state == real::ParseState::kError) {
      AnswerAndClose(net, id, conn, parsed.error_status, std::move(parsed.error_message));
      return false;
    }
    conn.in.erase(0, parsed.consumed);
    conn.continue_sent = false;
    if (!parsed.request.keep_alive) conn.close_after = true;
    Start(net, id, conn, std::move(parsed.request));
    return true;
  }

  void Start(Net& net, uint64_t id, Conn& conn, real::ParsedHttpRequest parsed) {
    requests_.fetch_add(1);
    conn.busy = true;
    conn.exchange = net.next_exchange++;
    HttpRequest request;
    request.method = std::move(parsed.method);
    request.path = std::move(parsed.path);
    request.query = std::move(parsed.query);
    request.body = std::move(parsed.body);

    if (internal_ && request.path.rfind("/internal/", 0) == 0) {
      net.deadlines.emplace(SteadyNowMs() + config_.answer_deadline_ms, id, conn.exchange);
      internal_(std::move(request),
                [mailbox = net.mailbox, id, exchange = conn.exchange](HttpResponse response) {
                  mailbox->Deliver(Answer{id, exchange, std::nullopt, std::move(response)});
                });
      return;
    }
    auto decoded = DecodeRequest(std::move(request), config_.limits);
    if (auto* error = std::get_if<ApiError>(&decoded)) {
      Finish(net, id, conn, EncodeResponse(ApiResponse(std::move(*error))));
      return;
    }
    ApiRequest api_request = std::move(std::get<ApiRequest>(decoded));
    if (pending_->fetch_add(1) >= config_.max_pending_requests) {
      pending_->fetch_sub(1);
      rejected_busy_.fetch_add(1);
      Finish(net, id, conn,
             ErrorResponse(api_errors::kUnavailable, "broker busy: too many pending requests"));
      return;
    }
    net.deadlines.emplace(SteadyNowMs() + AnswerDeadlineMs(api_request, config_), id,
                          conn.exchange);
    // The closure owns what it touches (the mailbox, the pending counter):
    // the server may be gone when a long poll is answered.
    net.to_post.push_back([&broker = broker_, pending = pending_, mailbox = net.mailbox, id,
                           exchange = conn.exchange,
                           api_request = std::move(api_request)]() mutable {
      broker.Execute(std::move(api_request),
                     [pending, mailbox, id, exchange](ApiResponse response) {
                       // Free the slot before the client can see the answer:
                       // its next request must not find it still taken.
                       pending->fetch_sub(1);
                       mailbox->Deliver(Answer{id, exchange, std::move(response), {}});
                     });
    });
    net.to_post_ids.emplace_back(id, conn.exchange);
  }

  // Hands this pass's decoded requests to the loop as one task.
  void PostDecoded(Net& net) {
    while (!net.to_post.empty()) PostBatch(net);
  }

  // Posts what to_post holds; answers 503 to all of it if the loop refuses
  // (which may start further pipelined requests: PostDecoded loops).
  void PostBatch(Net& net) {
    std::vector<Task> tasks = std::move(net.to_post);
    std::vector<std::pair<uint64_t, uint64_t>> ids = std::move(net.to_post_ids);
    net.to_post.clear();
    net.to_post_ids.clear();
    const bool posted = post_([tasks = std::move(tasks)]() mutable {
      for (Task& task : tasks) task();
    });
    if (posted) return;
    for (const auto& [id, exchange] : ids) {
      pending_->fetch_sub(1);
      rejected_busy_.fetch_add(1);
      auto it = net.conns.find(id);
      if (it == net.conns.end() || it->second.exchange != exchange) continue;
      Complete(
          net, id, it->second,
          ErrorResponse(api_errors::kUnavailable, "broker busy or stopping: request not queued"));
    }
  }

  void TakeMail(Net& net) {
    std::vector<Answer> answers;
    std::vector<int> sockets;
    {
      MutexLock lock(net.mailbox->mu);
      answers.swap(net.mailbox->answers);
      sockets.swap(net.mailbox->new_sockets);
    }
    for (int fd : sockets) AddConn(net, fd);
    for (Answer& answer : answers) {
      auto it = net.conns.find(answer.conn_id);
      // Gone (closed, or answered 504 before): the late answer is dropped.
      if (it == net.conns.end() || !it->second.busy || it->second.exchange != answer.exchange) {
        continue;
      }
      Complete(net, answer.conn_id, it->second,
               answer.api.has_value() ? EncodeResponse(*answer.api) : std::move(answer.http));
    }
  }

  void ExpireDeadlines(Net& net) {
    const Millis now_ms = SteadyNowMs();
    while (!net.deadlines.empty() && std::get<0>(net.deadlines.top()) <= now_ms) {
      const auto [deadline_ms, id, exchange] = net.deadlines.top();
      net.deadlines.pop();
      auto it = net.conns.find(id);
      if (it == net.conns.end() || !it->second.busy || it->second.exchange != exchange) continue;
      timed_out_.fetch_add(1);
      Complete(net, id, it->second,
               ErrorResponse(api_errors::kTimeout, "the broker did not answer in time"));
    }
    if (now_ms >= net.next_sweep_ms) Sweep(net, now_ms);
  }

  // Once a second: idle keep-alive connections and finished lingers close;
  // requests that never arrive whole are answered 408.
  void Sweep(Net& net, Millis now_ms) {
    net.next_sweep_ms = now_ms + 1'000;
    {
      const Millis idle_limit_ms = static_cast<Millis>(config_.keep_alive_timeout_s) * 1'000;
      std::vector<uint64_t> expired;
      std::vector<uint64_t> too_slow;
      for (auto& [id, conn] : net.conns) {
        if (conn.lingering ? now_ms >= conn.linger_until
                           : !conn.busy && conn.out.empty() && conn.in.empty() &&
                                 now_ms - conn.last_active_ms >= idle_limit_ms) {
          expired.push_back(id);
        } else if (!conn.lingering && !conn.busy && conn.partial_since_ms != 0 &&
                   (now_ms - conn.partial_since_ms >= config_.request_read_timeout_ms ||
                    now_ms - conn.last_active_ms >= idle_limit_ms)) {
          too_slow.push_back(id);
        }
      }
      for (uint64_t id : expired) CloseConn(net, id);
      for (uint64_t id : too_slow) {
        AnswerAndClose(net, id, net.conns.at(id), 408,
                       "the request did not arrive whole in time (" +
                           std::to_string(config_.request_read_timeout_ms) + " ms in all, " +
                           std::to_string(config_.keep_alive_timeout_s) + " s without a byte)");
      }
    }
  }

  // A request the server itself refuses (`status`: 400, 408, 413, ...): the
  // JSON answer, then a lingering close — what the client still sends is
  // dropped until it closes or kLingerMs pass, so it reads the answer rather
  // than a reset.
  void AnswerAndClose(Net& net, uint64_t id, Conn& conn, int status, std::string message) {
    requests_.fetch_add(1);
    HttpResponse response = ErrorResponse(ErrorCodeForHttpStatus(status), std::move(message));
    response.status = status;
    conn.in.clear();
    conn.partial_since_ms = 0;
    conn.lingering = true;
    conn.linger_until = SteadyNowMs() + kLingerMs;
    conn.close_after = true;
    Write(net, id, conn, response);
  }

  // Answers the request in flight and goes on with the connection: the next
  // buffered request, or the close a finished client is owed.
  void Complete(Net& net, uint64_t id, Conn& conn, HttpResponse response) {
    Finish(net, id, conn, std::move(response));
    Pump(net, id);
    CloseIfDone(net, id);
  }

  // Answers the request in flight on `conn` (the caller then Pump()s it).
  void Finish(Net& net, uint64_t id, Conn& conn, HttpResponse response) {
    conn.busy = false;
    ++conn.served;
    if (conn.served >= config_.keep_alive_max_requests || stop_requested_.load() ||
        (conn.eof && conn.in.empty())) {
      conn.close_after = true;
    }
    Write(net, id, conn, response);
  }

  void Write(Net& net, uint64_t id, Conn& conn, const HttpResponse& response) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!response.leader_hint.empty()) headers.emplace_back("X-Gafka-Leader", response.leader_hint);
    real::AppendHttpResponse(conn.out, response.status, response.content_type, response.body,
                             headers, conn.close_after);
    conn.last_active_ms = SteadyNowMs();
    if (Flush(net, id, conn)) UpdateInterest(net, id, conn);
  }

  const HttpServerConfig config_;
  real::HttpWireLimits wire_limits_;
  Broker& broker_;
  PostFn post_;
  Logger& logger_;
  InternalHandler internal_;  // set before Run(); then read-only
  int listen_fd_ = -1;
  int bound_port_ = 0;
  std::vector<std::shared_ptr<Mailbox>> mailboxes_;  // one per network thread; fixed in Run()
  Mutex stop_mu_;
  bool running_ GAFKA_GUARDED_BY(stop_mu_) = false;
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
  GAFKA_RETURN_IF_ERROR(impl_->Bind());
  port_.store(impl_->bound_port());
  return Status::Ok();
}

Status HttpServer::Run() { return impl_->Run(); }

void HttpServer::Stop() { impl_->Stop(); }

void HttpServer::SetInternalHandler(InternalHandler handler) {
  impl_->SetInternalHandler(std::move(handler));
}

HttpServer::Stats HttpServer::stats() const { return impl_->stats(); }

}  // namespace gafka
