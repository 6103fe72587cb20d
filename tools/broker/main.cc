// gafka-broker: one broker process. Recovers every partition under
// --data-dir, serves the HTTP/JSON API on --host:--port, and stops cleanly on
// SIGTERM/SIGINT (stop accepting, complete parked polls, finish pending syncs,
// exit 0). `gafka-broker` alone serves ./data on 127.0.0.1:9001.
//
// With --role=follower --leader=host:port it replicates that leader
// (docs/replication.md); every broker serves /internal/v1/replica and
// /internal/v1/promote for that.
//
// Threads: main (setup, then the HTTP accept loop), the event loop that owns
// the Broker, httplib workers, I/O threads of the disk, one sender thread per
// replication peer (HttpTransport), and a signal watcher.
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/broker/broker.h"
#include "core/protocol/errors.h"
#include "runtime-real/http_server.h"
#include "runtime-real/http_transport.h"
#include "runtime-real/malloc_tuning.h"
#include "runtime-real/real_env.h"

namespace gafka {
namespace {

struct BrokerFlags {
  int id = 1;
  int port = 9001;
  std::string host = "127.0.0.1";
  std::string data_dir = "./data";
  std::string role = "leader";
  std::string leader;
  std::string config_file;
  std::string log_level = "info";
  std::string log_file;
  size_t http_threads = 2;
  size_t io_threads = 4;
  bool flat_combining = true;
  size_t max_pending_requests = 4096;
  Millis answer_deadline_ms = 15'000;
  Millis poll_margin_ms = 15'000;
  Millis request_read_timeout_ms = 30'000;
  int64_t max_message_bytes = 1 << 20;
  Millis group_session_timeout_ms = 10'000;
  Millis group_heartbeat_interval_ms = 3'000;
  std::string group_assignor = "round-robin";
  int min_insync_replicas = 1;
  Millis replica_lag_time_max_ms = 10'000;
  std::string advertised_address;
};

// --config FILE holds the same keys as the flags (JSON object; "data_dir" and
// "data-dir" both work). It becomes "--key=value" arguments placed before the
// real ones, so a flag on the command line wins (TakeLast).
Result<std::vector<std::string>> ConfigFileArgs(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return InvalidArgument("config file " + path + " is not a JSON object");
  }
  std::vector<std::string> args;
  for (auto it = json.begin(); it != json.end(); ++it) {
    std::string key = it.key();
    for (char& c : key) c = c == '_' ? '-' : c;
    if (key == "config") continue;
    std::string value;
    if (it->is_string()) {
      value = it->get<std::string>();
    } else if (it->is_number() || it->is_boolean()) {
      value = it->dump();
    } else {
      return InvalidArgument("config file " + path + ": \"" + it.key() +
                             "\" must be a string, number or boolean");
    }
    args.push_back("--" + key + "=" + value);
  }
  return args;
}

std::string FindConfigFlag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--config=", 0) == 0) return arg.substr(9);
    if (arg == "--config" && i + 1 < argc) return argv[i + 1];
  }
  return "";
}

