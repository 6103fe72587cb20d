// Property: a broker driven by random produces, fetches and restarts agrees
// with a trivial model — one std::vector of values per partition, keyed
// messages routed by Kafka's partitioner, unkeyed ones round-robin.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <vector>

#include "core/broker/partitioner.h"
#include "tests/core/broker/broker_harness.h"

namespace gafka::testing {
namespace {

constexpr int32_t kPartitions = 3;

struct Model {
  std::vector<std::vector<std::string>> values = std::vector<std::vector<std::string>>(kPartitions);
  uint64_t round_robin = 0;

  int32_t Route(const ProduceMessage& message) {
    if (message.partition) return message.partition->value();
    if (message.key) return PartitionForKey(*message.key, kPartitions).value();
    return NextRoundRobin(&round_robin, kPartitions).value();
  }
};

ProduceMessage GenMessage(int serial) {
  ProduceMessage message;
  message.value = "v" + std::to_string(serial) + std::string(*rc::gen::inRange<size_t>(0, 64), 'x');
  switch (*rc::gen::inRange(0, 3)) {
    case 0:
      message.key = "key" + std::to_string(*rc::gen::inRange(0, 10));
      break;
    case 1:
      message.partition = PartitionId(*rc::gen::inRange(0, kPartitions));
      break;
    default:
      break;  // no key: round-robin
  }
  return message;
}

RC_GTEST_PROP(BrokerModel, AgreesWithAVectorPerPartition, ()) {
  BrokerHarness h(*rc::gen::inRange<uint64_t>(1, 1'000'000));
  h.OpenOrDie();
  RC_ASSERT(std::holds_alternative<TopicResponse>(h.CreateTopic("m", kPartitions)));
  Model model;
  int serial = 0;
  const int steps = *rc::gen::inRange(1, 40);
  for (int step = 0; step < steps; ++step) {
    const int op = *rc::gen::inRange(0, 10);
    if (op < 5) {  // produce a batch
      std::vector<ProduceMessage> batch;
      const int count = *rc::gen::inRange(1, 6);
      for (int i = 0; i < count; ++i) batch.push_back(GenMessage(serial++));
      const Acks acks = *rc::gen::element(Acks::kNone, Acks::kLeader, Acks::kAll);
      auto response = h.Call(h.ProduceBatch("m", batch, acks));
      RC_ASSERT(std::holds_alternative<ProduceResponse>(response));
      const auto& results = std::get<ProduceResponse>(response).results;
      RC_ASSERT(results.size() == batch.size());
      for (size_t i = 0; i < batch.size(); ++i) {
        const int32_t p = model.Route(batch[i]);
        RC_ASSERT(!results[i].error.has_value());
        RC_ASSERT(results[i].partition.value() == p);
        RC_ASSERT(results[i].offset.value() == static_cast<int64_t>(model.values[p].size()));
        model.values[p].push_back(batch[i].value);
      }
    } else if (op < 9) {  // fetch once everything is durable
      h.clock().RunUntil(h.clock().NowMs() + 10);
      const int32_t p = *rc::gen::inRange(0, kPartitions);
      const auto end = static_cast<int64_t>(model.values[p].size());
      const int64_t from = *rc::gen::inRange<int64_t>(0, end + 1);
      const int32_t max_count = *rc::gen::inRange(1, 8);
      auto response = h.Call(h.FetchAt("m", p, from, max_count));
      RC_ASSERT(std::holds_alternative<FetchResponse>(response));
      const auto& fetched = std::get<FetchResponse>(response);
      const int64_t expected = std::min<int64_t>(max_count, end - from);
      RC_ASSERT(static_cast<int64_t>(fetched.records.size()) == expected);
      for (int64_t i = 0; i < expected; ++i) {
        RC_ASSERT(fetched.records[i].record.offset.value() == from + i);
        RC_ASSERT(fetched.records[i].record.value == model.values[p][from + i]);
      }
      RC_ASSERT(fetched.high_watermark.value() == end);
    } else {  // clean restart: everything survives, routing state restarts
      h.Reopen();
      model.round_robin = 0;
    }
  }
}

}  // namespace
}  // namespace gafka::testing
