#include "tools/bench/e2e_bench.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime-real/client.h"
#include "tools/bench/bench_util.h"
#include "tools/bench/produce_bench.h"

namespace gafka::bench {
namespace {

constexpr int kPartitions = 2;

struct Options {
  std::string broker = "127.0.0.1:9001";
  std::string topic = "bench-e2e";
  double rate = 5000;
  double seconds = 5;
  int size = 1024;
  int producers = 4;
  int max_batch = 20;
  int acks = 1;
};

int64_t WallUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct ProducerFigures {
  uint64_t acked[kPartitions] = {0, 0};
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::string first_error;
  std::vector<double> lateness_ms;  // actual send - scheduled send, per message
};

struct ConsumerFigures {
  uint64_t received = 0;
  uint64_t errors = 0;
  std::string first_error;
  std::vector<double> latencies_ms;
};

std::string MessageJson(int64_t send_us, int partition, int size) {
  std::string value = std::to_string(send_us) + "|";
  if (static_cast<int>(value.size()) < size) value.append(static_cast<size_t>(size) - value.size(), 'x');
  return "{\"partition\":" + std::to_string(partition) + ",\"value\":\"" + value + "\"}";
}

void RunProducer(const Options& options, int index, int64_t start_us, int64_t end_us,
                 ProducerFigures* figures) {
  Client client(options.broker);
  const double interval_us = options.producers * 1e6 / options.rate;
  // Threads are offset by a fraction of the interval so the total is smooth.
  const double offset_us = interval_us * index / options.producers;
  const std::string path = "/api/v1/produce?acks=" + std::to_string(options.acks);
  uint64_t next = 0;  // sequence number of the next message of this thread
  auto scheduled = [&](uint64_t n) {
    return start_us + static_cast<int64_t>(offset_us + interval_us * static_cast<double>(n));
  };
  while (true) {
    int64_t now = NowUs();
    const int64_t due_at = scheduled(next);
    if (due_at >= end_us) break;
    if (due_at > now) {
      std::this_thread::sleep_for(std::chrono::microseconds(due_at - now));
      now = NowUs();
    }
    std::vector<int> partitions;
    std::string body = "{\"topic\":\"" + options.topic + "\",\"messages\":[";
    const int64_t send_us = WallUs();
    while (static_cast<int>(partitions.size()) < options.max_batch && scheduled(next) <= now &&
           scheduled(next) < end_us) {
      const int partition = static_cast<int>((next * options.producers + index) % kPartitions);
      if (!partitions.empty()) body += ',';
      body += MessageJson(send_us, partition, options.size);
      partitions.push_back(partition);
      figures->lateness_ms.push_back(static_cast<double>(now - scheduled(next)) / 1000.0);
      ++next;
    }
    body += "]}";
    if (partitions.empty()) continue;
    auto answer = client.Call("POST", path, body);
    ++figures->requests;
    if (!answer.ok() || answer->status != 200 ||
        answer->body.find("\"error_code\"") != std::string::npos) {
      ++figures->errors;
      if (figures->first_error.empty()) {
        figures->first_error = answer.ok() ? answer->body.substr(0, 200) : answer.status().ToString();
      }
      continue;  // counted as not acknowledged (a partial batch counts as lost)
    }
    for (int p : partitions) ++figures->acked[p];
  }
}

void RunConsumer(const Options& options, int partition, Offset from,
                 const std::atomic<bool>* producers_done, const std::atomic<uint64_t>* expected,
                 int64_t give_up_us, ConsumerFigures* figures) {
  Client client(options.broker);
  Offset offset = from;
  figures->latencies_ms.reserve(static_cast<size_t>(options.rate * options.seconds));
  while (NowUs() < give_up_us) {
    if (producers_done->load() && figures->received >= expected->load()) break;
    FetchRequest request;
    request.topic = options.topic;
    request.partition = PartitionId(partition);
    request.offset_spec = OffsetSpec::kExplicit;
    request.offset = offset;
    request.max_count = 10000;
    request.max_bytes = 64 << 20;
    request.timeout_ms = 500;
    auto fetched = client.Fetch(request);
    const int64_t received_us = WallUs();
    if (!fetched.ok()) {
      ++figures->errors;
      if (figures->first_error.empty()) figures->first_error = fetched.status().ToString();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    for (const ConsumedRecord& consumed : fetched->records) {
      const std::string& value = consumed.record.value;
      const int64_t sent_us = std::strtoll(value.c_str(), nullptr, 10);
      figures->latencies_ms.push_back(static_cast<double>(received_us - sent_us) / 1000.0);
      ++figures->received;
    }
    offset = fetched->next_offset;
  }
}

int Run(const Options& options) {
  if (options.rate <= 0 || options.seconds <= 0 || options.producers < 1 ||
      options.max_batch < 1 || options.size < 24) {
    std::fprintf(stderr, "e2e: bad options (size must be >= 24)\n");
    return 2;
  }
  Offset start_offsets[kPartitions];
  {
    Client admin(options.broker);
    Status created = EnsureTopic(admin, options.topic, kPartitions);
    if (!created.ok()) {
      std::fprintf(stderr, "e2e: %s\n", created.ToString().c_str());
      return 1;
    }
    for (int p = 0; p < kPartitions; ++p) {
      auto info = admin.PartitionOffsets(options.topic, PartitionId(p));
      if (!info.ok()) {
        std::fprintf(stderr, "e2e: partition %d: %s\n", p, info.status().ToString().c_str());
        return 1;
      }
      start_offsets[p] = info->log_end_offset;
    }
  }
  std::vector<ProducerFigures> producer_figures(static_cast<size_t>(options.producers));
  ConsumerFigures consumer_figures[kPartitions];
  std::atomic<bool> producers_done{false};
  std::atomic<uint64_t> expected[kPartitions];
  for (auto& e : expected) e.store(0);

  const int64_t start_us = NowUs() + 300'000;  // consumers are polling by then
  const int64_t end_us = start_us + static_cast<int64_t>(options.seconds * 1e6);
  const int64_t give_up_us = end_us + 10'000'000;
  std::vector<std::thread> consumers;
  for (int p = 0; p < kPartitions; ++p) {
    consumers.emplace_back(RunConsumer, std::cref(options), p, start_offsets[p], &producers_done,
                           &expected[p], give_up_us, &consumer_figures[p]);
  }
  std::vector<std::thread> producers;
  for (int i = 0; i < options.producers; ++i) {
    producers.emplace_back(RunProducer, std::cref(options), i, start_us, end_us,
                           &producer_figures[static_cast<size_t>(i)]);
  }
  for (auto& t : producers) t.join();
  ProducerFigures sent;
  for (auto& f : producer_figures) {
    for (int p = 0; p < kPartitions; ++p) sent.acked[p] += f.acked[p];
    sent.requests += f.requests;
    sent.errors += f.errors;
    if (sent.first_error.empty()) sent.first_error = f.first_error;
    sent.lateness_ms.insert(sent.lateness_ms.end(), f.lateness_ms.begin(), f.lateness_ms.end());
  }
  for (int p = 0; p < kPartitions; ++p) expected[p].store(sent.acked[p]);
  producers_done.store(true);
  for (auto& t : consumers) t.join();

  std::vector<double> lat;
  uint64_t received = 0, consumer_errors = 0;
  std::string consumer_error;
  for (auto& c : consumer_figures) {
    received += c.received;
    consumer_errors += c.errors;
    if (consumer_error.empty()) consumer_error = c.first_error;
    lat.insert(lat.end(), c.latencies_ms.begin(), c.latencies_ms.end());
  }
  const uint64_t acked = sent.acked[0] + sent.acked[1];
  const uint64_t attempted = sent.lateness_ms.size();
  double sum = 0;
  for (double v : lat) sum += v;
  const double mean = lat.empty() ? 0 : sum / static_cast<double>(lat.size());
  const double p50 = Percentile(lat, 50), p95 = Percentile(lat, 95), p99 = Percentile(lat, 99),
               pmax = Percentile(lat, 100);
  const double late_p99 = Percentile(sent.lateness_ms, 99);
  const double late_max = Percentile(sent.lateness_ms, 100);
  const uint64_t lost = acked > received ? acked - received : 0;
  const double achieved = static_cast<double>(acked) / options.seconds;

  std::printf("e2e: %s topic %s, %.0f msgs/s target (%.0f acked/s), %d producers, %d B, %.1f s\n",
              options.broker.c_str(), options.topic.c_str(), options.rate, achieved,
              options.producers, options.size, options.seconds);
  std::printf("  sent %llu, acked %llu in %llu requests, received %llu, lost %llu\n",
              static_cast<unsigned long long>(attempted), static_cast<unsigned long long>(acked),
              static_cast<unsigned long long>(sent.requests),
              static_cast<unsigned long long>(received), static_cast<unsigned long long>(lost));
  std::printf("  producer->consumer ms: mean %.3f  p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", mean,
              p50, p95, p99, pmax);
  std::printf("  producer lateness vs schedule ms: p99 %.3f  max %.3f\n", late_p99, late_max);
  if (sent.errors + consumer_errors > 0) {
    std::printf("  errors: produce %llu (%s), fetch %llu (%s)\n",
                static_cast<unsigned long long>(sent.errors), sent.first_error.c_str(),
                static_cast<unsigned long long>(consumer_errors), consumer_error.c_str());
  }
  PrintJsonLine({{"bench", "e2e"},
                 {"rate", options.rate},
                 {"acked_per_s", Round(achieved, 1)},
                 {"size", options.size},
                 {"seconds", options.seconds},
                 {"sent", attempted},
                 {"acked", acked},
                 {"received", received},
                 {"lost", lost},
                 {"mean_ms", Round(mean, 3)},
                 {"p50_ms", Round(p50, 3)},
                 {"p95_ms", Round(p95, 3)},
                 {"p99_ms", Round(p99, 3)},
                 {"max_ms", Round(pmax, 3)},
                 {"producer_late_p99_ms", Round(late_p99, 3)},
                 {"errors", sent.errors + consumer_errors}});
  return (lost == 0 && sent.errors + consumer_errors == 0) ? 0 : 1;
}

}  // namespace

void RegisterE2e(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("e2e", "producer->consumer latency at a fixed rate");
  sub->add_option("--broker", options->broker, "host:port")->capture_default_str();
  sub->add_option("--topic", options->topic, "created with 2 partitions if missing")
      ->capture_default_str();
  sub->add_option("--rate", options->rate, "messages per second, all producers")
      ->capture_default_str();
  sub->add_option("--seconds", options->seconds, "duration of producing")->capture_default_str();
  sub->add_option("--size", options->size, "bytes per message value (>= 24)")
      ->capture_default_str();
  sub->add_option("--producers", options->producers, "producer threads")->capture_default_str();
  sub->add_option("--max-batch", options->max_batch, "most messages per request when behind")
      ->capture_default_str();
  sub->add_option("--acks", options->acks, "0, 1 or -1")->capture_default_str();
  sub->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace gafka::bench
