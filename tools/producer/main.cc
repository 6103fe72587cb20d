// gafka-producer: sends messages to a topic.
//
//   gafka-producer --topic=t --message="Hello" [--key=k] [--partition=P] [--acks=0|1|all]
//   some-command | gafka-producer --topic=t [--key-separator=:] [--batch-size=100] [--linger-ms=10]
//
// Without --message, every stdin line is one message ("key<SEP>value" with
// --key-separator, like kcat -K; a line without the separator has no key, or
// --key's). Lines are batched by core/client's ProduceBatcher (flush at
// --batch-size messages or --linger-ms after a batch's first message) and sent
// in order by one sender, so per-partition order is the input order.
// Failures go to stderr; the exit code is 1 if any message was not
// acknowledged; a summary ("N messages acked") goes to stderr.
//
// Threads: main reads stdin; an EventLoop runs the batcher (its Clock); a
// sender thread performs the blocking HTTP calls, one batch at a time.
#include <CLI/CLI.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>

#include "core/client/produce_batcher.h"
#include "runtime-real/client.h"
#include "runtime-real/event_loop.h"

namespace gafka {
namespace {

constexpr int kMaxReportedFailures = 20;

struct ProducerFlags {
  std::string topic;
  std::string broker = "localhost:9001";
  std::optional<std::string> message;
  std::optional<std::string> key;
  std::optional<int32_t> partition;
  std::string acks = "1";
  std::string key_separator;
  size_t batch_size = 100;
  Millis linger_ms = 10;
  Millis timeout_ms = 30'000;
};

Acks ParseAcks(const std::string& text) {
  if (text == "0") return Acks::kNone;
  if (text == "all" || text == "-1") return Acks::kAll;
  return Acks::kLeader;
}

ProduceMessage MakeMessage(const ProducerFlags& f, std::string line) {
  ProduceMessage m;
  m.key = f.key;
  if (!f.key_separator.empty()) {
    const size_t at = line.find(f.key_separator);
    if (at != std::string::npos) {
      m.key = line.substr(0, at);
      line.erase(0, at + f.key_separator.size());
    }
  }
  m.value = std::move(line);
  if (f.partition) m.partition = PartitionId(*f.partition);
  return m;
}

int ProduceOne(const ProducerFlags& f) {
  Client client(f.broker, ClientOptions{.request_timeout_ms = f.timeout_ms});
  auto result = client.Produce(f.topic, MakeMessage(f, *f.message), {.acks = ParseAcks(f.acks)});
  if (!result.ok()) {
    std::fprintf(stderr, "error: message not acknowledged: %s\n",
                 result.status().message().c_str());
    std::fprintf(stderr, "0 of 1 messages acked\n");
    return 1;
  }
  std::fprintf(stderr, "1 message %s (topic %s, partition %d, offset %lld)\n",
               f.acks == "0" ? "sent" : "acked", f.topic.c_str(), result->partition.value(),
               static_cast<long long>(result->offset.value()));
  return 0;
}

// Batches flushed by the loop, waiting for the sender thread. Bounded by the
// batcher's outstanding limit (each queued message holds a slot).
class SendQueue {
 public:
  void Push(ProduceBatch batch) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(batch));
    }
    cv_.notify_one();
  }
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_one();
  }
  // The next batch, or nothing once closed and drained.
  std::optional<ProduceBatch> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    ProduceBatch batch = std::move(queue_.front());
    queue_.pop_front();
    return batch;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ProduceBatch> queue_;
  bool closed_ = false;
};

struct Tally {
  uint64_t acked = 0;
  uint64_t failed = 0;
  uint64_t reported = 0;
};

void Report(Tally& tally, uint64_t line, const std::string& why) {
  ++tally.failed;
  if (++tally.reported <= kMaxReportedFailures) {
    std::fprintf(stderr, "error: message %llu not acknowledged: %s\n",
                 static_cast<unsigned long long>(line), why.c_str());
  }
}

