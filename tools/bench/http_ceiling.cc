#include "tools/bench/http_ceiling.h"

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "core/protocol/codec.h"
#include "runtime-real/malloc_tuning.h"
#include "tools/bench/bench_util.h"

namespace gafka::bench {
namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 9101;
  size_t threads = 64;  // cpp-httplib workers (the broker's old default)
  int backlog = 1024;   // HttpServerConfig::listen_backlog
  double seconds = 0;   // 0: until SIGINT/SIGTERM
};

// As the broker's BrokerHttpServer: reach the protected listening socket to
// listen again with a real backlog (Debian's compiled httplib uses 5).
class CeilingServer final : public httplib::Server {
 public:
  bool RaiseBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

void Answer(const HttpResponse& response, httplib::Response& out) {
  out.status = response.status;
  out.set_content(response.body, response.content_type);
}

int Run(const Options& options) {
  real::TuneMallocForServer();  // as gafka-broker does
  // Block the stop signals in every thread; one watcher takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const ApiLimits limits;
  std::atomic<uint64_t> requests{0}, messages{0}, rejected{0};
  std::atomic<int64_t> next_offset{0};

  CeilingServer server;
  const size_t threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_tcp_nodelay(true);
  server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_payload_max_length(limits.max_request_bytes + (1u << 20));
  server.set_keep_alive_timeout(5);
  server.set_keep_alive_max_count(100'000);
  server.set_idle_interval(0, 100'000);

  server.Post("/api/v1/produce", [&](const httplib::Request& raw, httplib::Response& out) {
    requests.fetch_add(1, std::memory_order_relaxed);
    HttpRequest request;  // the broker's ToHttpRequest
    request.method = raw.method;
    request.path = raw.path;
    for (const auto& [name, value] : raw.params) request.query.emplace(name, value);
    request.body = raw.body;
    auto decoded = DecodeRequest(request, limits);
    if (auto* error = std::get_if<ApiError>(&decoded)) {
      rejected.fetch_add(1, std::memory_order_relaxed);
      Answer(EncodeResponse(ApiResponse(*error)), out);
      return;
    }
    auto* produce = std::get_if<ProduceRequest>(&std::get<ApiRequest>(decoded));
    if (produce == nullptr) {
      rejected.fetch_add(1, std::memory_order_relaxed);
      out.status = 404;
      return;
    }
    const int64_t count = static_cast<int64_t>(produce->messages.size());
    messages.fetch_add(static_cast<uint64_t>(count), std::memory_order_relaxed);
    int64_t offset = next_offset.fetch_add(count, std::memory_order_relaxed);
    const Millis now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    ProduceResponse response;
    response.topic = produce->topic;
    response.batch_form = produce->batch_form;
    response.results.reserve(produce->messages.size());
    for (int64_t i = 0; i < count; ++i) {
      ProduceResult result;
      result.partition = PartitionId(static_cast<int32_t>((offset + i) % 2));
      result.offset = Offset(offset + i);
      result.timestamp_ms = now_ms;
      response.results.push_back(std::move(result));
    }
    Answer(EncodeResponse(ApiResponse(std::move(response))), out);
  });

  if (!server.bind_to_port(options.host, options.port)) {
    std::fprintf(stderr, "http-ceiling: cannot bind %s:%d\n", options.host.c_str(), options.port);
    return 1;
  }
  if (!server.RaiseBacklog(options.backlog)) {
    std::fprintf(stderr, "http-ceiling: listen(backlog %d) failed\n", options.backlog);
    return 1;
  }
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    const int64_t deadline_us =
        options.seconds > 0 ? NowUs() + static_cast<int64_t>(options.seconds * 1e6) : 0;
    while (true) {
      timespec tick{0, 100'000'000};
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig > 0 || (deadline_us != 0 && NowUs() >= deadline_us)) break;
    }
    // stop() is a no-op until the accept loop runs: repeat until it returned.
    while (!finished.load()) {
      server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::printf("http-ceiling: listening on %s:%d, %zu threads, backlog %d\n", options.host.c_str(),
              options.port, options.threads, options.backlog);
  std::fflush(stdout);
  const int64_t start_us = NowUs();
  server.listen_after_bind();
  finished.store(true);
  watcher.join();
  const double elapsed = static_cast<double>(NowUs() - start_us) / 1e6;
  std::printf("http-ceiling: answered %llu requests (%llu messages, %llu rejected) in %.1f s\n",
              static_cast<unsigned long long>(requests.load()),
              static_cast<unsigned long long>(messages.load()),
              static_cast<unsigned long long>(rejected.load()), elapsed);
  PrintJsonLine({{"bench", "http-ceiling"},
                 {"port", options.port},
                 {"threads", options.threads},
                 {"seconds", Round(elapsed, 3)},
                 {"requests", requests.load()},
                 {"messages", messages.load()},
                 {"rejected", rejected.load()}});
  return 0;
}

}  // namespace

void RegisterHttpCeiling(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "http-ceiling", "bare cpp-httplib server that decodes produce requests and stores nothing");
  sub->add_option("--host", options->host, "address to listen on")->capture_default_str();
  sub->add_option("--port", options->port, "port")->capture_default_str();
  sub->add_option("--threads", options->threads, "worker threads")
      ->capture_default_str();
  sub->add_option("--backlog", options->backlog, "listen backlog")->capture_default_str();
  sub->add_option("--seconds", options->seconds, "stop after this long (0: on SIGINT/SIGTERM)")
      ->capture_default_str();
  sub->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace gafka::bench
