// gafka-consumer: prints the records of a topic.
//
//   gafka-consumer --topic=t [--partition=P] [--offset=N|earliest|latest | --from-beginning]
//                  [--max-messages=N] [--exit-at-end] [--timeout=30s]
//                  [--format=value|key-value|json]
//
// Direct mode reads (topic, partition, offset) with long polls; without
// --partition every partition of the topic is read (one poller each; order
// holds within a partition). It stops after --max-messages records, or with
// --exit-at-end once it has caught up with the high watermark, or with
// --timeout once no record arrived for that long (each poll waits at most
// that long, and at most 30 s); otherwise it follows the topic forever.
// --format json prints one JSON object per line: topic, partition, offset,
// timestamp, key, value, headers (binary data as base64 with "encoding").
//
// Group mode (--group=G [--consumer-id=C] [--session-timeout-ms=N]): joins
// group G (consumer id default "<host>-<pid>"), heartbeats in the
// background, reads the partitions the group assigns it with group polls,
// prints, then commits what it printed (at-least-once: a crash between
// printing and committing prints those records again, possibly in another
// member). --from-beginning / --offset=earliest|latest choose where a group
// without a committed offset starts (auto_offset_reset; default latest).
// --partition and a numeric --offset are direct-mode only. Leaves the group
// on SIGINT/SIGTERM (or at a stop condition), so its partitions move to the
// other members at once. Rebalances are reported on stderr.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/protocol/fetch_encoder.h"
#include "core/protocol/json_writer.h"
#include "runtime-real/client.h"

namespace gafka {
namespace {

constexpr Millis kMaxPollMs = 30'000;

struct ConsumerFlags {
  std::string topic;
  std::string broker = "localhost:9001";
  std::optional<int32_t> partition;
  std::string offset = "latest";
  bool from_beginning = false;
  uint64_t max_messages = 0;  // 0: no limit
  bool exit_at_end = false;
  std::string timeout;  // empty: follow forever
  std::string format = "value";
  std::string separator = "\t";
  int32_t count = 500;
  std::string group;
  std::string consumer_id;
  Millis session_timeout_ms = 0;  // 0: the broker's default
};

// "500ms", "30s", "2m", or plain milliseconds.
std::optional<Millis> ParseDuration(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  const Millis n = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit.empty() || unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "m") return n * 60'000;
  return std::nullopt;
}

class Printer {
 public:
  Printer(const ConsumerFlags& f) : format_(f.format), separator_(f.separator) {}

