// ReplicaManager: this broker's part in leader -> follower replication
// (docs/replication.md). One per Broker, owned by Broker::Impl and created
// only when the broker is given a Transport; without it the broker behaves as
// a single broker (acks=all == acks=1, HW == durable offset). Loop only.
//
// As leader it answers follower fetches (long polling them until data
// arrives; records up to its log end, durable or not), tracks each partition's ISR and HW
// (LeaderState), publishes the HW to the partitions (readers stop there) and completes acks=all
// waits. As follower it runs the fetch loop: one fetch in flight, the next once the previous
// reply's records are durable; it mirrors the leader's topics and truncates a divergent tail when
// the leader says so. Every start as leader and Promote() take this broker's next ballot epoch
// (NextLedEpoch); a leader that learns of a higher epoch is fenced and follows the new leader.
//
// Invariants
// - epoch() never decreases and is durable (EpochStore) before it is used;
// - on a leader, every partition's HW is monotonic and <= its durable offset;
// - an acks=all wait completes ok only once HW >= its end offset; when the
//   broker stops leading, every wait fails (409) instead;
// - at most one fetch in flight from a follower (seq matches the reply).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/broker/topic_manager.h"
#include "core/env/env.h"
#include "core/protocol/messages.h"
#include "core/replica/epoch_store.h"
#include "core/replica/hw_checkpoint.h"
#include "core/replica/leader_state.h"
#include "core/replica/replica_config.h"
#include "core/replica/replica_wire.h"

namespace gafka {

class ReplicaManager {
 public:
  struct BrokerHooks {
    std::function<void(Partition&)> on_high_watermark;  // wake parked reads
    std::function<void(Partition&)> on_removed;         // a mirrored delete: fail its reads
    // Committed group offsets (both null without consumer groups). Leader and
    // follower: every durable value, ascending by (group, topic, partition).
    std::function<std::vector<ReplicatedOffset>()> group_offsets;
    // Changes whenever the durable values (what group_offsets returns) may
    // have changed; null: always recompute. Lets the leader hash the set
    // once per change instead of once per follower fetch.
    std::function<uint64_t()> group_offsets_version;
    // Follower: store the leader's values. Returns true when `done` will run
    // once they are durable, false when nothing needed writing (`done` never
    // runs), or the error (`done` never runs).
    std::function<Result<bool>(const std::vector<ReplicatedOffset>&, std::function<void(Status)>)>
        apply_group_offsets;
  };

  ReplicaManager(Env& env, Transport& transport, TopicManager& topics, ReplicaConfig config,
                 BrokerHooks hooks);
  ~ReplicaManager();
  ReplicaManager(const ReplicaManager&) = delete;
  ReplicaManager& operator=(const ReplicaManager&) = delete;

  // Loads the epoch; a leader takes its next ballot epoch (durably), restarts
  // included; a follower starts fetching.
  Status Open();
  // Fails acks=all waits (503), stops timers and the fetch loop.
  void Shutdown();

  // Produce gate: nullopt, or the error to answer (409 not the leader, 503
  // too few in-sync replicas for acks=all). Also stamps the leader epoch on
  // the topic's partitions.
  std::optional<ApiError> CheckProduce(Topic& topic, Acks acks);
  // Topic create/delete: 409 with the leader hint on a follower.
  std::optional<ApiError> CheckAdminWrite() const;
  // After a topic was created on the leader: `done` runs once every follower
  // that may hold a promotion lease has fetched each of its partitions (or
  // dropped out of their ISR): only then could a promotion not lose it. Ok
  // at once without such followers; 409 when leadership moves first, 503 on
  // shutdown.
  void WaitTopicReplicated(const std::string& name, std::function<void(Status)> done);
  // Before a topic is created (or mirrored): forgets a checkpointed HW kept
  // under its name, durably. An error: do not create it now.
  Status BeforeTopicCreate(const std::string& name);
  // After a produce appended: wakes parked follower fetches (followers are
  // sent records up to the log end, before they are durable here).
  void OnAppended();
  // A group offsets commit or reset became durable: wakes parked follower
  // fetches so the new values replicate at once.
  void OnGroupOffsetsChanged();
  // The same, and `done` runs once every follower in sync for group offsets
  // (it had every value within replica_lag_time_max_ms) holds this change
  // durably: ok; or with 409 when leadership moves first, 503 on shutdown.
  // With no such follower, at once.
  void WaitGroupOffsetsReplicated(std::function<void(Status)> done);
  // The id of the leader this broker follows (itself when leading; the
  // configured peer id until the first reply names the leader).
  NodeId leader_id() const { return leading_ ? config_.self : leader_id_; }
  // acks=all: `done` runs once HW >= end_offset (ok), or with an error.
  void WaitCommitted(Partition& partition, Offset end_offset, std::function<void(Status)> done);
  // After a durable callback of `partition` (the leader's own durability).
  void OnDurable(Partition& partition);

