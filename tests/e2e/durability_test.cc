// End-to-end durability: a real gafka-broker killed with SIGKILL under
// concurrent load, a segment file with garbage appended to its tail, and a
// SIGTERM drain. Every acknowledged message must come back after restart, in
// order, byte-identical.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/rng.h"
#include "runtime-real/client.h"
#include "tests/util/broker_fixture.h"
#include "tests/util/broker_process.h"

namespace gafka {
namespace {

using testing::BrokerProcess;
using SteadyClock = std::chrono::steady_clock;

struct Acked {
  int writer = 0;
  uint64_t sequence = 0;  // per writer, in send order
  PartitionId partition;
  Offset offset;
  std::optional<std::string> key;
  std::string value;
};

// Writers produce until told to stop or until a produce fails (the broker
// died); every acknowledged message is recorded.
class Load {
 public:
  Load(std::string address, std::string topic, int writers)
      : address_(std::move(address)), topic_(std::move(topic)) {
    for (int w = 0; w < writers; ++w) threads_.emplace_back([this, w] { Write(w); });
  }
  ~Load() { Stop(); }

  // Waits (bounded) until `n` messages in total were acknowledged.
  bool WaitForAcked(size_t n, Millis timeout_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
      return acked_.size() >= n || writers_done_ == threads_.size();
    }) && acked_.size() >= n;
  }
  void Stop() {
    stop_.store(true);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  std::vector<Acked> acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }

 private:
  void Write(int writer) {
    Client client(address_, ClientOptions{.connect_timeout_ms = 1000, .request_timeout_ms = 5000});
    Rng rng(1000 + writer);
    for (uint64_t seq = 0; !stop_.load(); ++seq) {
      // Every fourth writer sends small batches; values are random bytes
      // (often not UTF-8: they travel as base64) of 0..1500 bytes.
      const size_t n = writer % 4 == 3 ? 5 : 1;
      std::vector<ProduceMessage> batch(n);
      for (size_t i = 0; i < n; ++i) {
        batch[i].key =
            "w" + std::to_string(writer) + "-" + std::to_string(seq) + "-" + std::to_string(i);
        batch[i].value.resize(rng.Uniform(1501));
        for (char& c : batch[i].value) c = static_cast<char>(rng.Next());
      }
      std::vector<ProduceResult> results;
      if (n == 1) {
        auto r = client.Produce(topic_, batch[0]);
        if (!r.ok()) break;
        results.push_back(*r);
      } else {
        auto r = client.ProduceBatch(topic_, batch);
        if (!r.ok()) break;
        results = *r;
      }
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < n; ++i) {
        if (results[i].error) continue;
        acked_.push_back(Acked{writer, seq * n + i, results[i].partition, results[i].offset,
                               batch[i].key, batch[i].value});
      }
      cv_.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++writers_done_;
    cv_.notify_all();
  }

  const std::string address_;
  const std::string topic_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Acked> acked_;
  size_t writers_done_ = 0;
};

// Reads every record of every partition, earliest to high watermark.
std::map<std::pair<int32_t, int64_t>, Record> ReadAll(Client& client, const std::string& topic,
                                                      int partitions) {
  std::map<std::pair<int32_t, int64_t>, Record> all;
  for (int32_t p = 0; p < partitions; ++p) {
    FetchRequest fetch;
    fetch.topic = topic;
    fetch.partition = PartitionId(p);
    fetch.offset_spec = OffsetSpec::kEarliest;
    fetch.max_count = 10000;
    for (int guard = 0; guard < 10000; ++guard) {
      auto fetched = client.Fetch(fetch);
      EXPECT_TRUE(fetched.ok()) << fetched.status().ToString();
      if (!fetched.ok()) break;
      Offset expect =
          fetch.offset_spec == OffsetSpec::kEarliest ? fetched->log_start_offset : fetch.offset;
      for (const ConsumedRecord& r : fetched->records) {
        EXPECT_EQ(r.record.offset, expect) << "offsets are dense";
        ++expect;
        all.emplace(std::make_pair(p, r.record.offset.value()), r.record);
      }
      fetch.offset_spec = OffsetSpec::kExplicit;
      fetch.offset = fetched->next_offset;
      if (fetched->records.empty() || fetched->next_offset >= fetched->high_watermark) break;
    }
  }
  return all;
}

