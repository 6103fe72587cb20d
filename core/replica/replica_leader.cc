// ReplicaManager, leader side: answering (and long-polling) follower fetches,
// the epoch end-offset check, fencing and promotion. See replica_manager.h.
#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include "core/base/check.h"
#include "core/replica/replica_manager.h"

namespace gafka {
namespace {

// OffsetsForLeaderEpoch (KIP-101/320): the largest epoch <= `epoch` in a log
// with these epoch starts (-1: none), and where it ends — the start of the
// next epoch, or the log end.
struct EpochEnd {
  Epoch epoch{-1};
  Offset end;
};
EpochEnd EndOfEpoch(const std::map<Epoch, Offset>& starts, Epoch epoch, Offset log_end) {
  auto later = starts.upper_bound(epoch);
  EpochEnd out;
  out.end = later == starts.end() ? log_end : later->second;
  if (later != starts.begin()) out.epoch = std::prev(later)->first;
  return out;
}

// Whether a follower's log (fetch offset, last epoch) is a prefix of ours:
// we hold its last epoch and it does not extend past that epoch's end here.
// Otherwise `*end` is what the follower truncates to (with its own end of
// end->epoch, which it knows and we do not).
bool Consistent(const PartitionLog& log, const FetchPartition& request, EpochEnd* end) {
  if (request.last_epoch.value() < 0) return true;  // an empty log
  *end = EndOfEpoch(log.epoch_starts(), request.last_epoch, log.end_offset());
  return end->epoch == request.last_epoch && request.fetch_offset <= end->end;
}

}  // namespace

// ---- Leader: fetches -----------------------------------------------------------

void ReplicaManager::HandleFetch(NodeId from, ReplicaFetch fetch) {
  if (fetch.epoch > epoch_ && leading_) {
    if (SameEpochLane(NodeId(fetch.epoch.value()), fetch.follower) &&
        !SameEpochLane(fetch.follower, config_.self)) {
      // An epoch the follower led itself (ballots: only it leads its lane),
      // and it follows us now: an old leader restarted as leader after our
      // promotion (the operator's mistake), then restarted as our follower
      // (the runbook). Nobody else leads that epoch, so we go on leading
      // above it; the follower truncates what it wrote in it. Fencing
      // ourselves instead would leave nobody leading.
      const Epoch above = NextLedEpoch(fetch.epoch, config_.self);
      Status raised = RaiseEpoch(above, /*led=*/true);
      if (!raised.ok()) {
        env_.logger.Log(LogLevel::kError, "replication: cannot take epoch " +
                                              std::to_string(above.value()) + " above follower " +
                                              std::to_string(fetch.follower.value()) +
                                              "'s: " + raised.ToString());
        return;  // it retries; so do we
      }
      ForEachPartition([this](Partition& partition) { partition.set_epoch(epoch_); });
      env_.logger.Log(LogLevel::kWarn,
                      "replication: follower " + std::to_string(fetch.follower.value()) +
                          " once led epoch " + std::to_string(fetch.epoch.value()) +
                          " and follows us now; leading on in epoch " +
                          std::to_string(epoch_.value()) + " (what it wrote in its epoch is cut)");
    } else {
      env_.logger.Log(LogLevel::kWarn, "replication: follower " +
                                           std::to_string(fetch.follower.value()) +
                                           " knows epoch " + std::to_string(fetch.epoch.value()) +
                                           " > ours: fenced");
      Fence(fetch.epoch, "", std::nullopt);
    }
  }
  if (leading_ && fetch.epoch == epoch_ && !hold_waiting_.empty()) {
    // It took our epoch from one of our replies, which voided the promotion
    // lease it held from before our restart (a lease belongs to a term).
    hold_waiting_.erase(fetch.follower);
    if (hold_waiting_.empty()) EndHold("every follower that held a lease is back");
  }
  if (parked_.count(from) != 0) AnswerParked(from);  // superseded by this one
  if (leading_ && SameEpochLane(fetch.follower, config_.self)) {
    // It would lead the epochs we lead (broker ids equal modulo
    // kEpochStride): two leaders could share an epoch. Refused, loudly.
    if (lane_refused_.insert(fetch.follower.value()).second) {
      env_.logger.Log(LogLevel::kError,
                      "replication: refusing follower " + std::to_string(fetch.follower.value()) +
                          ": its broker id equals ours (" + std::to_string(config_.self.value()) +
                          ") modulo " + std::to_string(kEpochStride) +
                          "; give every broker a distinct id");
    }
    ReplicaFetchReply refused;
    refused.seq = fetch.seq;
    refused.leader = config_.self;
    refused.epoch = epoch_;
    refused.leader_address = leader_address_;
    for (const FetchPartition& p : fetch.partitions) {
      FetchPartitionReply r;
      r.topic = p.topic;
      r.partition = p.partition;
      r.status = FetchPartitionStatus::kFailed;
      refused.partitions.push_back(std::move(r));
    }
    Send(from, refused);
    return;
  }
  if (leading_) {
    for (const FetchPartition& p : fetch.partitions) {
      Topic* topic = topics_.Find(p.topic);
      Partition* partition = topic == nullptr ? nullptr : topic->Find(p.partition);
      if (partition == nullptr || !partition->Serviceable().ok()) continue;
      // A divergent tail proves nothing: the position counts only once the
      // follower's log is a prefix of ours.
      EpochEnd end;
      if (!Consistent(partition->log(), p, &end)) continue;
      const Offset durable = std::min(p.durable_offset, p.fetch_offset);
      StateFor(*partition)
          .OnFetch(fetch.follower, p.fetch_offset, durable, partition->log().end_offset(),
                   env_.clock.NowMs());
      UpdatePartition(*partition);
    }
    OnOffsetsFetch(fetch.follower, fetch.offsets_hash);
    // In the ISR of every partition we have (vacuously so with none): this
    // fetch may give it a promotion lease, which covers partitions created
    // from now on too (StateFor seeds them with it).
    bool everywhere = true;
    ForEachPartition([&](Partition& partition) {
      if (partition.Serviceable().ok() && !StateFor(partition).InSync(fetch.follower)) {
        everywhere = false;
      }
    });
    if (everywhere) lease_fetch_ms_[fetch.follower] = env_.clock.NowMs();
    CheckTopicWaiters();
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
  if (hooks_.group_offsets != nullptr) {
    RefreshOffsetsCache();
    if (offsets_cache_hash_ != fetch.offsets_hash) {
      OffsetsFollower& f = offsets_followers_[fetch.follower];
      f.sent_version = offsets_version_;
      f.sent_hash = offsets_cache_hash_;
      reply.group_offsets = offsets_cache_;
      *has_data = true;
    }
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
  if (out.in_sync) {
    // Once told it is in sync, the follower holds a promotion lease that
    // outlives a restart of ours: remember that (and who) durably first (see
    // Open). A no-op once the follower is recorded.
    Status marked = epoch_store_.MarkReplicated(follower);
    if (!marked.ok()) {
      env_.logger.Log(LogLevel::kWarn, "replication: cannot record that followers are in sync: " +
                                           marked.ToString());
      out.in_sync = false;
    }
  }
  if (!partition->Serviceable().ok()) {
    out.status = FetchPartitionStatus::kFailed;
    return out;
  }
  // Retention deleted what the follower needs: it must restart from our log
  // start (Kafka's OffsetOutOfRange).
  if (request.fetch_offset < log.start_offset()) {
    out.status = FetchPartitionStatus::kOutOfRange;
    return out;
  }
  // Epoch end-offset check: is the follower's tail a prefix of our log?
  EpochEnd end;
  if (!Consistent(log, request, &end)) {
    out.status = FetchPartitionStatus::kDiverging;
    out.diverging_end_offset = end.end;
    out.diverging_epoch = end.epoch;
    return out;
  }
  // Up to our log end, durable or not (as Kafka): the follower's write and
  // fsync overlap ours. A record we lose in a crash may survive on a
  // follower; a restart as leader takes a new epoch, so the epoch check
  // above makes the follower truncate it (it is above every HW: the HW never
  // passes our durable offset).
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
    FailOffsetWaiters(Conflict("fenced by a newer leader before the offsets were replicated"));
    FailTopicWaiters(Conflict("fenced by a newer leader before the topic was replicated"));
    offsets_followers_.clear();
    lease_fetch_ms_.clear();
    // Our own HW no longer says what is committed (the new leader does): a
    // tail we wrote that the new leader lacks must not be kept by the
    // truncation floor. Readers stop at the log start until its first reply.
    CapHighWatermarksAtLogStart();
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
    if (metadata_lease_sent_ms_ < 0 ||
        env_.clock.NowMs() - metadata_lease_sent_ms_ >= config_.replica_lag_time_max_ms) {
      return Conflict(
          "no recent reply of the leader found this broker holding all its topics: promoting "
          "could lose a topic; promote with force to accept that");
    }
    for (const auto& [name, topic] : topics_.topics()) {
      for (const auto& partition : topic->partitions) {
        auto it = in_sync_.find({name, partition->id().value()});
        auto caught_up = caught_up_sent_ms_.find({name, partition->id().value()});
        // In sync as the leader last said, and that still holds: within the
        // lag time of a caught-up fetch the leader cannot have dropped us
        // from the ISR (and committed records we lack).
        if (it != in_sync_.end() && it->second && caught_up != caught_up_sent_ms_.end() &&
            caught_up->second >= 0 &&
            env_.clock.NowMs() - caught_up->second < config_.replica_lag_time_max_ms) {
          continue;
        }
        return Conflict("partition " + name + "-" + std::to_string(partition->id().value()) +
                        " was not in sync with the leader: promoting would lose committed "
                        "records; promote with force to accept that");
      }
    }
    // Every topic the leader last listed must be here (and so was checked
    // above): one we never mirrored may hold committed records.
    for (const TopicInfo& info : leader_topics_) {
      Topic* local = topics_.Find(info.name);
      if (local == nullptr || local->info.partitions != info.partitions) {
        return Conflict("topic " + info.name +
                        " of the leader is not mirrored here: promoting would lose it; promote "
                        "with force to accept that");
      }
    }
  }
  GAFKA_RETURN_IF_ERROR(RaiseEpoch(NextLedEpoch(epoch_, config_.self), /*led=*/true));
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

}  // namespace gafka