  // Prints one record; thread-safe (one line at a time).
  void Print(const ConsumedRecord& consumed) {
    std::string line;
    if (format_ == "json") {
      JsonWriter writer(&line);
      WriteRecord(writer, consumed.topic, consumed.partition, consumed.record);
    } else if (format_ == "key-value") {
      line = consumed.record.key.value_or("") + separator_ + consumed.record.value;
    } else {
      line = consumed.record.value;
    }
    line.push_back('\n');
    std::lock_guard<std::mutex> lock(mu_);
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  void Flush() {
    std::lock_guard<std::mutex> lock(mu_);
    std::fflush(stdout);
  }

 private:
  const std::string format_;
  const std::string separator_;
  std::mutex mu_;
};

struct Shared {
  const ConsumerFlags& flags;
  std::optional<Millis> idle_ms;
  Printer printer;
  std::atomic<uint64_t> printed{0};
  std::atomic<int> failures{0};
};

using SteadyClock = std::chrono::steady_clock;

// One partition's poll loop. Returns when a stop condition holds.
void ConsumePartition(Shared& shared, PartitionId partition) {
  const ConsumerFlags& f = shared.flags;
  Client client(f.broker);
  FetchRequest request;
  request.topic = f.topic;
  request.partition = partition;
  request.max_count = f.count;
  if (f.from_beginning || f.offset == "earliest") {
    request.offset_spec = OffsetSpec::kEarliest;
  } else if (f.offset == "latest") {
    request.offset_spec = OffsetSpec::kLatest;
  } else {
    request.offset_spec = OffsetSpec::kExplicit;
    request.offset = Offset(std::stoll(f.offset));
  }
  auto last_data = SteadyClock::now();
  for (;;) {
    Millis wait_ms = kMaxPollMs;
    if (f.exit_at_end) wait_ms = 0;
    if (shared.idle_ms) {
      const auto idle =
          std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - last_data)
              .count();
      if (idle >= *shared.idle_ms) return;
      wait_ms = std::min(wait_ms, *shared.idle_ms - idle);
    }
    request.timeout_ms = wait_ms;
    auto fetched = client.Fetch(request);
    if (!fetched.ok()) {
      std::fprintf(stderr, "error: partition %d: %s\n", partition.value(),
                   fetched.status().message().c_str());
      shared.failures.fetch_add(1);
      return;
    }
    for (const ConsumedRecord& r : fetched->records) {
      const uint64_t n = shared.printed.fetch_add(1) + 1;
      if (f.max_messages != 0 && n > f.max_messages) break;
      shared.printer.Print(r);
      if (f.max_messages != 0 && n == f.max_messages) {
        // Done: other pollers may sit in a long poll; end the process here.
        shared.printer.Flush();
        std::_Exit(0);
      }
    }
    if (!fetched->records.empty()) last_data = SteadyClock::now();
    request.offset_spec = OffsetSpec::kExplicit;
    request.offset = fetched->next_offset;
    if (f.exit_at_end && fetched->next_offset >= fetched->high_watermark) return;
  }
}

int Consume(const ConsumerFlags& f) {
  Shared shared{f, std::nullopt, Printer(f)};
  if (!f.timeout.empty()) {
    shared.idle_ms = ParseDuration(f.timeout);
    if (!shared.idle_ms) {
      std::fprintf(stderr, "error: --timeout %s: use e.g. 500ms, 30s or 2m\n", f.timeout.c_str());
      return 2;
    }
  }
  if (f.offset != "earliest" && f.offset != "latest" &&
      (f.offset.empty() || f.offset.find_first_not_of("0123456789") != std::string::npos ||
       f.offset.size() > 16)) {
    std::fprintf(stderr, "error: --offset must be a number >= 0, earliest or latest\n");
    return 2;
  }
  std::vector<PartitionId> partitions;
  if (f.partition) {
    partitions.push_back(PartitionId(*f.partition));
  } else {
    Client client(f.broker);
    auto topic = client.DescribeTopic(f.topic);
    if (!topic.ok()) {
      std::fprintf(stderr, "error: %s\n", topic.status().message().c_str());
      return 1;
    }
    for (int32_t p = 0; p < topic->partitions; ++p) partitions.push_back(PartitionId(p));
  }
  if (partitions.size() == 1) {
    ConsumePartition(shared, partitions[0]);
  } else {
    std::vector<std::thread> pollers;
    for (PartitionId p : partitions)
      pollers.emplace_back([&shared, p] { ConsumePartition(shared, p); });
    for (auto& t : pollers) t.join();
  }
  shared.printer.Flush();
  return shared.failures.load() == 0 ? 0 : 1;
}

// ---- group mode ---------------------------------------------------------------

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop.store(true); }

std::string DefaultConsumerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "consumer");
  return std::string(host) + "-" + std::to_string(getpid());
}

