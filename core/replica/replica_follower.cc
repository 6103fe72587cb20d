// ReplicaManager, follower side: the fetch loop, mirroring the leader's
// topics, appending replicated records and truncating a divergent tail. See
// replica_manager.h.
#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "core/base/check.h"
#include "core/replica/replica_manager.h"

namespace gafka {
namespace {

Epoch LastEpoch(const PartitionLog& log) {
  const auto& starts = log.epoch_starts();
  return starts.empty() ? Epoch(-1) : starts.rbegin()->first;
}

}  // namespace

// ---- Follower -------------------------------------------------------------------

void ReplicaManager::SendFetch(bool pipelined) {
  // With appends pending, their durable callback sends the next fetch (a
  // pipelined fetch aside, sent while they sync).
  if (stopped_ || leading_ || (appends_pending_ > 0 && !pipelined)) return;
  ReplicaFetch fetch;
  fetch.seq = ++fetch_seq_;
  fetch.follower = config_.self;
  fetch.epoch = epoch_;
  fetch.metadata_hash = TopicsHash(TopicList());
  fetch.max_wait_ms = pipelined ? 0 : config_.fetch_max_wait_ms;
  fetch.max_bytes = config_.fetch_max_bytes;
  fetch.offsets_hash = LocalOffsetsHash();
  current_fetch_ = FetchSent{env_.clock.NowMs(), {}};
  for (const auto& [name, topic] : topics_.topics()) {
    for (const auto& partition : topic->partitions) {
      if (!partition->Serviceable().ok()) continue;
      const PartitionLog& log = partition->log();
      fetch.partitions.push_back(FetchPartition{name, partition->id(), log.end_offset(),
                                                log.durable_offset(), LastEpoch(log)});
      current_fetch_.fetch_offset[{name, partition->id().value()}] = log.end_offset();
    }
  }
  fetch_in_flight_ = true;
  ++fetches_sent_;
  if (fetch_timer_ != kNoTimer) env_.clock.Cancel(fetch_timer_);
  // The leader may park the fetch for up to max_wait: the timeout counts from
  // there (a shorter one resent before every answer: superseded, ignored).
  fetch_timer_ = env_.clock.After(fetch.max_wait_ms + config_.fetch_timeout_ms, [this] {
    fetch_timer_ = kNoTimer;
    fetch_in_flight_ = false;
    if (appends_pending_ == 0) SendFetch();  // the reply was lost: ask again
  });
  Send(leader_peer_, fetch);
}

// Records or nothing, from the leader of our epoch: what a reply to a
// pipelined fetch may carry to be applied while earlier appends still sync.
bool ReplicaManager::PlainReply(const ReplicaFetchReply& reply) const {
  if (reply.fenced || reply.epoch != epoch_ || reply.topics || reply.group_offsets) return false;
  for (const FetchPartitionReply& p : reply.partitions) {
    if (p.status != FetchPartitionStatus::kOk) return false;
  }
  return true;
}

void ReplicaManager::HandleFetchReply(const ReplicaFetchReply& reply) {
  if (leading_ || !fetch_in_flight_ || reply.seq != fetch_seq_) return;  // stale or duplicate
  fetch_in_flight_ = false;
  if (fetch_timer_ != kNoTimer) env_.clock.Cancel(fetch_timer_);
  fetch_timer_ = kNoTimer;
  if (appends_pending_ > 0 && !PlainReply(reply)) {
    // A reply to a pipelined fetch that would change more than the logs'
    // tails (a new epoch, a fence, a truncation, a reset, topics, group
    // offsets): dropped. The sync's completion sends a regular fetch, whose
    // reply says it again with nothing in flight.
    ++pipelined_replies_dropped_;
    return;
  }
  last_reply_ms_ = env_.clock.NowMs();
  if (!reply.fenced) {
    leader_id_ = reply.leader;
    if (!reply.leader_address.empty()) leader_address_ = reply.leader_address;
  }
  if (reply.epoch > epoch_) {
    Status raised = RaiseEpoch(reply.epoch);
    if (!raised.ok()) {
      env_.logger.Log(LogLevel::kError, "replication: cannot store epoch: " + raised.ToString());
      return;
    }
    // A promotion lease belongs to a leader's term: a new term (a restarted
    // or new leader) voids every one we held; the leader counts on that once
    // we fetch in its epoch (ReplicaManager::Open, the hold).
    in_sync_.clear();
    caught_up_sent_ms_.clear();
    metadata_lease_sent_ms_ = -1;
    previous_reply_end_.clear();
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
  if (reply.topics) {
    leader_topics_ = *reply.topics;
    MirrorTopics(*reply.topics);
  } else {
    metadata_lease_sent_ms_ = current_fetch_.sent_ms;
  }
  NoteCaughtUp(reply);
  const uint64_t seq = fetch_seq_;
  backoff_ = false;
  const uint64_t appends_before = appends_started_;
  for (const FetchPartitionReply& p : reply.partitions) ApplyPartition(p);
  if (reply.group_offsets) ApplyGroupOffsets(*reply.group_offsets, seq);
  if (appends_pending_ > 0) {
    // The durable callback sends the next fetch, which reports the records
    // durable. Pipelined: while they sync, fetch what the leader has
    // meanwhile (not parked: the report must not wait behind it).
    if (config_.pipelined_fetch && !backoff_ && appends_started_ != appends_before &&
        PlainReply(reply)) {
      SendFetch(/*pipelined=*/true);
    }
    return;
  }
  if (!backoff_) {
    OnReplicatedDurable(seq);
    return;
  }
  fetch_timer_ = env_.clock.After(config_.fetch_max_wait_ms, [this] {
    fetch_timer_ = kNoTimer;
    SendFetch();
  });
}

void ReplicaManager::ResetBehindLeaderStart(Partition& partition, Offset leader_start) {
  PartitionLog& log = partition.log();
  if (leader_start <= log.end_offset()) return;  // a stale answer: nothing to do
  env_.logger.Log(LogLevel::kWarn,
                  "replication: " + partition.topic() + "-" +
                      std::to_string(partition.id().value()) + " needs offset " +
                      std::to_string(log.end_offset().value()) +
                      ", which the leader's retention deleted; restarting the log at the "
                      "leader's log start " +
                      std::to_string(leader_start.value()));
  Status reset = log.ResetTo(leader_start);
  if (!reset.ok()) {
    env_.logger.Log(LogLevel::kError, "replication: reset failed: " + reset.ToString());
    return;
  }
  ++out_of_range_resets_;
}

// The hash of the last set of leader values this follower holds durably
// (not of its whole store: values the leader does not have, e.g. commits an
// old leader made that never replicated, must not make the leader resend
// forever). 0 after a start: the leader sends its set once.
uint64_t ReplicaManager::LocalOffsetsHash() const {
  return hooks_.group_offsets == nullptr ? 0 : applied_offsets_hash_;
}

void ReplicaManager::ApplyGroupOffsets(const std::vector<ReplicatedOffset>& offsets, uint64_t seq) {
  if (hooks_.apply_group_offsets == nullptr) return;
  const uint64_t hash = GroupOffsetsHash(offsets);
  auto applied = hooks_.apply_group_offsets(offsets, [this, seq, hash](Status status) {
    if (status.ok()) {
      applied_offsets_hash_ = hash;
    } else {
      OffsetsStoreFailed(status, hash);
    }
    CHECK(appends_pending_ > 0);
    if (--appends_pending_ == 0) OnReplicatedDurable(seq);
  });
  if (!applied.ok()) {
    OffsetsStoreFailed(applied.status(), hash);
  } else if (*applied) {
    ++appends_pending_;
  } else {
    applied_offsets_hash_ = hash;  // every value was already there
  }
}

void ReplicaManager::OffsetsStoreFailed(const Status& status, uint64_t hash) {
  // The store refuses writes for good (a disk failure). Report the leader's
  // hash anyway so that it does not resend in a tight loop; the error is
  // logged and shown in status: this follower cannot serve groups.
  offsets_failed_ = status;
  applied_offsets_hash_ = hash;
  env_.logger.Log(LogLevel::kError,
                  "replication: storing group offsets failed: " + status.ToString());
}

void ReplicaManager::NoteCaughtUp(const ReplicaFetchReply& reply) {
  // The leader saw this fetch (it answered): caught up at its receipt if its
  // offset reached the leader's end (the reply's end is no smaller), and at
  // the previous fetch's receipt if it reached the end the previous reply
  // showed (LeaderState::OnFetch). Receipt comes after sending.
  for (const FetchPartitionReply& p : reply.partitions) {
    const PartitionKey key{p.topic, p.partition.value()};
    auto sent = current_fetch_.fetch_offset.find(key);
    if (p.status != FetchPartitionStatus::kOk || !p.in_sync ||
        sent == current_fetch_.fetch_offset.end()) {
      previous_reply_end_.erase(key);
      continue;
    }
    Millis& caught_up = caught_up_sent_ms_.try_emplace(key, -1).first->second;
    if (sent->second >= p.log_end_offset) {
      caught_up = std::max(caught_up, current_fetch_.sent_ms);
    } else if (auto prev = previous_reply_end_.find(key); prev != previous_reply_end_.end() &&
                                                          previous_fetch_.sent_ms >= 0 &&
                                                          sent->second >= prev->second) {
      caught_up = std::max(caught_up, previous_fetch_.sent_ms);
    }
    previous_reply_end_[key] = p.log_end_offset;
  }
  previous_fetch_ = current_fetch_;
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
    if (Status forgot = BeforeTopicCreate(name); !forgot.ok()) {
      env_.logger.Log(LogLevel::kWarn,
                      "replication: cannot mirror topic " + name + " yet: " + forgot.ToString());
      continue;
    }
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
  if (reply.status == FetchPartitionStatus::kFailed) {
    backoff_ = true;  // nothing the next fetch can fix at once: do not spin on it
  }
  if (reply.status == FetchPartitionStatus::kOutOfRange) {
    ResetBehindLeaderStart(*partition, reply.log_start_offset);
    return;
  }
  partition->set_epoch(std::max(partition->epoch(), epoch_));  // shown in describe/status
  if (reply.status == FetchPartitionStatus::kDiverging) {
    // To where our log and the leader's agree: the end of the leader's epoch
    // it named, or our own end of that epoch if ours ends first (KIP-101);
    // never below what the leader told us is committed.
    Offset agreed = reply.diverging_end_offset;
    if (reply.diverging_epoch.value() >= 0) {
      const auto& starts = log.epoch_starts();
      auto later = starts.upper_bound(reply.diverging_epoch);
      agreed = std::min(agreed, later == starts.end() ? log.end_offset() : later->second);
    }
    const Offset floor = std::max(partition->high_watermark(), log.start_offset());
    const Offset target = std::min(std::max(agreed, floor), log.end_offset());
    if (target >= log.end_offset()) {
      // Nothing we may truncate (it would go below the HW): do not spin.
      backoff_ = true;
      env_.logger.Log(LogLevel::kWarn, "replication: " + reply.topic + "-" +
                                           std::to_string(reply.partition.value()) +
                                           " diverges from the leader below its HW " +
                                           std::to_string(floor.value()));
    }
    if (target < log.end_offset()) {
      env_.logger.Log(LogLevel::kWarn, "replication: truncating divergent tail of " + reply.topic +
                                           "-" + std::to_string(reply.partition.value()) +
                                           " from " + std::to_string(log.end_offset().value()) +
                                           " to " + std::to_string(target.value()));
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
      ++appends_started_;
    } else {
      env_.logger.Log(LogLevel::kError, "replication: append failed on " + partition->dir() + ": " +
                                            appended.ToString());
    }
  }
  // The follower's HW: what the leader committed, as far as we hold it
  // durably (Partition caps it by the durable offset).
  const Offset before = partition->high_watermark();
  partition->set_high_watermark_cap(std::max(reply.high_watermark, before));
  if (partition->high_watermark() > before) hooks_.on_high_watermark(*partition);
}

void ReplicaManager::OnReplicatedDurable(uint64_t seq) {
  // Not if a fetch is in flight (its reply sends the next one) or scheduled
  // (a back-off). With pipelined fetches a newer fetch than `seq` may have
  // come and gone: the report is still owed.
  if (stopped_ || leading_ || fetch_in_flight_ || fetch_timer_ != kNoTimer) return;
  if (seq != fetch_seq_ && !config_.pipelined_fetch) return;
  SendFetch();
}

}  // namespace gafka
