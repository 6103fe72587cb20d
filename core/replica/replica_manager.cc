#include "core/replica/replica_manager.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/base/check.h"
#include "core/protocol/errors.h"
#include "core/protocol/json_writer.h"

namespace gafka {
namespace {

ApiError NotLeader(const std::string& leader_address) {
  ApiError error = MakeApiError(api_errors::kNotLeader,
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
      hw_checkpoint_(env.disk, config_.data_dir),
      leading_(!config_.follower),
      leader_address_(config_.follower ? config_.leader_address : config_.advertised_address),
      leader_peer_(config_.leader_peer),
      leader_id_(-1) {
  CHECK(hooks_.on_high_watermark != nullptr && hooks_.on_removed != nullptr);
  CHECK(config_.min_insync_replicas >= 1);
}

ReplicaManager::~ReplicaManager() {
  stopped_ = true;
  transport_.OnReceive([](NodeId, Bytes) {});  // nothing may reach a destroyed manager
  for (TimerId t : {isr_timer_, notice_timer_, fetch_timer_, wake_timer_}) {
    if (t != kNoTimer) env_.clock.Cancel(t);
  }
  for (auto& [from, parked] : parked_) env_.clock.Cancel(parked.timer);
}

Status ReplicaManager::Open() {
  GAFKA_ASSIGN_OR_RETURN(epoch_, epoch_store_.Load());
  if (Status loaded = hw_checkpoint_.Load(); !loaded.ok()) {
    // Safe to go on: every partition then starts its HW at the log start.
    env_.logger.Log(LogLevel::kWarn,
                    "replication: ignoring the HW checkpoint: " + loaded.ToString());
  }
  transport_.OnReceive([this](NodeId from, Bytes message) { OnMessage(from, std::move(message)); });
  if (leading_) {
    // Every start as leader is a new term, restarts included: followers are
    // sent records before we make them durable, so a follower may hold a
    // tail we lost in a crash; records we write from now on carry a new
    // epoch, and the epoch end-offset check makes such a follower truncate
    // that tail. The epoch is our next ballot (NextLedEpoch): never one
    // another broker may lead, whatever it learned meanwhile.
    GAFKA_RETURN_IF_ERROR(RaiseEpoch(NextLedEpoch(epoch_, config_.self), /*led=*/true));
    // A follower told before our restart that it was in sync may still hold
    // its promotion lease (until replica_lag_time_max_ms after its last
    // caught-up fetch); were it promoted, whatever we committed alone would
    // be lost. So nothing new commits (HW, acks=all, group offsets) until
    // every such lease has run out or the followers are back in sync.
    if (epoch_store_.replicated()) {
      hold_until_ms_ = env_.clock.NowMs() + config_.replica_lag_time_max_ms;
      // Or until every follower that may hold such a lease fetched in our
      // new epoch (HandleFetch), when we know them all.
      if (epoch_store_.lease_holders_known()) hold_waiting_ = epoch_store_.lease_holders();
      // And what we appended alone before the restart, past the HW, is not
      // committed either: such a promotion would truncate it. So the HW
      // restarts from the checkpoint (which may lag it, never lead it).
      ForEachPartition([this](Partition& partition) {
        restart_hw_[slot_key(partition)] =
            hw_checkpoint_.Find(partition.topic(), partition.id().value())
                .value_or(partition.log().start_offset());
      });
      env_.logger.Log(LogLevel::kInfo,
                      "replication: restarted as leader with followers; commits wait " +
                          std::to_string(config_.replica_lag_time_max_ms) +
                          " ms for their promotion leases to run out");
      UpdateAllPartitions();  // the commit point is what we hold now; the hold decides
    }
    ScheduleIsrCheck();
  } else {
    // Until the leader says what is committed, nothing local is (a tail
    // kept from before a crash may be divergent).
    CapHighWatermarksAtLogStart();
    SendFetch();
  }
  env_.logger.Log(LogLevel::kInfo, "replication: " + role() + " in epoch " +
                                       std::to_string(epoch_.value()) +
                                       (leading_ ? "" : ", leader " + leader_address_));
  return Status::Ok();
}

void ReplicaManager::Shutdown() {
  CheckpointHighWatermarks();  // a clean restart then hides nothing committed
  stopped_ = true;
  for (auto& [key, slot] : leader_slots_) {
    for (auto& done : slot.state->TakeAllWaiters())
      done(Unavailable("the broker is shutting down"));
  }
  FailOffsetWaiters(Unavailable("the broker is shutting down"));
  FailTopicWaiters(Unavailable("the broker is shutting down"));
  for (TimerId* t : {&isr_timer_, &notice_timer_, &fetch_timer_, &wake_timer_}) {
    if (*t != kNoTimer) env_.clock.Cancel(*t);
    *t = kNoTimer;
  }
  AnswerAllParked();
}

Status ReplicaManager::RaiseEpoch(Epoch epoch, bool led) {
  if (epoch <= epoch_) return Status::Ok();
  GAFKA_RETURN_IF_ERROR(epoch_store_.Store(epoch, led));
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
    if (leading_ && ack->epoch > epoch_) {
      // The old leader was restarted as leader (an operator mistake) and
      // took a higher epoch than our promotion: the higher epoch leads.
      env_.logger.Log(LogLevel::kWarn, "replication: broker " + std::to_string(from.value()) +
                                           " leads epoch " + std::to_string(ack->epoch.value()) +
                                           " > ours: fenced");
      Fence(ack->epoch, "", from);
    }
  }
}

// ---- Produce gate ------------------------------------------------------------

std::optional<ApiError> ReplicaManager::CheckProduce(Topic& topic, Acks acks) {
  if (!leading_) return NotLeader(leader_address_);
  // With min_insync_replicas 1 the leader alone suffices: no per-partition
  // work on the produce path beyond the epoch stamp.
  const bool check_isr = acks == Acks::kAll && config_.min_insync_replicas > 1;
  for (const auto& partition : topic.partitions) {
    partition->set_epoch(epoch_);
    if (!check_isr || !partition->Serviceable().ok()) continue;
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
  // Followers are sent records as soon as they are appended (not once
  // durable): their write and fsync overlap ours. Woken once the loop has
  // run the tasks already queued, so that produces arriving together travel
  // in one reply (and one follower fsync) instead of one each.
  if (!leading_ || parked_.empty() || wake_timer_ != kNoTimer || stopped_) return;
  wake_timer_ = env_.clock.After(0, [this] {
    wake_timer_ = kNoTimer;
    if (leading_) AnswerAllParked();
  });
}

bool ReplicaManager::RefuseCommitWait(const std::string& what, std::function<void(Status)>& done) {
  CHECK(done != nullptr);
  if (stopped_) {
    done(Unavailable("the broker is shutting down"));
    return true;
  }
  if (!leading_) {
    done(Conflict("leadership moved before " + what + " replicated; the leader is " +
                  leader_address_));
    return true;
  }
  return false;
}

void ReplicaManager::UpdateAllPartitions() {
  ForEachPartition([this](Partition& partition) {
    if (partition.Serviceable().ok()) UpdatePartition(partition);
  });
}

void ReplicaManager::CapHighWatermarksAtLogStart() {
  ForEachPartition([](Partition& partition) {
    partition.set_high_watermark_cap(partition.log().start_offset());
  });
}

void ReplicaManager::AnswerAllParked() {
  std::vector<NodeId> parked;
  for (const auto& [from, p] : parked_) parked.push_back(from);
  for (NodeId from : parked) AnswerParked(from);
}

bool ReplicaManager::TopicReplicated(const std::string& name) {
  Topic* topic = topics_.Find(name);
  if (topic == nullptr) return true;  // deleted meanwhile: nothing left to wait for
  for (const auto& partition : topic->partitions) {
    if (partition->Serviceable().ok() && StateFor(*partition).AwaitsFirstFetch()) return false;
  }
  return true;
}

void ReplicaManager::WaitTopicReplicated(const std::string& name,
                                         std::function<void(Status)> done) {
  if (RefuseCommitWait("the topic was", done)) return;
  if (TopicReplicated(name)) {
    done(Status::Ok());
    return;
  }
  topic_waiters_.emplace(name, std::move(done));
  OnAppended();  // parked follower fetches answer now: the reply lists the topic
}

void ReplicaManager::CheckTopicWaiters() {
  if (topic_waiters_.empty() || !leading_) return;
  std::vector<std::function<void(Status)>> ready;
  for (auto it = topic_waiters_.begin(); it != topic_waiters_.end();) {
    if (TopicReplicated(it->first)) {
      ready.push_back(std::move(it->second));
      it = topic_waiters_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& done : ready) done(Status::Ok());
}

void ReplicaManager::FailTopicWaiters(const Status& status) {
  auto waiters = std::move(topic_waiters_);
  topic_waiters_.clear();
  for (auto& [name, done] : waiters) done(status);
}

void ReplicaManager::WaitGroupOffsetsReplicated(std::function<void(Status)> done) {
  if (RefuseCommitWait("the offsets were", done)) return;
  offset_waiters_.emplace(offsets_version_ + 1, std::move(done));
  OnGroupOffsetsChanged();
  CompleteOffsetWaiters();
}

void ReplicaManager::OnOffsetsFetch(NodeId follower, uint64_t follower_hash) {
  if (hooks_.group_offsets == nullptr) return;
  OffsetsFollower& f = offsets_followers_[follower];
  RefreshOffsetsCache();
  if (follower_hash == offsets_cache_hash_) {
    f.acked_version = offsets_version_;
    f.caught_up_ms = env_.clock.NowMs();
  } else if (follower_hash == f.sent_hash) {
    // It holds what it was last sent: caught up as of that reply.
    f.acked_version = std::max(f.acked_version, f.sent_version);
    f.caught_up_ms = env_.clock.NowMs();
  }
  CompleteOffsetWaiters();
}

void ReplicaManager::RefreshOffsetsCache() {
  if (hooks_.group_offsets == nullptr) return;
  if (hooks_.group_offsets_version != nullptr) {
    const uint64_t version = hooks_.group_offsets_version();
    if (offsets_cached_ && version == offsets_cache_store_version_) return;  // unchanged: O(1)
    offsets_cache_store_version_ = version;
  }
  offsets_cache_ = hooks_.group_offsets();
  offsets_cache_hash_ = GroupOffsetsHash(offsets_cache_);
  offsets_cached_ = true;
}

void ReplicaManager::CompleteOffsetWaiters() {
  if (offset_waiters_.empty() || !leading_) return;
  if (env_.clock.NowMs() < hold_until_ms_) return;  // see Open: leases from before a restart
  // The lowest version every follower in sync (for offsets) holds.
  uint64_t covered = offsets_version_;
  const Millis now = env_.clock.NowMs();
  for (const auto& [id, f] : offsets_followers_) {
    if (f.caught_up_ms < 0 || now - f.caught_up_ms > config_.replica_lag_time_max_ms) continue;
    covered = std::min(covered, f.acked_version);
  }
  std::vector<std::function<void(Status)>> ready;
  while (!offset_waiters_.empty() && offset_waiters_.begin()->first <= covered) {
    ready.push_back(std::move(offset_waiters_.begin()->second));
    offset_waiters_.erase(offset_waiters_.begin());
  }
  for (auto& done : ready) done(Status::Ok());
}

void ReplicaManager::FailOffsetWaiters(const Status& status) {
  auto waiters = std::move(offset_waiters_);
  offset_waiters_.clear();
  for (auto& [version, done] : waiters) done(status);
}

void ReplicaManager::OnGroupOffsetsChanged() {
  if (!leading_) return;
  ++offsets_version_;
  AnswerAllParked();
}

void ReplicaManager::WaitCommitted(Partition& partition, Offset end_offset,
                                   std::function<void(Status)> done) {
  if (RefuseCommitWait("the write was", done)) return;
  StateFor(partition).WaitFor(end_offset, std::move(done));
  UpdatePartition(partition);
}

void ReplicaManager::OnDurable(Partition& partition) {
  if (!leading_) return;
  // The HW may advance (acks=all waits complete); parked follower fetches
  // were already woken by the append.
  if (partition.Serviceable().ok()) UpdatePartition(partition);
}

LeaderState& ReplicaManager::StateFor(Partition& partition) {
  LeaderSlot& slot = leader_slots_[slot_key(partition)];
  if (slot.partition != &partition || slot.state == nullptr) {
    // New, or a topic re-created under the same name: start over.
    if (slot.state != nullptr) {
      for (auto& done : slot.state->TakeAllWaiters()) done(NotFound("the partition was deleted"));
    }
    slot.partition = &partition;
    const PartitionLog& log = partition.log();
    Offset initial_hw = log.durable_offset();
    if (auto restart = restart_hw_.find(slot_key(partition)); restart != restart_hw_.end()) {
      initial_hw = std::max(log.start_offset(), std::min(restart->second, initial_hw));
      restart_hw_.erase(restart);
    }
    slot.state = std::make_unique<LeaderState>(initial_hw, config_.replica_lag_time_max_ms);
    slot.state->HoldUntil(hold_until_ms_);
    const Millis now = env_.clock.NowMs();
    for (const auto& [follower, at] : lease_fetch_ms_) {
      if (now - at <= config_.replica_lag_time_max_ms) slot.state->Seed(follower, at);
    }
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
    UpdateAllPartitions();
    CompleteOffsetWaiters();  // a follower that fell behind no longer holds them up
    CheckTopicWaiters();      // so does one that never fetched a new topic
    CheckpointHighWatermarks();
    ScheduleIsrCheck();
  });
}

void ReplicaManager::EndHold(const std::string& why) {
  hold_waiting_.clear();
  if (env_.clock.NowMs() >= hold_until_ms_) return;
  hold_until_ms_ = env_.clock.NowMs();
  for (auto& [key, slot] : leader_slots_) slot.state->HoldUntil(hold_until_ms_);
  env_.logger.Log(LogLevel::kInfo, "replication: commits resume: " + why);
  UpdateAllPartitions();
  CompleteOffsetWaiters();
}

void ReplicaManager::CheckpointHighWatermarks() {
  // Only a leader that had followers in sync restarts from the checkpoint.
  if (stopped_ || !leading_ || !epoch_store_.replicated()) return;
  HwCheckpoint::Entries entries;
  ForEachPartition([&entries](const Partition& partition) {
    entries[slot_key(partition)] = partition.high_watermark();
  });
  if (Status stored = hw_checkpoint_.Store(std::move(entries)); !stored.ok()) {
    env_.logger.Log(LogLevel::kWarn,
                    "replication: cannot write the HW checkpoint: " + stored.ToString());
  }
}

Status ReplicaManager::BeforeTopicCreate(const std::string& name) {
  return hw_checkpoint_.Forget(name);
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
    w.Key("leader_id");
    w.Int(leader_id_.value());
    w.Key("out_of_range_resets");
    w.Int(static_cast<int64_t>(out_of_range_resets_));
    w.Key("fetches_sent");
    w.Int(static_cast<int64_t>(fetches_sent_));
    w.Key("pipelined_replies_dropped");
    w.Int(static_cast<int64_t>(pipelined_replies_dropped_));
    if (!offsets_failed_.ok()) {
      w.Key("group_offsets_error");
      w.String(offsets_failed_.ToString());
    }
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