void AddFlags(CLI::App& app, BrokerFlags& f) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--id", f.id, "broker id")->capture_default_str();
  app.add_option("--port", f.port, "HTTP port (0: any free port)")->capture_default_str();
  app.add_option("--host", f.host, "address to listen on")->capture_default_str();
  app.add_option("--data-dir", f.data_dir, "directory of the logs")->capture_default_str();
  app.add_option("--role", f.role, "leader or follower")
      ->check(CLI::IsMember({"leader", "follower"}))
      ->capture_default_str();
  app.add_option("--leader", f.leader, "host:port of the leader (followers)");
  app.add_option("--min-insync-replicas", f.min_insync_replicas,
                 "acks=all is refused (503) with fewer in-sync replicas than this")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--replica-lag-time-max-ms", f.replica_lag_time_max_ms,
                 "a follower not caught up for this long leaves the in-sync set")
      ->check(CLI::Range(Millis{10}, Millis{3'600'000}))
      ->capture_default_str();
  app.add_option("--advertised-address", f.advertised_address,
                 "host:port clients reach this broker at (default: host:port)");
  app.add_option("--config", f.config_file, "JSON file with the same keys as these flags");
  app.add_option("--log-level", f.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--log-file", f.log_file, "also append logs to this file");
  app.add_option("--http-threads", f.http_threads,
                 "HTTP network threads (epoll; a long poll holds none)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--io-threads", f.io_threads,
                 "threads running fdatasync (partitions sync in parallel)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--flat-combining", f.flat_combining,
                 "threads that hand work to the idle event loop run it themselves "
                 "instead of waking it (docs/architecture.md)")
      ->capture_default_str();
  app.add_option("--max-pending-requests", f.max_pending_requests,
                 "requests waiting for the broker before new ones get 503")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--answer-deadline-ms", f.answer_deadline_ms,
                 "a request the broker has not answered by then gets 504")
      ->check(CLI::Range(Millis{1}, Millis{3'600'000}))
      ->capture_default_str();
  app.add_option("--poll-margin-ms", f.poll_margin_ms,
                 "a long poll gets 504 after its timeout plus this (tests: may be < 0)")
      ->capture_default_str();
  app.add_option("--request-read-timeout-ms", f.request_read_timeout_ms,
                 "a request whose bytes have not all arrived by then gets 408 and is closed")
      ->check(CLI::Range(Millis{1}, Millis{3'600'000}))
      ->capture_default_str();
  app.add_option("--max-message-bytes", f.max_message_bytes, "largest value accepted")
      ->check(CLI::Range(int64_t{1}, int64_t{64} << 20))
      ->capture_default_str();
  app.add_option("--group-session-timeout-ms", f.group_session_timeout_ms,
                 "consumer-group session of members that do not ask for one")
      ->check(CLI::Range(int64_t{1'000}, int64_t{300'000}))
      ->capture_default_str();
  app.add_option("--group-heartbeat-interval-ms", f.group_heartbeat_interval_ms,
                 "heartbeat interval advised to group members")
      ->check(CLI::Range(int64_t{100}, int64_t{100'000}))
      ->capture_default_str();
  app.add_option("--group-assignor", f.group_assignor, "round-robin, range or sticky")
      ->check(CLI::IsMember({"round-robin", "range", "sticky"}))
      ->capture_default_str();
}

LogLevel ParseLogLevel(const std::string& level) {
  if (level == "debug") return LogLevel::kDebug;
  if (level == "warn") return LogLevel::kWarn;
  if (level == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

BrokerConfig MakeBrokerConfig(const BrokerFlags& flags) {
  BrokerConfig config;
  config.id = NodeId(flags.id);
  config.role = flags.role;
  config.data_dir = "";  // the Disk is rooted at --data-dir
  config.limits.max_message_bytes = flags.max_message_bytes;
  config.default_topic_config.max_message_bytes = flags.max_message_bytes;
  config.groups.session_timeout_ms = flags.group_session_timeout_ms;
  config.groups.heartbeat_interval_ms = flags.group_heartbeat_interval_ms;
  config.groups.assignor = ParseAssignor(flags.group_assignor).value_or(AssignorKind::kRoundRobin);
  config.replication.follower = flags.role == "follower";
  config.replication.leader_address = flags.leader;
  config.replication.min_insync_replicas = flags.min_insync_replicas;
  config.replication.replica_lag_time_max_ms = flags.replica_lag_time_max_ms;
  config.replication.fetch_timeout_ms = 2'000;
  config.replication.advertised_address =
      !flags.advertised_address.empty()
          ? flags.advertised_address
          : (flags.port != 0 ? flags.host + ":" + std::to_string(flags.port) : "");
  return config;
}

HttpServerConfig MakeHttpConfig(const BrokerFlags& flags, const ApiLimits& limits) {
  HttpServerConfig http;
  http.host = flags.host;
  http.port = flags.port;
  http.threads = flags.http_threads;
  http.max_pending_requests = flags.max_pending_requests;
  http.answer_deadline_ms = flags.answer_deadline_ms;
  http.poll_margin_ms = flags.poll_margin_ms;
  http.request_read_timeout_ms = flags.request_read_timeout_ms;
  http.limits = limits;
  return http;
}

// The running broker process: env + loop thread, the Broker (touched only on
// the loop), the HTTP server, and the signal watcher thread.
class BrokerService {
 public:
  explicit BrokerService(BrokerFlags flags) : flags_(std::move(flags)) {}

  // Serves until SIGTERM/SIGINT; the process exit code.
  int Run() {
    if (Status started = Start(); !started.ok()) {
      if (env_ != nullptr) {
        env_->logger().Log(LogLevel::kError, started.ToString());
      } else {
        std::fprintf(stderr, "gafka-broker: %s\n", started.ToString().c_str());
      }
      Finish();
      return 1;
    }
    std::printf("gafka-broker %d listening on %s:%d, data in %s\n", flags_.id, flags_.host.c_str(),
                server_->port(), flags_.data_dir.c_str());
    std::fflush(stdout);
    std::thread watcher([this] { WatchSignals(); });
    Status served = server_->Run();  // returns once stopped and every worker is done
    if (!served.ok()) env_->logger().Log(LogLevel::kError, served.ToString());
    Finish();
    pthread_kill(watcher.native_handle(), SIGUSR1);
    watcher.join();
    env_->logger().Log(
        LogLevel::kInfo,
        "broker stopped: " + std::to_string(server_->stats().requests) + " requests served");
    return served.ok() ? 0 : 1;
  }

 private:
  Status Start() {
    real::RealEnvOptions options;
    options.data_dir = flags_.data_dir;
    options.io_threads = flags_.io_threads;
    options.log.name = "broker-" + std::to_string(flags_.id);
    options.log.min_level = ParseLogLevel(flags_.log_level);
    options.log.file_path = flags_.log_file;
    GAFKA_ASSIGN_OR_RETURN(env_, real::RealEnv::Create(options));
    if (flags_.role == "follower" && flags_.leader.empty()) {
      return InvalidArgument("--role follower needs --leader host:port");
    }
    transport_ = std::make_unique<real::HttpTransport>(env_->loop(), env_->logger());
    env_->loop().set_flat_combining(flags_.flat_combining);
    env_->loop().RunInThread();
    BrokerConfig config = MakeBrokerConfig(flags_);
    real::HttpTransport* transport = transport_.get();
    if (config.replication.follower)
      config.replication.leader_peer = transport->AddPeer(flags_.leader);
    config.replication.resolve_peer = [transport](const std::string& address) {
      return std::optional<NodeId>(transport->AddPeer(address));
    };
    // Open on the loop thread: the core is touched only from there.
    std::promise<Result<std::unique_ptr<Broker>>> opened;
    env_->loop().PostUnbounded(
        [&] { opened.set_value(Broker::Open(env_->env(), config, transport)); });
    Result<std::unique_ptr<Broker>> broker = opened.get_future().get();
    if (!broker.ok()) {
      return Status(broker.status().code(), "cannot open the broker in " + flags_.data_dir + ": " +
                                                broker.status().message());
    }
    broker_ = std::move(broker).value();
    real::EventLoop& loop = env_->loop();
    server_ = std::make_unique<HttpServer>(
        MakeHttpConfig(flags_, config.limits), *broker_,
        // Combining: an idle loop's queue runs on the network thread that
        // posted (one thread switch fewer per pass; measured faster).
        [&loop](Task task) { return loop.PostCombining(std::move(task)); }, env_->logger());
    server_->SetInternalHandler([this](HttpRequest request, HttpServer::Respond respond) {
      Internal(std::move(request), std::move(respond));
    });
    return server_->Bind();
  }

  // /internal/v1/replica: replication messages; /internal/v1/promote: make
  // this follower the leader (gafka-admin promote). On an HTTP network
  // thread: must not block; `respond` may be called from the loop.
  void Internal(HttpRequest request, HttpServer::Respond respond) {
    if (request.method == "POST" && request.path == "/internal/v1/replica") {
      transport_->HandleInbound(std::move(request.body), [respond](Bytes reply) {
        HttpResponse response;
        response.body = std::move(reply);
        response.content_type = "application/octet-stream";
        respond(std::move(response));
      });
      return;
    }
    if (request.method == "POST" && request.path == "/internal/v1/promote") {
      std::string address;
      bool force = false;
      auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_discarded() && body.is_object() && body.contains("advertised_address") &&
          body["advertised_address"].is_string()) {
        address = body["advertised_address"].get<std::string>();
      }
      if (!body.is_discarded() && body.is_object() && body.contains("force") &&
          body["force"].is_boolean()) {
        force = body["force"].get<bool>();
      }
      const bool posted = env_->loop().Post([this, respond, address, force] {
        Result<Epoch> epoch = broker_->Promote(address, force);
        if (!epoch.ok()) {
          respond(EncodeResponse(ApiResponse(ErrorFromStatus(epoch.status()))));
          return;
        }
        HttpResponse response;
        response.body = "{\"role\":\"leader\",\"epoch\":" + std::to_string(epoch->value()) + "}";
        respond(std::move(response));
      });
      if (!posted)
        respond(EncodeResponse(ApiResponse(MakeApiError(api_errors::kUnavailable, "busy"))));
      return;
    }
    respond(EncodeResponse(ApiResponse(
        MakeApiError(api_errors::kNotFound, "unknown internal route " + request.path))));
  }

  // Idempotent; from the watcher or from main.
  void BeginShutdown() {
    if (shutdown_started_.exchange(true)) return;
    if (server_ != nullptr) server_->Stop();
    env_->loop().PostUnbounded([this] { broker_->Shutdown([this] { shut_down_.set_value(); }); });
  }

  // Drains the broker, stops the loop and destroys the core (no loop runs
  // then, so the owning thread may).
  void Finish() {
    if (broker_ != nullptr) {
      BeginShutdown();
      shut_down_.get_future().wait();
    }
    if (env_ != nullptr) env_->loop().Join();
    broker_.reset();
    transport_.reset();  // after the core: joins the sender threads
  }

  // Signals are blocked in every thread (see main); this thread takes them.
  void WatchSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);  // main is done: quit quietly
    for (int received = 0;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0 || sig == SIGUSR1) return;
      if (++received > 1) {
        env_->logger().Log(LogLevel::kWarn, "second signal: exiting without draining");
        std::_Exit(1);
      }
      env_->logger().Log(LogLevel::kInfo, std::string("received ") +
                                              (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                                              ": stopping (draining in-flight requests)");
      BeginShutdown();
    }
  }

  const BrokerFlags flags_;
  std::unique_ptr<real::RealEnv> env_;
  std::unique_ptr<real::HttpTransport> transport_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<bool> shutdown_started_{false};
  std::promise<void> shut_down_;
};

}  // namespace
}  // namespace gafka

int main(int argc, char** argv) {
  gafka::real::TuneMallocForServer();
  // Before any thread exists: every thread inherits the mask, and the
  // watcher thread receives the signals with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  gafka::BrokerFlags flags;
  CLI::App app{"gafka-broker: a Kafka-style message broker over HTTP/JSON"};
  gafka::AddFlags(app, flags);
  std::vector<std::string> args;
  if (std::string config = gafka::FindConfigFlag(argc, argv); !config.empty()) {
    auto from_file = gafka::ConfigFileArgs(config);
    if (!from_file.ok()) {
      std::fprintf(stderr, "gafka-broker: %s\n", from_file.status().message().c_str());
      return 2;
    }
    args = std::move(from_file).value();
  }
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  std::reverse(args.begin(), args.end());  // CLI11 parses a vector back to front
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return gafka::BrokerService(flags).Run();
}