  // Follower -> leader of epoch() + 1. `advertised_address`: where clients
  // reach us (empty: the configured one). Refused (kConflict) unless every
  // partition was in sync as the leader last said, or `force` (an unclean
  // promotion: committed records the follower lacks are lost).
  Result<Epoch> Promote(const std::string& advertised_address, bool force);

  // The broker sets the optional hooks (group offsets) after construction.
  BrokerHooks& mutable_hooks() { return hooks_; }
  bool leading() const { return leading_; }
  Epoch epoch() const { return epoch_; }
  std::string role() const { return leading_ ? "leader" : "follower"; }
  const std::string& leader_address() const { return leader_address_; }
  // {"replication": {...}} for the status endpoint.
  std::string StatusJson() const;

 private:
  struct LeaderSlot {
    const Partition* partition = nullptr;
    std::unique_ptr<LeaderState> state;
  };
  struct ParkedFetch {
    ReplicaFetch request;
    TimerId timer = kNoTimer;
  };
  using PartitionKey = std::pair<std::string, int32_t>;

  void OnMessage(NodeId from, Bytes message);
  // Leader side.
  void HandleFetch(NodeId from, ReplicaFetch fetch);
  ReplicaFetchReply BuildReply(const ReplicaFetch& fetch, bool* has_data);
  FetchPartitionReply ReadPartition(const FetchPartition& request, NodeId follower, size_t* budget);
  void AnswerParked(NodeId from);
  void HandleNotice(NodeId from, const ReplicaNotice& notice);
  LeaderState& StateFor(Partition& partition);
  void UpdatePartition(Partition& partition);
  void UpdateAllPartitions();  // UpdatePartition on every serviceable partition
  // `fn(partition)` for every partition of every topic.
  template <typename Fn>
  void ForEachPartition(Fn&& fn) const {
    for (const auto& [name, topic] : topics_.topics()) {
      for (const auto& partition : topic->partitions) fn(*partition);
    }
  }
  // Until a leader says what is committed, nothing local is: readers stop at
  // the log start (a follower's start; a fenced leader).
  void CapHighWatermarksAtLogStart();
  // Answers every parked follower fetch now.
  void AnswerAllParked();
  bool TopicReplicated(const std::string& name);
  void CheckTopicWaiters();
  void FailTopicWaiters(const Status& status);
  // Answers `done` at once (and returns true) when no commit can be waited
  // for: shutting down, or no longer leading ("... before <what> replicated").
  bool RefuseCommitWait(const std::string& what, std::function<void(Status)>& done);
  void ScheduleIsrCheck();
  // Ends the restart hold now (Open): commits follow the ISR rules again.
  void EndHold(const std::string& why);
  // Leader with followers: every partition's HW into the checkpoint (each
  // ISR check, and at shutdown).
  void CheckpointHighWatermarks();
  static PartitionKey slot_key(const Partition& p) { return {p.topic(), p.id().value()}; }
  void Fence(Epoch epoch, const std::string& leader_address, std::optional<NodeId> leader_peer);
  // Follower side.
  // `pipelined`: sent while the last reply's records sync; the leader answers
  // it at once (max_wait 0).
  void SendFetch(bool pipelined = false);
  bool PlainReply(const ReplicaFetchReply& reply) const;
  void HandleFetchReply(const ReplicaFetchReply& reply);
  void NoteCaughtUp(const ReplicaFetchReply& reply);
  void MirrorTopics(const std::vector<TopicInfo>& topics);
  void ApplyPartition(const FetchPartitionReply& reply);
  void ApplyGroupOffsets(const std::vector<ReplicatedOffset>& offsets, uint64_t seq);
  uint64_t LocalOffsetsHash() const;
  // Leader: this broker's durable group offsets and their hash, recomputed
  // only when hooks_.group_offsets_version moved.
  void RefreshOffsetsCache();
  void OffsetsStoreFailed(const Status& status, uint64_t hash);
  // The leader's retention deleted what `partition` needs next: restart its
  // log empty at the leader's log start.
  void ResetBehindLeaderStart(Partition& partition, Offset leader_start);
  void OnReplicatedDurable(uint64_t seq);
  void SendNotice();
  // `led`: we lead `epoch` (promotion, first start), not merely learned of it.
  Status RaiseEpoch(Epoch epoch, bool led = false);
  std::vector<TopicInfo> TopicList() const;
  // Leader: a follower's group offsets position from its fetch; completes
  // the commit waits it covers.
  void OnOffsetsFetch(NodeId follower, uint64_t follower_hash);
  void CompleteOffsetWaiters();
  void FailOffsetWaiters(const Status& status);
  void Send(NodeId to, const ReplicaMessage& message);

