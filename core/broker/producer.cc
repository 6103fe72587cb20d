#include "core/broker/producer.h"

#include <utility>

#include "core/base/check.h"
#include "core/broker/broker_errors.h"
#include "core/broker/partitioner.h"
#include "core/protocol/errors.h"

namespace gafka {

namespace {

void Fail(ProduceResult* result, ApiError error) {
  result->offset = Offset(-1);
  result->error = std::move(error);
}

}  // namespace

ProducePlan PlanProduce(const ProduceRequest& request, const TopicInfo& topic,
                        uint64_t* round_robin) {
  CHECK(round_robin != nullptr);
  CHECK_MSG(topic.partitions >= 1, "a topic has partitions");
  const size_t count = request.messages.size();
  ProducePlan plan;
  plan.partition_of.assign(count, PartitionId(-1));
  plan.errors.assign(count, std::nullopt);
  for (size_t i = 0; i < count; ++i) {
    const ProduceMessage& message = request.messages[i];
    if (message.partition) {
      plan.partition_of[i] = *message.partition;
      if (message.partition->value() < 0 || message.partition->value() >= topic.partitions) {
        plan.errors[i] =
            broker_error::UnknownPartition(topic.name, *message.partition, topic.partitions);
        continue;
      }
    }
    if (static_cast<int64_t>(message.value.size()) > topic.config.max_message_bytes) {
      plan.errors[i] = broker_error::FromStatus(TooLarge(
          "message value is " + std::to_string(message.value.size()) + " bytes; topic '" +
              topic.name + "' accepts at most " + std::to_string(topic.config.max_message_bytes),
          kDetailMessageTooLarge));
      continue;
    }
    PartitionId partition = message.partition ? *message.partition
                            : message.key.has_value()
                                ? PartitionForKey(*message.key, topic.partitions)
                                : NextRoundRobin(round_robin, topic.partitions);
    plan.partition_of[i] = partition;
    plan.groups[partition.value()].push_back(i);
  }
  CHECK(plan.partition_of.size() == count && plan.errors.size() == count);
  return plan;
}

Producer::Producer(BrokerMetrics& metrics) : metrics_(metrics) {}

void Producer::Produce(Topic& topic, ProduceRequest request, Done done) {
  CHECK(done != nullptr);
  CHECK(request.topic == topic.info.name);
  if (request.messages.empty()) {
    done(broker_error::FromStatus(
        InvalidArgument("a produce request needs a message", api_errors::kBadBatch % 100)));
    return;
  }
  ProducePlan plan = PlanProduce(request, topic.info, &topic.round_robin);
  ProduceResponse response;
  response.topic = topic.info.name;
  response.batch_form = request.batch_form;
  response.results.resize(request.messages.size());
  for (size_t i = 0; i < plan.errors.size(); ++i) {
    response.results[i].partition = plan.partition_of[i];
    if (plan.errors[i]) Fail(&response.results[i], std::move(*plan.errors[i]));
  }
  const bool wait_for_durability = request.acks != Acks::kNone;
  const uint64_t id = next_id_++;
  size_t waiting = 0;
  for (const auto& [partition_id, indices] : plan.groups) {
    Partition* partition = topic.Find(PartitionId(partition_id));
    CHECK_MSG(partition != nullptr, "the plan routes to existing partitions");
    std::function<void(Status)> durable;
    if (wait_for_durability) {
      durable = [this, id, indices](Status status) { OnGroupDurable(id, indices, status); };
      if (request.acks == Acks::kAll && commit_wait_) {
        // Durable here first, then committed (HW past the append's end).
        const Offset end = partition->log().end_offset() + static_cast<int64_t>(indices.size());
        durable = [this, partition, end, local = std::move(durable)](Status status) {
          if (!status.ok()) {
            local(status);
            return;
          }
          commit_wait_(*partition, end, local);
        };
      }
    }
    if (AppendGroup(*partition, &request, indices, &response, std::move(durable)) &&
        wait_for_durability) {
      ++waiting;
    }
  }
  if (waiting == 0) {
    Answer(std::move(response), done);
    return;
  }
  // Durable callbacks never run inside Append (env.h), so registering after
  // the appends is safe.
  pending_.emplace(id, Pending{std::move(response), waiting, std::move(done)});
}

bool Producer::AppendGroup(Partition& partition, ProduceRequest* request,
                           const std::vector<size_t>& indices, ProduceResponse* response,
                           std::function<void(Status)> durable) {
  CHECK(!indices.empty());
  Status serviceable = partition.Serviceable();
  if (!serviceable.ok()) {
    for (size_t i : indices)
      Fail(&response->results[i], broker_error::PartitionUnavailable(serviceable));
    return false;
  }
  std::vector<RecordInput> records;
  records.reserve(indices.size());
  uint64_t bytes = 0;
  for (size_t i : indices) {
    ProduceMessage& message = request->messages[i];
    bytes += message.value.size() + (message.key ? message.key->size() : 0);
    records.push_back(RecordInput{std::move(message.key), std::move(message.value),
                                  std::move(message.headers), message.timestamp_ms});
  }
  auto appended = partition.Append(records, std::move(durable));
  if (!appended.ok()) {
    Status now = partition.Serviceable();
    ApiError error = now.ok() ? broker_error::FromStatus(appended.status())
                              : broker_error::PartitionUnavailable(now);
    for (size_t i : indices) Fail(&response->results[i], error);
    return false;
  }
  for (size_t k = 0; k < indices.size(); ++k) {
    ProduceResult& result = response->results[indices[k]];
    result.partition = partition.id();
    result.offset = appended->base_offset + static_cast<int64_t>(k);
    result.timestamp_ms =
        request->messages[indices[k]].timestamp_ms.value_or(appended->timestamp_ms);
  }
  metrics_.produce_messages += indices.size();
  metrics_.produce_bytes += bytes;
  return true;
}

void Producer::OnGroupDurable(uint64_t id, const std::vector<size_t>& indices,
                              const Status& status) {
  auto it = pending_.find(id);
  CHECK_MSG(it != pending_.end(), "a durable callback for an answered request");
  Pending& pending = it->second;
  if (!status.ok()) {
    const ApiError error = broker_error::PartitionUnavailable(
        Unavailable("the append was not made durable: " + status.ToString()));
    for (size_t i : indices) Fail(&pending.response.results[i], error);
  }
  CHECK(pending.partitions_left > 0);
  if (--pending.partitions_left > 0) return;
  Pending finished = std::move(pending);
  pending_.erase(it);
  Answer(std::move(finished.response), finished.done);
}

void Producer::Answer(ProduceResponse response, const Done& done) {
  CHECK(!response.results.empty());
  // The single-message form answers a failure with the error envelope.
  if (!response.batch_form && response.results.size() == 1 && response.results[0].error) {
    ApiError error = std::move(*response.results[0].error);
    done(std::move(error));
    return;
  }
  done(std::move(response));
}

}  // namespace gafka