void ExpectAllAckedPresentInOrder(const std::vector<Acked>& acked,
                                  const std::map<std::pair<int32_t, int64_t>, Record>& all) {
  size_t missing = 0;
  for (const Acked& a : acked) {
    auto it = all.find({a.partition.value(), a.offset.value()});
    if (it == all.end()) {
      if (++missing <= 5) {
        ADD_FAILURE() << "acked message lost: partition " << a.partition.value() << " offset "
                      << a.offset.value();
      }
      continue;
    }
    EXPECT_EQ(it->second.key, a.key) << "offset " << a.offset.value();
    EXPECT_TRUE(it->second.value == a.value) << "bytes differ at offset " << a.offset.value();
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged messages";
  // Order: one writer's messages to one partition got increasing offsets in
  // the order they were sent.
  std::map<std::pair<int, int32_t>, std::pair<uint64_t, int64_t>>
      last;  // (writer, p) -> (seq, off)
  for (const Acked& a : acked) {
    auto key = std::make_pair(a.writer, a.partition.value());
    auto it = last.find(key);
    if (it != last.end() && it->second.first < a.sequence) {
      EXPECT_LT(it->second.second, a.offset.value()) << "writer " << a.writer;
    }
    last[key] = {a.sequence, a.offset.value()};
  }
}

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BrokerProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    broker_ = std::move(started).value();
  }
  void CreateTopic(const std::string& name, int partitions) {
    Client client(broker_->address());
    testing::CreateTopicOrFail(client, name, partitions);
  }
  // Polls /metrics (bounded) until a long poll is parked in the broker.
  bool WaitForParkedPoll(Millis timeout_ms) {
    Client client(broker_->address());
    auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
    while (SteadyClock::now() < deadline) {
      auto text = client.Metrics();
      if (text.ok() && text->find("\ngafka_parked_waiters 0\n") == std::string::npos &&
          text->find("\ngafka_parked_waiters ") != std::string::npos) {
        return true;
      }
      std::this_thread::yield();
    }
    return false;
  }
  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(DurabilityTest, KillNineUnderConcurrentLoadLosesNoAcknowledgedMessage) {
  CreateTopic("load", 2);
  std::vector<Acked> acked;
  {
    Load load(broker_->address(), "load", 4);
    ASSERT_TRUE(load.WaitForAcked(1500, 30'000)) << "the load did not get going";
    broker_->Kill();  // mid-load: writers have requests in flight
    load.Stop();
    acked = load.acked();
  }
  ASSERT_GE(acked.size(), 1500u);
  Status restarted = broker_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  Client client(broker_->address());
  auto all = ReadAll(client, "load", 2);
  EXPECT_GE(all.size(), acked.size());
  ExpectAllAckedPresentInOrder(acked, all);

  // The log continues after the recovered end.
  ProduceMessage m;
  m.value = "after restart";
  m.partition = PartitionId(0);
  auto next = client.Produce("load", m);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  int64_t end0 = 0;
  for (const auto& [pos, r] : all) {
    if (pos.first == 0) end0 = std::max(end0, pos.second + 1);
  }
  EXPECT_EQ(next->offset, Offset(end0));
}

std::string NewestSegment(const std::string& dir) {
  std::string newest;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".log" && name > newest) newest = name;
  }
  return newest.empty() ? "" : dir + "/" + newest;
}

TEST_F(DurabilityTest, GarbageAppendedToSegmentTailIsCutOnRestart) {
  CreateTopic("tail", 1);
  std::vector<std::string> values;
  {
    Client client(broker_->address());
    for (int i = 0; i < 50; ++i) {
      ProduceMessage m;
      m.key = "k" + std::to_string(i);
      m.value = "value-" + std::to_string(i) + std::string(static_cast<size_t>(i * 7), 'x');
      ASSERT_TRUE(client.Produce("tail", m).ok());
      values.push_back(m.value);
    }
  }
  broker_->Kill();
  const std::string segment = NewestSegment(broker_->data_dir() + "/tail-0");
  ASSERT_FALSE(segment.empty()) << "no segment file in " << broker_->data_dir() << "/tail-0";
  const auto good_size = std::filesystem::file_size(segment);
  {
    std::ofstream out(segment, std::ios::binary | std::ios::app);
    // A plausible-looking header start followed by junk, as a torn write leaves.
    const char garbage[] = "\x30\x00\x00\x00\xde\xad\xbe\xef\x67garbage-garbage-garbage";
    out.write(garbage, sizeof(garbage) - 1);
  }
  ASSERT_GT(std::filesystem::file_size(segment), good_size);

  Status restarted = broker_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  Client client(broker_->address());
  auto all = ReadAll(client, "tail", 1);
  ASSERT_EQ(all.size(), values.size()) << broker_->Output();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(all.at({0, i}).value, values[static_cast<size_t>(i)]);
    EXPECT_EQ(all.at({0, i}).key, "k" + std::to_string(i));
  }
  auto offsets = client.PartitionOffsets("tail", PartitionId(0));
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(offsets->high_watermark, Offset(50));
  ProduceMessage m;
  m.value = "after the cut";
  auto next = client.Produce("tail", m);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->offset, Offset(50));
}

TEST_F(DurabilityTest, SigtermDrainsCleanlyWithExitZeroAndNoAcknowledgedLoss) {
  CreateTopic("drain", 2);
  CreateTopic("quiet", 1);
  // A long poll parked on a partition nobody writes to must be answered
  // (empty) by the drain, not at its timeout.
  auto parked = std::async(std::launch::async, [address = broker_->address()] {
    Client reader(address);
    FetchRequest fetch;
    fetch.topic = "quiet";
    fetch.partition = PartitionId(0);
    fetch.offset_spec = OffsetSpec::kLatest;
    fetch.timeout_ms = 25'000;
    return reader.Fetch(fetch);
  });
  ASSERT_TRUE(WaitForParkedPoll(10'000));
  std::vector<Acked> acked;
  Millis terminate_ms = 0;
  {
    Load load(broker_->address(), "drain", 3);
    ASSERT_TRUE(load.WaitForAcked(300, 30'000));
    auto started = SteadyClock::now();
    auto code = broker_->Terminate(20'000);
    terminate_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started).count();
    ASSERT_TRUE(code.ok()) << code.status().ToString();
    EXPECT_EQ(*code, 0) << broker_->Output();
    load.Stop();
    acked = load.acked();
  }
  EXPECT_LT(terminate_ms, 15'000);
  ASSERT_EQ(parked.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto poll = parked.get();
  ASSERT_TRUE(poll.ok()) << poll.status().ToString();
  EXPECT_TRUE(poll->records.empty());

  Status restarted = broker_->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  Client client(broker_->address());
  auto all = ReadAll(client, "drain", 2);
  ExpectAllAckedPresentInOrder(acked, all);
  EXPECT_NE(broker_->Output().find("received SIGTERM"), std::string::npos);
}

}  // namespace
}  // namespace gafka
