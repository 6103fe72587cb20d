// GroupService: the broker's consumer groups. Plugs core/group's
// GroupCoordinator into the Broker: it is the GroupRequestHandler every group
// request is routed to, and the TopicView the coordinator reads the broker's
// topics through. Owned by the Broker (Broker::Impl); used only from the
// core loop.
//
// Requests. Join, leave, heartbeat, commit, fetch offsets, status, list and
// reset go to GroupApi. Group polls are served here, around the
// coordinator's BeginPoll / EndPoll:
//   1. BeginPoll joins implicitly and plans the member's partitions of the
//      topic with a start offset each (in-session position, else the
//      committed offset, else auto_offset_reset);
//   2. the partitions are read up to their high watermark, round-robin from
//      a rotating start so one busy partition cannot starve the others,
//      within max_count / max_bytes;
//   3. with nothing to read and timeout_ms > 0 the poll parks. It wakes on a
//      durable advance of one of its partitions (OnDurable), on a rebalance
//      of its group (it then ends its plan and plans again, so the first poll
//      of a member that owns nothing yet waits for its assignment and then
//      for data), or at its deadline (answered empty);
//   4. EndPoll advances the member's positions; records of partitions
//      revoked meanwhile are dropped, never delivered.
// A second poll of a member with one in flight is 409 (the coordinator's).
//
// Invariants
// - every parked poll is in parked_ and in by_topic_[its topic], holds
//   exactly one successful BeginPoll (ended by exactly one EndPoll) and one
//   live deadline timer; parked_.size() <= max_waiters;
// - a poll's `done` runs exactly once, after it left every index;
// - parked polls are scanned in id (arrival) order: output never depends on
//   addresses or hashing;
// - pending_writes_ counts commits/resets whose answer has not been given.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/broker/group_requests.h"
#include "core/broker/metrics.h"
#include "core/broker/partition.h"
#include "core/broker/topic_manager.h"
#include "core/env/env.h"
#include "core/group/group_api.h"
#include "core/group/group_coordinator.h"

namespace gafka {

class GroupService final : public GroupRequestHandler, public TopicView {
 public:
  struct Limits {
    size_t max_waiters = 10'000;  // parked group polls
    int32_t max_count = 10'000;
    int64_t max_bytes = 16 << 20;
    Millis max_timeout_ms = 30'000;
  };

  // Opens the coordinator (recovering committed offsets from
  // config.offsets_dir). `topics` and `metrics` must outlive the service.
  static Result<std::unique_ptr<GroupService>> Open(Env& env, GroupConfig config,
                                                    TopicManager& topics, BrokerMetrics& metrics,
                                                    Limits limits);
  ~GroupService() override;
  GroupService(const GroupService&) = delete;
  GroupService& operator=(const GroupService&) = delete;

  // GroupRequestHandler
  void Handle(ApiRequest request, std::function<void(ApiResponse)> done) override;

  // A durable callback of `partition` ran: wakes the parked polls that can
  // read it now.
  void OnDurable(Partition& partition);
  // Topics were created, deleted or repartitioned: the coordinator
  // rebalances the groups concerned (which re-plans their parked polls).
  void OnTopicsChanged();
  // Graceful stop: every parked poll ends and is answered empty.
  void CompleteAllEmpty();
  // No commit, reset or offsets write is waiting for durability.
  bool idle() const { return pending_writes_ == 0 && coordinator_->offsets().idle(); }

  size_t parked() const { return parked_.size(); }
  GroupCoordinator& coordinator() { return *coordinator_; }

  // TopicView
  int32_t PartitionCount(const std::string& topic) override;
  Result<Offset> LogStartOffset(const TopicPartition& tp) override;
  Result<Offset> LogEndOffset(const TopicPartition& tp) override;
  Result<Offset> OffsetForTimestamp(const TopicPartition& tp, Millis timestamp_ms) override;

 private:
  using Done = std::function<void(ApiResponse)>;
  struct Parked {
    GroupPollRequest request;
    PollPlan plan;
    Millis deadline_ms = 0;
    TimerId timer = kNoTimer;
    Done done;
  };
  // What one pass over a plan's partitions read.
  struct ReadResult {
    std::vector<ConsumedRecord> records;
    std::vector<PollDelivery> delivered;
    Status failure;  // every source failed (e.g. partitions refusing service)
  };

  GroupService(Env& env, TopicManager& topics, BrokerMetrics& metrics, Limits limits);

  void Poll(GroupPollRequest request, Done done);
  ReadResult Read(const GroupPollRequest& request, const PollPlan& plan);
  bool Readable(const std::string& topic, const PollPlan& plan) const;
  // Ends `plan` and answers: the records read (minus revoked partitions) or
  // the coordinator's error.
  void Finish(const GroupPollRequest& request, const PollPlan& plan, ReadResult read,
              const Done& done);
  void Park(GroupPollRequest request, PollPlan plan, Millis deadline_ms, Done done);
  // Removes a parked poll from every index, cancelling its timer.
  Parked Unpark(uint64_t id, bool cancel_timer = true);
  void OnDeadline(uint64_t id);
  void OnRebalance(const std::string& group_id);
  // Ends a parked poll's plan and starts a new one (the assignment changed).
  void Replan(uint64_t id);
  Partition* FindPartition(const std::string& topic, PartitionId partition) const;

  Env& env_;
  TopicManager& topics_;
  BrokerMetrics& metrics_;
  const Limits limits_;
  std::unique_ptr<GroupCoordinator> coordinator_;
  std::unique_ptr<GroupApi> api_;
  uint64_t next_parked_id_ = 1;
  uint64_t rotation_ = 0;  // start partition of the next read (fairness)
  std::map<uint64_t, Parked> parked_;
  std::map<std::string, std::set<uint64_t>> by_topic_;
  std::set<std::string> rebalanced_;  // groups whose parked polls re-plan at rebalance_timer_
  TimerId rebalance_timer_ = kNoTimer;
  size_t pending_writes_ = 0;
};

}  // namespace gafka