// Background heartbeats at the interval the broker advises; a 404 (the
// member expired or the broker restarted) joins again.
class Heartbeater {
 public:
  Heartbeater(const ConsumerFlags& f, Millis interval_ms)
      : f_(f), interval_ms_(std::max<Millis>(100, interval_ms)), thread_([this] { Run(); }) {}
  ~Heartbeater() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    Client client(f_.broker);
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return done_; })) {
      lock.unlock();
      auto beat = client.Heartbeat(f_.group, f_.consumer_id);
      if (!beat.ok() && ErrorOf(beat.status()).http_status == 404 && !g_stop.load()) {
        std::fprintf(stderr, "gafka-consumer: %s; joining again\n",
                     beat.status().message().c_str());
        auto joined = client.JoinGroup(f_.group, f_.consumer_id, f_.topic, f_.session_timeout_ms);
        if (!joined.ok()) {
          std::fprintf(stderr, "gafka-consumer: join: %s\n", joined.status().message().c_str());
        }
      }
      lock.lock();
    }
  }

  const ConsumerFlags& f_;
  const Millis interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

std::string Join(const std::vector<PartitionId>& partitions) {
  std::string out;
  for (PartitionId p : partitions) out += (out.empty() ? "" : ",") + std::to_string(p.value());
  return out.empty() ? "none" : out;
}

int ConsumeGroup(ConsumerFlags f) {
  if (f.partition) {
    std::fprintf(stderr, "error: --partition is direct mode; the group assigns partitions\n");
    return 2;
  }
  if (f.offset != "earliest" && f.offset != "latest") {
    std::fprintf(stderr,
                 "error: with --group, --offset is earliest or latest (where a group without a "
                 "committed offset starts); use gafka-admin reset-offsets for an offset\n");
    return 2;
  }
  std::optional<Millis> idle_ms;
  if (!f.timeout.empty()) {
    idle_ms = ParseDuration(f.timeout);
    if (!idle_ms) {
      std::fprintf(stderr, "error: --timeout %s: use e.g. 500ms, 30s or 2m\n", f.timeout.c_str());
      return 2;
    }
  }
  if (f.consumer_id.empty()) f.consumer_id = DefaultConsumerId();
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  Client client(f.broker);
  auto joined = client.JoinGroup(f.group, f.consumer_id, f.topic, f.session_timeout_ms);
  if (!joined.ok()) {
    std::fprintf(stderr, "error: join group %s: %s\n", f.group.c_str(),
                 joined.status().message().c_str());
    return 1;
  }
  const nlohmann::json member = nlohmann::json::parse(*joined, nullptr, false);
  const Millis interval =
      member.is_object() ? member.value("heartbeat_interval_ms", Millis{3000}) : Millis{3000};
  std::fprintf(stderr, "gafka-consumer: joined group %s as %s (heartbeat every %lld ms)\n",
               f.group.c_str(), f.consumer_id.c_str(), static_cast<long long>(interval));
  Printer printer(f);
  int exit_code = 0;
  {
    Heartbeater heartbeater(f, interval);
    GroupPollRequest poll;
    poll.topic = f.topic;
    poll.group_id = f.group;
    poll.consumer_id = f.consumer_id;
    poll.max_count = f.count;
    poll.auto_offset_reset =
        (f.from_beginning || f.offset == "earliest") ? OffsetSpec::kEarliest : OffsetSpec::kLatest;
    uint64_t printed = 0;
    std::optional<Generation> generation;
    std::vector<PartitionId> assigned;
    auto last_data = SteadyClock::now();
    while (!g_stop.load()) {
      // Polls are short enough to notice a signal within a second.
      Millis wait_ms = f.exit_at_end ? 0 : 1000;
      if (idle_ms) {
        const Millis idle = std::chrono::duration_cast<std::chrono::milliseconds>(
                                SteadyClock::now() - last_data)
                                .count();
        if (idle >= *idle_ms) break;
        wait_ms = std::min(wait_ms, *idle_ms - idle);
      }
      poll.timeout_ms = wait_ms;
      auto polled = client.GroupConsume(poll);
      if (!polled.ok()) {
        const ApiError error = ErrorOf(polled.status());
        if (error.http_status == 404 && error.error_code != 40401) {  // expired: join again
          std::fprintf(stderr, "gafka-consumer: %s; joining again\n", error.message.c_str());
          auto again = client.JoinGroup(f.group, f.consumer_id, f.topic, f.session_timeout_ms);
          if (again.ok()) continue;
        }
        std::fprintf(stderr, "error: group poll: %s\n", polled.status().message().c_str());
        exit_code = 1;
        break;
      }
      if (polled->generation != generation || polled->assigned != assigned) {
        generation = polled->generation;
        assigned = polled->assigned;
        std::fprintf(stderr, "gafka-consumer: generation %d: partitions %s\n",
                     generation ? generation->value() : -1, Join(assigned).c_str());
      }
      std::map<int32_t, int64_t> next;  // partition -> offset after the last printed record
      bool reached_max = false;
      for (const ConsumedRecord& r : polled->records) {
        printer.Print(r);
        next[r.partition.value()] = r.record.offset.value() + 1;
        if (f.max_messages != 0 && ++printed >= f.max_messages) {
          reached_max = true;
          break;
        }
      }
      printer.Flush();
      if (!next.empty()) {
        last_data = SteadyClock::now();
        nlohmann::json body = {{"consumer_id", f.consumer_id}, {"offsets", nlohmann::json::array()}};
        if (polled->generation) body["generation"] = polled->generation->value();
        for (const auto& [partition, offset] : next) {
          body["offsets"].push_back(
              {{"topic", f.topic}, {"partition", partition}, {"offset", offset}});
        }
        auto committed = client.CommitOffsets(f.group, body.dump());
        if (!committed.ok()) {
          // Fenced (a rebalance moved the partition): the new owner reads
          // these records again from the last commit — at-least-once.
          std::fprintf(stderr, "gafka-consumer: commit not applied: %s\n",
                       committed.status().message().c_str());
        }
      }
      if (reached_max) break;
      if (f.exit_at_end && polled->records.empty()) break;
    }
  }
  auto left = client.LeaveGroup(f.group, f.consumer_id);
  if (!left.ok() && ErrorOf(left.status()).http_status != 404) {
    std::fprintf(stderr, "gafka-consumer: leave: %s\n", left.status().message().c_str());
  } else {
    std::fprintf(stderr, "gafka-consumer: left group %s\n", f.group.c_str());
  }
  return exit_code;
}

}  // namespace
}  // namespace gafka

