#include "core/broker/group_service.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "core/base/check.h"
#include "core/broker/broker_errors.h"
#include "core/group/group_json.h"
#include "core/protocol/errors.h"

namespace gafka {

GroupService::GroupService(Env& env, TopicManager& topics, BrokerMetrics& metrics, Limits limits)
    : env_(env), topics_(topics), metrics_(metrics), limits_(limits) {}

Result<std::unique_ptr<GroupService>> GroupService::Open(Env& env, GroupConfig config,
                                                         TopicManager& topics,
                                                         BrokerMetrics& metrics, Limits limits) {
  std::unique_ptr<GroupService> service(new GroupService(env, topics, metrics, limits));
  GAFKA_ASSIGN_OR_RETURN(service->coordinator_,
                         GroupCoordinator::Open(env, std::move(config), *service));
  service->api_ = std::make_unique<GroupApi>(*service->coordinator_);
  GroupService* raw = service.get();
  service->coordinator_->SetRebalanceListener(
      [raw](const std::string& group_id, Generation) { raw->OnRebalance(group_id); });
  return service;
}

GroupService::~GroupService() {
  // Broker death: parked polls are dropped unanswered, timers cancelled.
  for (auto& [id, parked] : parked_) env_.clock.Cancel(parked.timer);
  if (rebalance_timer_ != kNoTimer) env_.clock.Cancel(rebalance_timer_);
  api_.reset();
  coordinator_.reset();
}

// ---- TopicView -------------------------------------------------------------

Partition* GroupService::FindPartition(const std::string& topic, PartitionId partition) const {
  Topic* t = topics_.Find(topic);
  return t == nullptr ? nullptr : t->Find(partition);
}

int32_t GroupService::PartitionCount(const std::string& topic) {
  Topic* t = topics_.Find(topic);
  return t == nullptr ? 0 : t->info.partitions;
}

namespace {
Status NoPartition(const TopicPartition& tp) {
  return NotFound("unknown partition " + ToString(tp));
}
}  // namespace

Result<Offset> GroupService::LogStartOffset(const TopicPartition& tp) {
  Partition* p = FindPartition(tp.topic, tp.partition);
  if (p == nullptr) return NoPartition(tp);
  return p->log().start_offset();
}

Result<Offset> GroupService::LogEndOffset(const TopicPartition& tp) {
  Partition* p = FindPartition(tp.topic, tp.partition);
  if (p == nullptr) return NoPartition(tp);
  return p->high_watermark();
}

Result<Offset> GroupService::OffsetForTimestamp(const TopicPartition& tp, Millis timestamp_ms) {
  Partition* p = FindPartition(tp.topic, tp.partition);
  if (p == nullptr) return NoPartition(tp);
  GAFKA_ASSIGN_OR_RETURN(const Offset offset, p->log().OffsetForTimestamp(timestamp_ms));
  // Never past what readers may see.
  return std::min(offset, p->high_watermark());
}

// ---- requests --------------------------------------------------------------

void GroupService::Handle(ApiRequest request, Done done) {
  CHECK(done != nullptr);
  CHECK_MSG(IsGroupRequest(request), "only group requests are routed here");
  if (auto* poll = std::get_if<GroupPollRequest>(&request)) {
    Poll(std::move(*poll), std::move(done));
    return;
  }
  const bool write = std::holds_alternative<CommitOffsetsRequest>(request) ||
                     std::holds_alternative<ResetOffsetsRequest>(request);
  if (!write) {
    api_->Handle(request,
                 [done = std::move(done)](GroupResponse response) { done(std::move(response)); });
    return;
  }
  // Commits and resets answer once durable: counted so shutdown waits.
  ++pending_writes_;
  api_->Handle(request, [this, done = std::move(done)](GroupResponse response) {
    CHECK(pending_writes_ > 0);
    --pending_writes_;
    done(std::move(response));
  });
}

void GroupService::Poll(GroupPollRequest request, Done done) {
  request.timeout_ms = std::clamp<Millis>(request.timeout_ms, 0, limits_.max_timeout_ms);
  request.max_count = std::min(request.max_count, limits_.max_count);
  request.max_bytes = std::min(request.max_bytes, limits_.max_bytes);
  if (request.max_count < 1 || request.max_bytes < 1) {
    done(broker_error::FromStatus(
        InvalidArgument("max_count and max_bytes must be positive", api_errors::kBadCount % 100)));
    return;
  }
  Result<PollPlan> plan =
      coordinator_->BeginPoll({request.group_id, request.consumer_id, request.topic,
                               request.auto_offset_reset, request.auto_commit});
  if (!plan.ok()) {
    const std::optional<MemberView> member =
        coordinator_->FindMember(request.group_id, request.consumer_id);
    done(EncodeGroupError(plan.status(), member ? &*member : nullptr));
    return;
  }
  const Millis deadline_ms = env_.clock.NowMs() + request.timeout_ms;
  if (request.timeout_ms == 0 || Readable(request.topic, *plan)) {
    ReadResult read = Read(request, *plan);
    Finish(request, *plan, std::move(read), done);
    return;
  }
  if (parked_.size() >= limits_.max_waiters) {
    Finish(request, *plan, ReadResult{}, [&done](ApiResponse) {});  // ends the plan
    done(broker_error::TooManyWaiters(limits_.max_waiters));
    return;
  }
  Park(std::move(request), std::move(*plan), deadline_ms, std::move(done));
}

// True when a source has records below its high watermark (or cannot be
// served at all, which a read reports at once).
bool GroupService::Readable(const std::string& topic, const PollPlan& plan) const {
  for (const PollSource& source : plan.sources) {
    Partition* p = FindPartition(topic, source.partition);
    if (p == nullptr || !p->Serviceable().ok()) return true;
    if (source.from < p->high_watermark()) return true;
  }
  return false;
}

GroupService::ReadResult GroupService::Read(const GroupPollRequest& request, const PollPlan& plan) {
  ReadResult result;
  const size_t n = plan.sources.size();
  if (n == 0) return result;
  size_t count_left = static_cast<size_t>(request.max_count);
  size_t bytes_left = static_cast<size_t>(request.max_bytes);
  size_t failures = 0;
  const size_t first = static_cast<size_t>(rotation_++ % n);
  for (size_t i = 0; i < n && count_left > 0 && bytes_left > 0; ++i) {
    const PollSource& source = plan.sources[(first + i) % n];
    Partition* p = FindPartition(request.topic, source.partition);
    if (p == nullptr) {
      ++failures;
      result.failure = NotFound("partition " + request.topic + "-" +
                                std::to_string(source.partition.value()) + " is gone");
      continue;
    }
    if (Status serviceable = p->Serviceable(); !serviceable.ok()) {
      ++failures;
      result.failure = serviceable;
      continue;
    }
    const Offset high_watermark = p->high_watermark();
    if (source.from >= high_watermark) continue;
    auto read = p->log().Read(source.from, count_left, bytes_left, high_watermark);
    if (!read.ok()) {
      ++failures;
      result.failure = read.status();
      continue;
    }
    if (read->records.empty()) continue;
    CHECK(read->records.size() <= count_left);
    CHECK_MSG(read->next_offset <= high_watermark, "readers stop at the high watermark");
    count_left -= read->records.size();
    size_t bytes = 0;
    for (Record& record : read->records) {
      bytes += record.value.size() + (record.key ? record.key->size() : 0);
      result.records.push_back(ConsumedRecord{request.topic, source.partition, std::move(record)});
    }
    bytes_left -= std::min(bytes_left, std::max<size_t>(bytes, 1));
    result.delivered.push_back(PollDelivery{source.partition, read->next_offset});
  }
  if (failures < n) result.failure = Status::Ok();
  return result;
}

void GroupService::Finish(const GroupPollRequest& request, const PollPlan& plan, ReadResult read,
                          const Done& done) {
  Result<PollEnd> end =
      coordinator_->EndPoll(request.group_id, request.consumer_id, plan.poll_id, read.delivered);
  if (!end.ok()) {  // the member left meanwhile: deliver nothing
    done(EncodeGroupError(end.status()));
    return;
  }
  if (!read.failure.ok() && read.records.empty()) {
    done(read.failure.code() == Code::kUnavailable
             ? ApiResponse(broker_error::PartitionUnavailable(read.failure))
             : ApiResponse(broker_error::FromStatus(read.failure)));
    return;
  }
  FetchResponse response;
  response.topic = request.topic;
  const std::set<PartitionId> revoked(end->revoked.begin(), end->revoked.end());
  response.records.reserve(read.records.size());
  for (ConsumedRecord& record : read.records) {
    if (revoked.count(record.partition) == 0) response.records.push_back(std::move(record));
  }
  metrics_.fetch_records += response.records.size();
  response.generation = end->member.generation;
  response.session_expires_in_ms = end->member.session_expires_in_ms;
  response.assigned = PartitionsOfTopic(end->member, request.topic);
  done(std::move(response));
}

void GroupService::Park(GroupPollRequest request, PollPlan plan, Millis deadline_ms, Done done) {
  CHECK(parked_.size() < limits_.max_waiters);
  const uint64_t id = next_parked_id_++;
  Parked parked;
  parked.deadline_ms = deadline_ms;
  parked.timer = env_.clock.After(std::max<Millis>(0, deadline_ms - env_.clock.NowMs()),
                                  [this, id] { OnDeadline(id); });
  CHECK(parked.timer != kNoTimer);
  by_topic_[request.topic].insert(id);
  parked.request = std::move(request);
  parked.plan = std::move(plan);
  parked.done = std::move(done);
  parked_.emplace(id, std::move(parked));
}

GroupService::Parked GroupService::Unpark(uint64_t id, bool cancel_timer) {
  auto it = parked_.find(id);
  CHECK_MSG(it != parked_.end(), "unparking an unknown poll");
  Parked parked = std::move(it->second);
  parked_.erase(it);
  auto topic = by_topic_.find(parked.request.topic);
  CHECK(topic != by_topic_.end() && topic->second.erase(id) == 1);
  if (topic->second.empty()) by_topic_.erase(topic);
  if (cancel_timer) env_.clock.Cancel(parked.timer);
  return parked;
}

void GroupService::OnDeadline(uint64_t id) {
  Parked parked = Unpark(id, /*cancel_timer=*/false);
  // Something may have become readable without a wake-up (e.g. retention
  // moved a start): read once more, then answer.
  ReadResult read = Read(parked.request, parked.plan);
  Finish(parked.request, parked.plan, std::move(read), parked.done);
}

void GroupService::OnDurable(Partition& partition) {
  auto topic = by_topic_.find(partition.topic());
  if (topic == by_topic_.end()) return;
  // A copy: answering runs `done`, which may park new polls.
  const std::vector<uint64_t> ids(topic->second.begin(), topic->second.end());
  for (uint64_t id : ids) {
    auto it = parked_.find(id);
    if (it == parked_.end()) continue;
    bool wake = false;
    for (const PollSource& source : it->second.plan.sources) {
      if (source.partition != partition.id()) continue;
      wake = source.from < partition.high_watermark() || !partition.Serviceable().ok();
    }
    if (!wake) continue;
    Parked parked = Unpark(id);
    ReadResult read = Read(parked.request, parked.plan);
    Finish(parked.request, parked.plan, std::move(read), parked.done);
  }
}

void GroupService::OnTopicsChanged() {
  coordinator_->OnTopicsChanged();
  // Polls of a deleted topic re-plan too (their BeginPoll then says 404).
  std::vector<uint64_t> gone;
  for (const auto& [topic, ids] : by_topic_) {
    if (topics_.Find(topic) == nullptr) gone.insert(gone.end(), ids.begin(), ids.end());
  }
  for (uint64_t id : gone) {
    if (parked_.count(id) != 0) Replan(id);
  }
}

// The listener runs at the end of a coordinator call; the re-plans run from
// their own Clock task so they never nest inside the call that rebalanced.
void GroupService::OnRebalance(const std::string& group_id) {
  rebalanced_.insert(group_id);
  if (rebalance_timer_ != kNoTimer) return;
  rebalance_timer_ = env_.clock.After(0, [this] {
    rebalance_timer_ = kNoTimer;
    const std::set<std::string> groups = std::move(rebalanced_);
    rebalanced_.clear();
    std::vector<uint64_t> ids;
    for (const auto& [id, parked] : parked_) {
      if (groups.count(parked.request.group_id) != 0) ids.push_back(id);
    }
    for (uint64_t id : ids) {
      if (parked_.count(id) != 0) Replan(id);
    }
  });
  CHECK(rebalance_timer_ != kNoTimer);
}

void GroupService::Replan(uint64_t id) {
  Parked parked = Unpark(id);
  Result<PollEnd> end = coordinator_->EndPoll(parked.request.group_id, parked.request.consumer_id,
                                              parked.plan.poll_id, {});
  if (!end.ok()) {
    parked.done(EncodeGroupError(end.status()));
    return;
  }
  GroupPollRequest request = std::move(parked.request);
  request.auto_commit = false;  // the first BeginPoll committed already
  Result<PollPlan> plan = coordinator_->BeginPoll(
      {request.group_id, request.consumer_id, request.topic, request.auto_offset_reset, false});
  if (!plan.ok()) {
    const std::optional<MemberView> member =
        coordinator_->FindMember(request.group_id, request.consumer_id);
    parked.done(EncodeGroupError(plan.status(), member ? &*member : nullptr));
    return;
  }
  if (parked.deadline_ms <= env_.clock.NowMs() || Readable(request.topic, *plan)) {
    ReadResult read = Read(request, *plan);
    Finish(request, *plan, std::move(read), parked.done);
    return;
  }
  Park(std::move(request), std::move(*plan), parked.deadline_ms, std::move(parked.done));
}

void GroupService::CompleteAllEmpty() {
  size_t budget = parked_.size();
  while (!parked_.empty() && budget-- > 0) {
    Parked parked = Unpark(parked_.begin()->first);
    Finish(parked.request, parked.plan, ReadResult{}, parked.done);
  }
  CHECK(parked_.empty());
  if (rebalance_timer_ != kNoTimer) {
    env_.clock.Cancel(rebalance_timer_);
    rebalance_timer_ = kNoTimer;
    rebalanced_.clear();
  }
}

}  // namespace gafka