// Sends one batch and counts its results; line numbers are 1-based.
void SendBatch(Client& client, const ProducerFlags& f, const ProduceBatch& batch,
               uint64_t first_line, Tally& tally) {
  auto results = client.ProduceBatch(f.topic, batch.messages, {.acks = ParseAcks(f.acks)});
  if (!results.ok()) {
    for (size_t i = 0; i < batch.messages.size(); ++i) {
      Report(tally, first_line + i, results.status().message());
    }
    return;
  }
  for (size_t i = 0; i < results->size(); ++i) {
    const ProduceResult& r = (*results)[i];
    if (r.error) {
      Report(tally, first_line + i,
             "HTTP " + std::to_string(r.error->http_status) + " error " +
                 std::to_string(r.error->error_code) + ": " + r.error->message);
    } else {
      ++tally.acked;
    }
  }
}

int ProduceStdin(const ProducerFlags& f) {
  const size_t max_outstanding = std::max<size_t>(f.batch_size * 8, 1000);
  real::EventLoop loop;
  SendQueue queue;
  std::counting_semaphore<> slots(static_cast<std::ptrdiff_t>(max_outstanding));
  ProduceBatcher batcher(loop,
                         {.max_messages = f.batch_size,
                          .linger_ms = f.linger_ms,
                          .max_outstanding_messages = max_outstanding},
                         [&queue](ProduceBatch batch) { queue.Push(std::move(batch)); });
  loop.RunInThread();

  Tally tally;
  std::thread sender([&] {
    Client client(f.broker, ClientOptions{.request_timeout_ms = f.timeout_ms});
    uint64_t next_line = 1;
    while (std::optional<ProduceBatch> batch = queue.Pop()) {
      const size_t n = batch->messages.size();
      SendBatch(client, f, *batch, next_line, tally);
      next_line += n;
      loop.PostUnbounded([&batcher, n] { batcher.Release(n); });
      slots.release(static_cast<std::ptrdiff_t>(n));
    }
  });

  std::string line;
  while (std::getline(std::cin, line)) {
    slots.acquire();  // back-pressure: at most max_outstanding lines in memory
    loop.PostUnbounded([&batcher, m = MakeMessage(f, std::move(line))]() mutable {
      Status added = batcher.Add(std::move(m));
      CHECK_MSG(added.ok(), "the slot semaphore keeps the batcher under its limit");
    });
  }
  loop.PostUnbounded([&] {
    batcher.Flush();
    queue.Close();
  });
  sender.join();
  loop.Join();

  const uint64_t total = tally.acked + tally.failed;
  if (tally.reported > kMaxReportedFailures) {
    std::fprintf(stderr, "... and %llu more failures\n",
                 static_cast<unsigned long long>(tally.reported - kMaxReportedFailures));
  }
  std::fprintf(stderr, "%llu of %llu messages %s\n", static_cast<unsigned long long>(tally.acked),
               static_cast<unsigned long long>(total), f.acks == "0" ? "sent" : "acked");
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gafka

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  gafka::ProducerFlags f;
  CLI::App app{"gafka-producer: send messages (one --message, or one per stdin line)"};
  app.add_option("--topic", f.topic, "topic")->required();
  app.add_option("--broker", f.broker, "broker host:port")->capture_default_str();
  app.add_option("--message", f.message, "send this one message and exit");
  app.add_option("--key", f.key, "message key (stdin mode: for lines without a key)");
  app.add_option("--partition", f.partition, "explicit partition (else by key hash)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--acks", f.acks, "0, 1 or all")
      ->check(CLI::IsMember({"0", "1", "all", "-1"}))
      ->capture_default_str();
  app.add_option("--key-separator", f.key_separator, "split each stdin line into key SEP value");
  app.add_option("--batch-size", f.batch_size, "messages per batch")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--linger-ms", f.linger_ms, "flush a batch this long after its first message")
      ->check(CLI::Range(0, 60'000))
      ->capture_default_str();
  app.add_option("--timeout-ms", f.timeout_ms, "per-request timeout")
      ->check(CLI::Range(1, 600'000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return f.message ? gafka::ProduceOne(f) : gafka::ProduceStdin(f);
}