int main(int argc, char** argv) {
  gafka::ConsumerFlags f;
  CLI::App app{"gafka-consumer: print the records of a topic"};
  app.add_option("--topic", f.topic, "topic")->required();
  app.add_option("--broker", f.broker, "broker host:port")->capture_default_str();
  app.add_option("--partition", f.partition, "read only this partition (default: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--offset", f.offset, "start offset: a number, earliest or latest")
      ->capture_default_str();
  app.add_flag("--from-beginning", f.from_beginning, "start at the earliest offset");
  app.add_option("--max-messages", f.max_messages, "stop after this many records (0: no limit)");
  app.add_flag("--exit-at-end", f.exit_at_end, "stop once caught up with the high watermark");
  app.add_option("--timeout", f.timeout, "stop when no record arrived for this long (e.g. 30s)");
  app.add_option("--format", f.format, "value, key-value or json")
      ->check(CLI::IsMember({"value", "key-value", "json"}))
      ->capture_default_str();
  app.add_option("--separator", f.separator, "between key and value in key-value format");
  app.add_option("--count", f.count, "records per fetch")->check(CLI::Range(1, 10000));
  app.add_option("--group", f.group, "consume as a member of this consumer group");
  app.add_option("--consumer-id", f.consumer_id, "member id in the group (default host-pid)");
  app.add_option("--session-timeout-ms", f.session_timeout_ms,
                 "group session (1000..300000; default: the broker's)")
      ->check(CLI::Range(int64_t{1000}, int64_t{300'000}));
  CLI11_PARSE(app, argc, argv);
  if (!f.group.empty()) return gafka::ConsumeGroup(f);
  return gafka::Consume(f);
}