  Env& env_;
  Transport& transport_;
  TopicManager& topics_;
  ReplicaConfig config_;
  BrokerHooks hooks_;
  EpochStore epoch_store_;
  HwCheckpoint hw_checkpoint_;  // leader with followers: every partition's HW
  Epoch epoch_{0};
  bool leading_ = true;
  bool stopped_ = false;
  std::string leader_address_;
  NodeId leader_peer_{0};
  // Leader state.
  std::map<PartitionKey, LeaderSlot> leader_slots_;
  std::map<NodeId, ParkedFetch> parked_;
  TimerId isr_timer_ = kNoTimer;
  TimerId wake_timer_ = kNoTimer;  // OnAppended: parked fetches answered after the queued tasks
  NodeId old_leader_peer_{0};
  // Per follower: when we received its latest fetch that found it in the
  // ISR of every partition (a fetch that may have given it a promotion
  // lease); new partitions start with it in their ISR (LeaderState::Seed).
  std::map<NodeId, Millis> lease_fetch_ms_;
  std::multimap<std::string, std::function<void(Status)>> topic_waiters_;
  std::set<int32_t> lane_refused_;  // follower ids refused (same epoch lane), logged once
  // Group offsets replication (leader): a version per durable change; per
  // follower what it was last sent and what it holds; commit waits.
  struct OffsetsFollower {
    uint64_t sent_version = 0;
    uint64_t sent_hash = 0;
    uint64_t acked_version = 0;
    Millis caught_up_ms = -1;  // last time it held every value
  };
  uint64_t offsets_version_ = 0;
  bool offsets_cached_ = false;
  uint64_t offsets_cache_store_version_ = 0;
  uint64_t offsets_cache_hash_ = 0;
  std::vector<ReplicatedOffset> offsets_cache_;
  std::map<NodeId, OffsetsFollower> offsets_followers_;
  std::multimap<uint64_t, std::function<void(Status)>> offset_waiters_;
  int notice_attempts_ = 0;
  uint64_t notice_seq_ = 0;
  TimerId notice_timer_ = kNoTimer;
  // Follower state.
  uint64_t fetch_seq_ = 0;
  bool fetch_in_flight_ = false;
  size_t appends_pending_ = 0;
  uint64_t appends_started_ = 0;            // replicated appends ever started
  uint64_t pipelined_replies_dropped_ = 0;  // not plain: left to the next regular fetch
  TimerId fetch_timer_ = kNoTimer;
  Millis last_reply_ms_ = -1;
  // Leader: nothing commits before this time (a restart with followers; Open).
  Millis hold_until_ms_ = -1;
  // Leader restarted with followers: where each partition's HW starts (the
  // checkpoint's value, else the log start), taken by StateFor.
  std::map<PartitionKey, Offset> restart_hw_;
  // The followers that may still hold a lease from before our restart; the
  // hold ends early once each fetched in our epoch (empty: unknown or none).
  std::set<NodeId> hold_waiting_;
  std::map<PartitionKey, bool> in_sync_;  // as the leader last said
  std::vector<TopicInfo> leader_topics_;  // the leader's topics, as its last list said
  // When we sent the latest fetch whose reply found us holding every topic
  // of the leader (no new list): a promotion lease needs one within the lag
  // time, whatever partitions there are (none included).
  Millis metadata_lease_sent_ms_ = -1;
  NodeId leader_id_{0};                // as the leader's last reply said
  uint64_t applied_offsets_hash_ = 0;  // of the leader's values we hold durably
  Status offsets_failed_;              // the local offsets store refused a write
  uint64_t out_of_range_resets_ = 0;
  bool backoff_ = false;  // the last reply had a partition the leader cannot serve
  // Promotion lease: the leader drops a follower from the ISR only once it
  // has not been caught up for replica_lag_time_max_ms, counted from the
  // receipt of a caught-up fetch. Per partition: when the latest fetch we
  // know the leader saw as caught up was sent (-1: none); a promotion is
  // safe (no committed record missing) only within the lag time of it.
  struct FetchSent {
    Millis sent_ms = -1;
    std::map<PartitionKey, Offset> fetch_offset;
  };
  FetchSent current_fetch_, previous_fetch_;
  std::map<PartitionKey, Offset> previous_reply_end_;  // leader's log end in the last reply
  std::map<PartitionKey, Millis> caught_up_sent_ms_;
  uint64_t fetches_sent_ = 0, replies_applied_ = 0, truncations_ = 0;
};

}  // namespace gafka
