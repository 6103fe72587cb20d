#include "tools/bench/produce_bench.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime-real/client.h"
#include "tools/bench/bench_util.h"

namespace gafka::bench {
namespace {

struct Options {
  std::string broker = "127.0.0.1:9001";
  std::string topic = "bench-produce";
  int connections = 16;
  int size = 1024;
  int batch = 1;
  double seconds = 5;
  int acks = 1;
  bool no_create = false;  // e.g. against http-ceiling, which only serves produce
};

struct ThreadFigures {
  uint64_t requests = 0;
  uint64_t messages = 0;        // acknowledged without error
  uint64_t failed_requests = 0;
  uint64_t message_errors = 0;  // per-message errors inside 200 batch answers
  std::string first_error;
  std::vector<double> latencies_ms;
};

// The JSON body of one request: the single form for B == 1 (the SPEC §9
// shape), the batch form otherwise. Values are printable ASCII, no escaping.
std::string MakeBody(const Options& options, int thread) {
  auto value = [&](int i) {
    std::string v(static_cast<size_t>(options.size), 'a');
    for (size_t j = 0; j < v.size(); j += 64) v[j] = static_cast<char>('a' + (thread + i + j) % 26);
    return v;
  };
  auto key = [&](int i) { return "t" + std::to_string(thread) + "-" + std::to_string(i); };
  if (options.batch == 1) {
    return "{\"topic\":\"" + options.topic + "\",\"key\":\"" + key(0) + "\",\"value\":\"" +
           value(0) + "\"}";
  }
  std::string body = "{\"topic\":\"" + options.topic + "\",\"messages\":[";
  for (int i = 0; i < options.batch; ++i) {
    if (i > 0) body += ',';
    body += "{\"key\":\"" + key(i) + "\",\"value\":\"" + value(i) + "\"}";
  }
  body += "]}";
  return body;
}

size_t CountOccurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

void RunConnection(const Options& options, int thread, int64_t end_us,
                   std::atomic<bool>* start, ThreadFigures* figures) {
  Client client(options.broker);
  const std::string body = MakeBody(options, thread);
  const std::string path = "/api/v1/produce?acks=" + std::to_string(options.acks);
  figures->latencies_ms.reserve(1 << 16);
  while (!start->load(std::memory_order_acquire)) std::this_thread::yield();
  while (NowUs() < end_us) {
    const int64_t begin = NowUs();
    auto answer = client.Call("POST", path, body);
    const int64_t done = NowUs();
    ++figures->requests;
    figures->latencies_ms.push_back(static_cast<double>(done - begin) / 1000.0);
    if (!answer.ok() || answer->status != 200) {
      ++figures->failed_requests;
      if (figures->first_error.empty()) {
        figures->first_error = answer.ok() ? "HTTP " + std::to_string(answer->status) + ": " +
                                                 answer->body.substr(0, 200)
                                           : answer.status().ToString();
      }
      if (!answer.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    const size_t errors = CountOccurrences(answer->body, "\"error_code\"");
    figures->message_errors += errors;
    figures->messages += static_cast<uint64_t>(options.batch) - std::min<uint64_t>(errors, options.batch);
    if (errors > 0 && figures->first_error.empty()) figures->first_error = answer->body.substr(0, 200);
  }
}

int Run(const Options& options) {
  if (options.connections < 1 || options.batch < 1 || options.size < 0 || options.seconds <= 0) {
    std::fprintf(stderr, "produce: bad options\n");
    return 2;
  }
  if (!options.no_create) {
    Client admin(options.broker);
    Status created = EnsureTopic(admin, options.topic, 2);
    if (!created.ok()) {
      std::fprintf(stderr, "produce: %s\n", created.ToString().c_str());
      return 1;
    }
  }
  std::vector<ThreadFigures> figures(static_cast<size_t>(options.connections));
  std::vector<std::thread> threads;
  std::atomic<bool> start{false};
  // Connect and build bodies first; the clock starts once every thread is ready.
  const int64_t setup_us = NowUs();
  const int64_t end_us = setup_us + 200'000 + static_cast<int64_t>(options.seconds * 1e6);
  for (int i = 0; i < options.connections; ++i) {
    threads.emplace_back(RunConnection, std::cref(options), i, end_us, &start,
                         &figures[static_cast<size_t>(i)]);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int64_t start_us = NowUs();
  start.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  const double elapsed = static_cast<double>(NowUs() - start_us) / 1e6;

  ThreadFigures total;
  for (auto& f : figures) {
    total.requests += f.requests;
    total.messages += f.messages;
    total.failed_requests += f.failed_requests;
    total.message_errors += f.message_errors;
    if (total.first_error.empty()) total.first_error = f.first_error;
    total.latencies_ms.insert(total.latencies_ms.end(), f.latencies_ms.begin(), f.latencies_ms.end());
  }
  const double msgs_s = static_cast<double>(total.messages) / elapsed;
  const double reqs_s = static_cast<double>(total.requests) / elapsed;
  const double mb_s = msgs_s * options.size / 1e6;
  std::vector<double>& lat = total.latencies_ms;
  const double p50 = Percentile(lat, 50), p95 = Percentile(lat, 95), p99 = Percentile(lat, 99),
               pmax = Percentile(lat, 100);
  const uint64_t errors = total.failed_requests + total.message_errors;

  std::printf("produce: %s topic %s, %d connections, batch %d x %d B, acks=%d, %.2f s\n",
              options.broker.c_str(), options.topic.c_str(), options.connections, options.batch,
              options.size, options.acks, elapsed);
  std::printf("  %.0f msgs/s  %.0f requests/s  %.1f MB/s\n", msgs_s, reqs_s, mb_s);
  std::printf("  latency per request ms: p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", p50, p95, p99,
              pmax);
  std::printf("  errors: %llu (failed requests %llu, message errors %llu)%s%s\n",
              static_cast<unsigned long long>(errors),
              static_cast<unsigned long long>(total.failed_requests),
              static_cast<unsigned long long>(total.message_errors),
              total.first_error.empty() ? "" : "  first: ", total.first_error.c_str());
  PrintJsonLine({{"bench", "produce"},
                 {"connections", options.connections},
                 {"batch", options.batch},
                 {"size", options.size},
                 {"acks", options.acks},
                 {"seconds", Round(elapsed, 3)},
                 {"messages", total.messages},
                 {"requests", total.requests},
                 {"msgs_per_s", Round(msgs_s, 1)},
                 {"requests_per_s", Round(reqs_s, 1)},
                 {"mb_per_s", Round(mb_s, 2)},
                 {"p50_ms", Round(p50, 3)},
                 {"p95_ms", Round(p95, 3)},
                 {"p99_ms", Round(p99, 3)},
                 {"max_ms", Round(pmax, 3)},
                 {"errors", errors}});
  return errors == 0 ? 0 : 1;
}

}  // namespace

Status EnsureTopic(Client& client, const std::string& topic, int partitions) {
  auto described = client.DescribeTopic(topic);
  if (described.ok()) return Status();
  CreateTopicRequest request;
  request.name = topic;
  request.partitions = partitions;
  auto created = client.CreateTopic(request);
  if (created.ok() || created.status().code() == Code::kConflict ||
      created.status().code() == Code::kAlreadyExists) {
    return Status();
  }
  return created.status();
}

void RegisterProduce(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("produce", "HTTP produce throughput and latency against a broker");
  sub->add_option("--broker", options->broker, "host:port")->capture_default_str();
  sub->add_option("--topic", options->topic, "created with 2 partitions if missing")
      ->capture_default_str();
  sub->add_option("--connections", options->connections, "client threads, one connection each")
      ->capture_default_str();
  sub->add_option("--size", options->size, "bytes per message value")->capture_default_str();
  sub->add_option("--batch", options->batch, "messages per request")->capture_default_str();
  sub->add_option("--seconds", options->seconds, "duration")->capture_default_str();
  sub->add_option("--acks", options->acks, "0, 1 or -1")->capture_default_str();
  sub->add_flag("--no-create", options->no_create,
                "do not create the topic (http-ceiling serves only produce)");
  sub->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace gafka::bench
