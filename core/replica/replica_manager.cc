#include "core/replica/replica_manager.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/base/check.h"
#include "core/protocol/errors.h"
#include "core/protocol/json_writer.h"

namespace gafka {
namespace {

// The end offset of `epoch` in a log with these epoch starts and log end:
// where the first later epoch starts, or the log end (OffsetsForLeaderEpoch).
Offset EpochEndOffset(const std::map<Epoch, Offset>& starts, Epoch epoch, Offset log_end) {
  auto later = starts.upper_bound(epoch);
  return later == starts.end() ? log_end : later->second;
}

// How far a follower's log (fetch offset, last epoch) can match ours.
Offset ConsistentEnd(const PartitionLog& log, const FetchPartition& request) {
  if (request.last_epoch.value() < 0) return log.end_offset();
  return EpochEndOffset(log.epoch_starts(), request.last_epoch, log.end_offset());
}

Epoch LastEpoch(const PartitionLog& log) {
  const auto& starts = log.epoch_starts();
  return starts.empty() ? Epoch(-1) : starts.rbegin()->first;
}

ApiError NotLeader(const std::string& leader_address) {
  ApiError error = MakeApiError(
      api_errors::kNotLeader,
      "this broker is not the leader" +
          (leader_address.empty() ? std::string("; the leader is unknown")
                                  : "; the leader is " + leader_address));
  error.leader_hint = leader_address;
  return error;
}

}  // namespace

ReplicaManager::ReplicaManager(Env& env, Transport& transport, TopicManager& topics,
                               ReplicaConfig config, BrokerHooks hooks)
    : env_(env),
      transport_(transport),
      topics_(topics),
      config_(std::move(config)),
      hooks_(std::move(hooks)),
      epoch_store_(env.disk, config_.data_dir),
      leading_(!config_.follower),
      leader_address_(config_.follower ? config_.leader_address : config_.advertised_address),
      leader_peer_(config_.leader_peer) {
  CHECK(hooks_.on_high_watermark != nullptr && hooks_.on_removed != nullptr);
  CHECK(config_.min_insync_replicas >= 1);
}

ReplicaManager::~ReplicaManager() {
  stopped_ = true;
  transport_.OnReceive([](NodeId, Bytes) {});  // nothing may reach a destroyed manager
  for (TimerId t : {isr_timer_, notice_timer_, fetch_timer_}) {
    if (t != kNoTimer) env_.clock.Cancel(t);
  }
  for (auto& [from, parked] : parked_) env_.clock.Cancel(parked.timer);
}

Status ReplicaManager::Open() {
  GAFKA_ASSIGN_OR_RETURN(epoch_, epoch_store_.Load());
  transport_.OnReceive([this](NodeId from, Bytes message) { OnMessage(from, std::move(message)); });
  if (leading_) {
    // A new epoch per leadership term, restarts included: records written
    // from now on never share an epoch with a tail a follower kept from
    // before a crash.
    GAFKA_RETURN_IF_ERROR(RaiseEpoch(epoch_ + 1));
    ScheduleIsrCheck();
  } else {
    // Until the leader says what is committed, nothing local is (a tail
    // kept from before a crash may be divergent).
    for (const auto& [name, topic] : topics_.topics()) {
      for (const auto& partition : topic->partitions) {
        partition->set_high_watermark_cap(partition->log().start_offset());
      }
    }
    SendFetch();
  }
  env_.logger.Log(LogLevel::kInfo, "replication: " + role() + " in epoch " +
                                       std::to_string(epoch_.value()) +
                                       (leading_ ? "" : ", leader " + leader_address_));
  return Status::Ok();
}

void ReplicaManager::Shutdown() {
  stopped_ = true;
  for (auto& [key, slot] : leader_slots_) {
    for (auto& done : slot.state->TakeAllWaiters()) done(Unavailable("the broker is shutting down"));
  }
  for (TimerId* t : {&isr_timer_, &notice_timer_, &fetch_timer_}) {
    if (*t != kNoTimer) env_.clock.Cancel(*t);
    *t = kNoTimer;
  }
  std::vector<NodeId> parked;
  for (const auto& [from, p] : parked_) parked.push_back(from);
  for (NodeId from : parked) AnswerParked(from);
}

Status ReplicaManager::RaiseEpoch(Epoch epoch) {
  if (epoch <= epoch_) return Status::Ok();
  GAFKA_RETURN_IF_ERROR(epoch_store_.Store(epoch));
  epoch_ = epoch;
  return Status::Ok();
}

void ReplicaManager::Send(NodeId to, const ReplicaMessage& message) {
  transport_.Send(to, EncodeReplicaMessage(message));
}

void ReplicaManager::OnMessage(NodeId from, Bytes message) {
  if (stopped_) return;
  auto decoded = DecodeReplicaMessage(message);
  if (!decoded.ok()) {
    env_.logger.Log(LogLevel::kWarn, "replication: dropped a message from " +
                                         std::to_string(from.value()) + ": " +
                                         decoded.status().ToString());
    return;
  }
  if (auto* fetch = std::get_if<ReplicaFetch>(&*decoded)) {
    HandleFetch(from, std::move(*fetch));
  } else if (auto* reply = std::get_if<ReplicaFetchReply>(&*decoded)) {
    HandleFetchReply(*reply);
  } else if (auto* notice = std::get_if<ReplicaNotice>(&*decoded)) {
    HandleNotice(from, *notice);
  } else if (auto* ack = std::get_if<ReplicaNoticeReply>(&*decoded)) {
    if (ack->seq == notice_seq_ && notice_timer_ != kNoTimer) {
      env_.clock.Cancel(notice_timer_);
      notice_timer_ = kNoTimer;
    }
  }
}

// ---- Produce gate ------------------------------------------------------------

std::optional<ApiError> ReplicaManager::CheckProduce(Topic& topic, Acks acks) {
  if (!leading_) return NotLeader(leader_address_);
  for (const auto& partition : topic.partitions) {
    partition->set_epoch(epoch_);
    if (acks != Acks::kAll || !partition->Serviceable().ok()) continue;
    LeaderState& state = StateFor(*partition);
    UpdatePartition(*partition);
    if (state.isr_size() < static_cast<size_t>(config_.min_insync_replicas)) {
      return MakeApiError(api_errors::kNotEnoughReplicas,
                          "not enough in-sync replicas for acks=all on " + partition->topic() +
                              "-" + std::to_string(partition->id().value()) + ": " +
                              std::to_string(state.isr_size()) + " in sync, " +
                              "min_insync_replicas is " +
                              std::to_string(config_.min_insync_replicas));
    }
  }
  return std::nullopt;
}

std::optional<ApiError> ReplicaManager::CheckAdminWrite() const {
  if (leading_) return std::nullopt;
  return NotLeader(leader_address_);
}

void ReplicaManager::OnAppended() {
  if (parked_.empty()) return;
  std::vector<NodeId> parked;
  for (const auto& [from, p] : parked_) parked.push_back(from);
  for (NodeId from : parked) AnswerParked(from);
}

void ReplicaManager::WaitCommitted(Partition& partition, Offset end_offset,
                                   std::function<void(Status)> done) {
  CHECK(done != nullptr);
  if (stopped_) {
    done(Unavailable("the broker is shutting down"));
    return;
  }
  if (!leading_) {
    done(Conflict("leadership moved before the write was replicated; the leader is " +
                  leader_address_));
    return;
  }
  StateFor(partition).WaitFor(end_offset, std::move(done));
  UpdatePartition(partition);
}

void ReplicaManager::OnDurable(Partition& partition) {
  if (leading_ && partition.Serviceable().ok()) UpdatePartition(partition);
}

LeaderState& ReplicaManager::StateFor(Partition& partition) {
  LeaderSlot& slot = leader_slots_[{partition.topic(), partition.id().value()}];
  if (slot.partition != &partition || slot.state == nullptr) {
    // New, or a topic re-created under the same name: start over.
    if (slot.state != nullptr) {
      for (auto& done : slot.state->TakeAllWaiters()) done(NotFound("the partition was deleted"));
    }
    slot.partition = &partition;
    slot.state = std::make_unique<LeaderState>(partition.log().durable_offset(),
                                               config_.replica_lag_time_max_ms);
  }
  return *slot.state;
}

void ReplicaManager::UpdatePartition(Partition& partition) {
  LeaderState& state = StateFor(partition);
  const Offset before = partition.high_watermark();
  auto ready = state.Update(partition.log().durable_offset(), env_.clock.NowMs());
  CHECK(state.high_watermark() <= partition.log().durable_offset());
  partition.set_high_watermark_cap(state.high_watermark());
  for (auto& done : ready) done(Status::Ok());
  if (partition.high_watermark() > before) hooks_.on_high_watermark(partition);
}

void ReplicaManager::ScheduleIsrCheck() {
  if (stopped_ || !leading_ || isr_timer_ != kNoTimer) return;
  const Millis interval_ms = std::max<Millis>(1, config_.replica_lag_time_max_ms / 4);
  isr_timer_ = env_.clock.After(interval_ms, [this] {
    isr_timer_ = kNoTimer;
    if (!leading_) return;
    for (const auto& [name, topic] : topics_.topics()) {
      for (const auto& partition : topic->partitions) {
        if (partition->Serviceable().ok()) UpdatePartition(*partition);
      }
    }
    ScheduleIsrCheck();
  });
}

// ---- Leader: fetches -----------------------------------------------------------

void ReplicaManager::HandleFetch(NodeId from, ReplicaFetch fetch) {
  if (fetch.epoch > epoch_ && leading_) {
    env_.logger.Log(LogLevel::kWarn, "replication: follower " +
                                         std::to_string(fetch.follower.value()) + " knows epoch " +
                                         std::to_string(fetch.epoch.value()) +
                                         " > ours: fenced");
    Fence(fetch.epoch, "", std::nullopt);
  }
  if (parked_.count(from) != 0) AnswerParked(from);  // superseded by this one
  if (leading_) {
    for (const FetchPartition& p : fetch.partitions) {
      Topic* topic = topics_.Find(p.topic);
      Partition* partition = topic == nullptr ? nullptr : topic->Find(p.partition);
      if (partition == nullptr || !partition->Serviceable().ok()) continue;
      // A divergent tail proves nothing: the position counts only once the
      // follower's log is a prefix of ours.
      if (p.fetch_offset > ConsistentEnd(partition->log(), p)) continue;
      const Offset durable = std::min(p.durable_offset, p.fetch_offset);
      StateFor(*partition).OnFetch(fetch.follower, p.fetch_offset, durable,
                                   partition->log().end_offset(), env_.clock.NowMs());
      UpdatePartition(*partition);
    }
  }
  bool has_data = false;
  ReplicaFetchReply reply = BuildReply(fetch, &has_data);
  if (has_data || !leading_ || fetch.max_wait_ms <= 0 || stopped_) {
    Send(from, reply);
    return;
  }
  ParkedFetch parked;
  parked.request = std::move(fetch);
  parked.timer = env_.clock.After(std::min(parked.request.max_wait_ms, config_.fetch_max_wait_ms),
                                  [this, from] {
                                    auto it = parked_.find(from);
                                    if (it == parked_.end()) return;
                                    it->second.timer = kNoTimer;
                                    AnswerParked(from);
                                  });
  parked_[from] = std::move(parked);
}

void ReplicaManager::AnswerParked(NodeId from) {
  auto it = parked_.find(from);
  CHECK(it != parked_.end());
  ParkedFetch parked = std::move(it->second);
  parked_.erase(it);
  if (parked.timer != kNoTimer) env_.clock.Cancel(parked.timer);
  bool has_data = false;
  Send(from, BuildReply(parked.request, &has_data));
}

ReplicaFetchReply ReplicaManager::BuildReply(const ReplicaFetch& fetch, bool* has_data) {
  ReplicaFetchReply reply;
  reply.seq = fetch.seq;
  reply.leader = config_.self;
  reply.epoch = epoch_;
  reply.fenced = !leading_;
  reply.leader_address = leader_address_;
  if (!leading_) return reply;
  std::vector<TopicInfo> topics = TopicList();
  if (TopicsHash(topics) != fetch.metadata_hash) {
    reply.topics = std::move(topics);
    *has_data = true;
  }
  size_t budget = fetch.max_bytes;
  for (const FetchPartition& p : fetch.partitions) {
    reply.partitions.push_back(ReadPartition(p, fetch.follower, &budget));
    const FetchPartitionReply& r = reply.partitions.back();
    if (!r.records.empty() || r.status != FetchPartitionStatus::kOk) *has_data = true;
  }
  return reply;
}

FetchPartitionReply ReplicaManager::ReadPartition(const FetchPartition& request, NodeId follower,
                                                  size_t* budget) {
  FetchPartitionReply out;
  out.topic = request.topic;
  out.partition = request.partition;
  Topic* topic = topics_.Find(request.topic);
  Partition* partition = topic == nullptr ? nullptr : topic->Find(request.partition);
  if (partition == nullptr) {
    out.status = FetchPartitionStatus::kUnknown;
    return out;
  }
  PartitionLog& log = partition->log();
  out.high_watermark = partition->high_watermark();
  out.log_start_offset = log.start_offset();
  out.log_end_offset = log.end_offset();
  out.in_sync = StateFor(*partition).InSync(follower);
  if (!partition->Serviceable().ok()) {
    out.status = FetchPartitionStatus::kFailed;
    return out;
  }
  // Epoch end-offset check: is the follower's tail a prefix of our log?
  const Offset consistent_end = ConsistentEnd(log, request);
  if (request.fetch_offset > consistent_end) {
    out.status = FetchPartitionStatus::kDiverging;
    out.diverging_end_offset = consistent_end;
    return out;
  }
  if (request.fetch_offset >= log.end_offset() || *budget == 0) return out;
  auto read = log.Read(request.fetch_offset, 100'000, *budget);
  if (!read.ok()) {
    out.status = FetchPartitionStatus::kFailed;
    return out;
  }
  for (const Record& r : read->records) {
    const size_t size = wal::EncodedSize(r);
    *budget = size >= *budget ? 0 : *budget - size;
  }
  out.records = std::move(read->records);
  return out;
}

std::vector<TopicInfo> ReplicaManager::TopicList() const {
  std::vector<TopicInfo> list;
  for (const auto& [name, topic] : topics_.topics()) list.push_back(topic->info);
  return list;
}

// ---- Epochs, fencing, promotion ---------------------------------------------------

void ReplicaManager::HandleNotice(NodeId from, const ReplicaNotice& notice) {
  if (notice.epoch > epoch_ || (!leading_ && notice.epoch == epoch_)) {
    auto peer = config_.resolve_peer ? config_.resolve_peer(notice.leader_address) : std::nullopt;
    Fence(notice.epoch, notice.leader_address, peer.has_value() ? peer : std::optional(from));
  }
  Send(from, ReplicaNoticeReply{notice.seq, epoch_});
}

void ReplicaManager::Fence(Epoch epoch, const std::string& leader_address,
                           std::optional<NodeId> leader_peer) {
  Status raised = RaiseEpoch(epoch);
  if (!raised.ok()) {
    env_.logger.Log(LogLevel::kError, "replication: cannot store epoch: " + raised.ToString());
  }
  const bool was_leading = leading_;
  leading_ = false;
  if (!leader_address.empty() || was_leading) leader_address_ = leader_address;
  if (was_leading) {
    env_.logger.Log(LogLevel::kWarn, "replication: fenced by epoch " +
                                         std::to_string(epoch.value()) + "; now following " +
                                         (leader_address_.empty() ? "?" : leader_address_));
    for (auto& [key, slot] : leader_slots_) {
      for (auto& done : slot.state->TakeAllWaiters()) {
        done(Conflict("fenced by a newer leader before the write was replicated"));
      }
    }
    leader_slots_.clear();
  }
  if (leader_peer.has_value()) {
    leader_peer_ = *leader_peer;
    if (!fetch_in_flight_ && appends_pending_ == 0) SendFetch();
  }
}

Result<Epoch> ReplicaManager::Promote(const std::string& advertised_address, bool force) {
  if (!advertised_address.empty()) config_.advertised_address = advertised_address;
  if (leading_) return epoch_;
  if (!force) {
    for (const auto& [name, topic] : topics_.topics()) {
      for (const auto& partition : topic->partitions) {
        auto it = in_sync_.find({name, partition->id().value()});
        if (it != in_sync_.end() && it->second) continue;
        return Conflict("partition " + name + "-" + std::to_string(partition->id().value()) +
                        " was not in sync with the leader: promoting would lose committed "
                        "records; promote with force to accept that");
      }
    }
  }
  GAFKA_RETURN_IF_ERROR(RaiseEpoch(epoch_ + 1));
  leading_ = true;
  old_leader_peer_ = leader_peer_;
  leader_address_ = config_.advertised_address;
  if (fetch_timer_ != kNoTimer) env_.clock.Cancel(fetch_timer_);
  fetch_timer_ = kNoTimer;
  fetch_in_flight_ = false;
  ++fetch_seq_;  // a late reply of the old leader is ignored
  for (const auto& [name, topic] : topics_.topics()) {
    for (const auto& partition : topic->partitions) {
      partition->set_epoch(epoch_);
      if (partition->Serviceable().ok()) UpdatePartition(*partition);
    }
  }
  ScheduleIsrCheck();
  notice_attempts_ = 0;
  SendNotice();
  env_.logger.Log(LogLevel::kWarn,
                  "replication: promoted to leader in epoch " + std::to_string(epoch_.value()));
  return epoch_;
}

void ReplicaManager::SendNotice() {
  if (stopped_ || !leading_ || notice_attempts_ >= config_.notice_attempts_max) return;
  ++notice_attempts_;
  notice_seq_ = static_cast<uint64_t>(epoch_.value()) * 1000 + notice_attempts_;
  Send(old_leader_peer_,
       ReplicaNotice{notice_seq_, epoch_, config_.self, config_.advertised_address});
  notice_timer_ = env_.clock.After(config_.notice_retry_ms, [this] {
    notice_timer_ = kNoTimer;
    SendNotice();
  });
}

// ---- Follower -------------------------------------------------------------------

void ReplicaManager::SendFetch() {
  // With appends pending, their durable callback sends the next fetch.
  if (stopped_ || leading_ || appends_pending_ > 0) return;
  ReplicaFetch fetch;
  fetch.seq = ++fetch_seq_;
  fetch.follower = config_.self;
  fetch.epoch = epoch_;
  fetch.metadata_hash = TopicsHash(TopicList());
  fetch.max_wait_ms = config_.fetch_max_wait_ms;
  fetch.max_bytes = config_.fetch_max_bytes;
  for (const auto& [name, topic] : topics_.topics()) {
    for (const auto& partition : topic->partitions) {
      if (!partition->Serviceable().ok()) continue;
      const PartitionLog& log = partition->log();
      fetch.partitions.push_back(FetchPartition{name, partition->id(), log.end_offset(),
                                                log.durable_offset(), LastEpoch(log)});
    }
  }
  fetch_in_flight_ = true;
  ++fetches_sent_;
  if (fetch_timer_ != kNoTimer) env_.clock.Cancel(fetch_timer_);
  fetch_timer_ = env_.clock.After(config_.fetch_timeout_ms, [this] {
    fetch_timer_ = kNoTimer;
    fetch_in_flight_ = false;
    if (appends_pending_ == 0) SendFetch();  // the reply was lost: ask again
  });
  Send(leader_peer_, fetch);
}

void ReplicaManager::HandleFetchReply(const ReplicaFetchReply& reply) {
  if (leading_ || !fetch_in_flight_ || reply.seq != fetch_seq_) return;  // stale or duplicate
  fetch_in_flight_ = false;
  if (fetch_timer_ != kNoTimer) env_.clock.Cancel(fetch_timer_);
  fetch_timer_ = kNoTimer;
  last_reply_ms_ = env_.clock.NowMs();
  if (reply.epoch > epoch_) {
    Status raised = RaiseEpoch(reply.epoch);
    if (!raised.ok()) {
      env_.logger.Log(LogLevel::kError, "replication: cannot store epoch: " + raised.ToString());
      return;
    }
  }
  if (reply.fenced) {
    // Not the leader (any more): follow its hint if we can resolve it.
    auto peer = reply.leader_address.empty() || !config_.resolve_peer
                    ? std::nullopt
                    : config_.resolve_peer(reply.leader_address);
    if (peer.has_value() && *peer != leader_peer_) {
      leader_peer_ = *peer;
      leader_address_ = reply.leader_address;
    }
    fetch_timer_ = env_.clock.After(config_.fetch_max_wait_ms, [this] {
      fetch_timer_ = kNoTimer;
      SendFetch();
    });
    return;
  }
  ++replies_applied_;
  if (reply.topics) MirrorTopics(*reply.topics);
  const uint64_t seq = fetch_seq_;
  for (const FetchPartitionReply& p : reply.partitions) ApplyPartition(p);
  if (appends_pending_ == 0) OnReplicatedDurable(seq);
}

void ReplicaManager::MirrorTopics(const std::vector<TopicInfo>& topics) {
  std::map<std::string, const TopicInfo*> wanted;
  for (const TopicInfo& t : topics) wanted[t.name] = &t;
  std::vector<std::string> extra;
  for (const auto& [name, topic] : topics_.topics()) {
    auto it = wanted.find(name);
    if (it == wanted.end() || it->second->partitions != topic->info.partitions) {
      extra.push_back(name);
    }
  }
  for (const std::string& name : extra) {
    Status deleted = topics_.Delete(name, hooks_.on_removed);
    if (!deleted.ok()) {
      env_.logger.Log(LogLevel::kWarn, "replication: cannot mirror the delete of " + name + ": " +
                                           deleted.ToString());
    }
  }
  for (const auto& [name, info] : wanted) {
    if (topics_.Find(name) != nullptr) continue;
    auto created = topics_.Create(*info);
    if (created.ok()) {
      for (const auto& partition : (*created)->partitions) {
        partition->set_high_watermark_cap(partition->log().start_offset());
      }
    } else {
      env_.logger.Log(LogLevel::kWarn, "replication: cannot mirror topic " + name + ": " +
                                           created.status().ToString());
    }
  }
}

void ReplicaManager::ApplyPartition(const FetchPartitionReply& reply) {
  Topic* topic = topics_.Find(reply.topic);
  Partition* partition = topic == nullptr ? nullptr : topic->Find(reply.partition);
  if (partition == nullptr || !partition->Serviceable().ok()) return;
  PartitionLog& log = partition->log();
  in_sync_[{reply.topic, reply.partition.value()}] = reply.in_sync;
  partition->set_epoch(std::max(partition->epoch(), epoch_));  // shown in describe/status
  if (reply.status == FetchPartitionStatus::kDiverging) {
    // Never below what the leader told us is committed.
    const Offset floor = std::max(partition->high_watermark(), log.start_offset());
    const Offset target = std::min(std::max(reply.diverging_end_offset, floor), log.end_offset());
    if (target < log.end_offset()) {
      env_.logger.Log(LogLevel::kWarn, "replication: truncating divergent tail of " +
                                           reply.topic + "-" +
                                           std::to_string(reply.partition.value()) + " from " +
                                           std::to_string(log.end_offset().value()) + " to " +
                                           std::to_string(target.value()));
      Status truncated = log.Truncate(target);
      if (!truncated.ok()) {
        env_.logger.Log(LogLevel::kError, "replication: truncate failed: " + truncated.ToString());
      }
      ++truncations_;
    }
    return;
  }
  if (reply.status == FetchPartitionStatus::kOk && !reply.records.empty() &&
      reply.records.front().offset == log.end_offset()) {
    const uint64_t seq = fetch_seq_;
    Status appended = partition->AppendReplicated(reply.records, [this, seq](Status) {
      CHECK(appends_pending_ > 0);
      if (--appends_pending_ == 0) OnReplicatedDurable(seq);
    });
    if (appended.ok()) {
      ++appends_pending_;
    } else {
      env_.logger.Log(LogLevel::kError, "replication: append failed on " + partition->dir() +
                                            ": " + appended.ToString());
    }
  }
  // The follower's HW: what the leader committed, as far as we hold it
  // durably (Partition caps it by the durable offset).
  const Offset before = partition->high_watermark();
  partition->set_high_watermark_cap(std::max(reply.high_watermark, before));
  if (partition->high_watermark() > before) hooks_.on_high_watermark(*partition);
}

void ReplicaManager::OnReplicatedDurable(uint64_t seq) {
  if (stopped_ || leading_ || seq != fetch_seq_ || fetch_in_flight_) return;
  SendFetch();
}

// ---- Status -------------------------------------------------------------------------

std::string ReplicaManager::StatusJson() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("replication");
  w.BeginObject();
  w.Key("role");
  w.String(role());
  w.Key("epoch");
  w.Int(epoch_.value());
  w.Key("leader");
  w.String(leader_address_);
  w.Key("min_insync_replicas");
  w.Int(config_.min_insync_replicas);
  if (!leading_) {
    w.Key("last_reply_ms_ago");
    w.Int(last_reply_ms_ < 0 ? -1 : env_.clock.NowMs() - last_reply_ms_);
    w.Key("truncations");
    w.Int(static_cast<int64_t>(truncations_));
  }
  w.Key("partitions");
  w.BeginArray();
  for (const auto& [name, topic] : topics_.topics()) {
    for (const auto& partition : topic->partitions) {
      w.BeginObject();
      w.Key("topic");
      w.String(name);
      w.Key("partition");
      w.Int(partition->id().value());
      w.Key("log_end_offset");
      w.Int(partition->log().end_offset().value());
      w.Key("high_watermark");
      w.Int(partition->high_watermark().value());
      auto slot = leader_slots_.find({name, partition->id().value()});
      if (leading_ && slot != leader_slots_.end()) {
        w.Key("isr");
        w.BeginArray();
        w.Int(config_.self.value());
        for (NodeId id : slot->second.state->isr_followers()) w.Int(id.value());
        w.EndArray();
        w.Key("followers");
        w.BeginArray();
        for (const auto& [id, f] : slot->second.state->followers()) {
          w.BeginObject();
          w.Key("id");
          w.Int(id.value());
          w.Key("fetch_offset");
          w.Int(f.fetch_offset.value());
          w.Key("durable_offset");
          w.Int(f.durable_offset.value());
          w.Key("in_sync");
          w.Bool(f.in_sync);
          w.EndObject();
        }
        w.EndArray();
      } else if (!leading_) {
        auto it = in_sync_.find({name, partition->id().value()});
        w.Key("in_sync");
        w.Bool(it != in_sync_.end() && it->second);
      }
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return out;
}

}  // namespace gafka
