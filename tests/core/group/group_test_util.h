// A simulated world for coordinator tests: SimClock + SimDisk + a fake
// TopicView, and a GroupCoordinator opened on them. Asynchronous calls
// (commits, resets) run the clock until they answer, so tests read like
// request/response.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/group/group_coordinator.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_disk.h"

namespace gafka::testing {

// Topics with fixed partition counts and log bounds, settable by tests.
class FakeTopics final : public TopicView {
 public:
  void AddTopic(const std::string& topic, int32_t partitions, int64_t end = 1000,
                int64_t start = 0) {
    counts_[topic] = partitions;
    for (int32_t p = 0; p < partitions; ++p) {
      starts_[{topic, PartitionId(p)}] = Offset(start);
      ends_[{topic, PartitionId(p)}] = Offset(end);
    }
  }
  void RemoveTopic(const std::string& topic) { counts_.erase(topic); }
  void SetEnd(const TopicPartition& tp, int64_t end) { ends_[tp] = Offset(end); }
  void SetStart(const TopicPartition& tp, int64_t start) { starts_[tp] = Offset(start); }
  // Timestamp t maps to offset (t - timestamp_base) / 10, clamped to the log.
  void set_timestamp_base(Millis base) { timestamp_base_ = base; }
  void Fail(const TopicPartition& tp) { failing_.insert(tp); }

  int32_t PartitionCount(const std::string& topic) override {
    auto it = counts_.find(topic);
    return it == counts_.end() ? 0 : it->second;
  }
  Result<Offset> LogStartOffset(const TopicPartition& tp) override {
    GAFKA_RETURN_IF_ERROR(Check(tp));
    return starts_.at(tp);
  }
  Result<Offset> LogEndOffset(const TopicPartition& tp) override {
    GAFKA_RETURN_IF_ERROR(Check(tp));
    return ends_.at(tp);
  }
  Result<Offset> OffsetForTimestamp(const TopicPartition& tp, Millis timestamp_ms) override {
    GAFKA_RETURN_IF_ERROR(Check(tp));
    const int64_t at = (timestamp_ms - timestamp_base_) / 10;
    return std::clamp(Offset(at), starts_.at(tp), ends_.at(tp));
  }

 private:
  Status Check(const TopicPartition& tp) const {
    if (failing_.count(tp)) return Unavailable("partition failed", kDetailPartitionFailed);
    auto it = counts_.find(tp.topic);
    if (it == counts_.end() || tp.partition.value() < 0 || tp.partition.value() >= it->second) {
      return NotFound("no such partition " + ToString(tp), kDetailPartitionNotFound);
    }
    return Status::Ok();
  }

  std::map<std::string, int32_t> counts_;
  std::map<TopicPartition, Offset> starts_;
  std::map<TopicPartition, Offset> ends_;
  std::set<TopicPartition> failing_;
  Millis timestamp_base_ = 0;
};

// Syncs take 1..3 ms of virtual time unless a test wants them instant.
inline sim::DiskFaults QuietDisk(Millis sync_min_ms = 1, Millis sync_max_ms = 3) {
  sim::DiskFaults faults;
  faults.sync_latency_min_ms = sync_min_ms;
  faults.sync_latency_max_ms = sync_max_ms;
  return faults;
}

inline GroupConfig TestGroupConfig() {
  GroupConfig config;
  config.offsets_dir = "data/__consumer_offsets";
  return config;
}

class GroupWorld {
 public:
  explicit GroupWorld(uint64_t seed = 1, sim::DiskFaults faults = QuietDisk(),
                      GroupConfig config = TestGroupConfig())
      : disk_(clock_, seed, faults),
        random_(seed),
        env_{clock_, disk_, random_, logger_, buggify_},
        config_(std::move(config)) {}
  ~GroupWorld() { coordinator_.reset(); }

  sim::SimClock& clock() { return clock_; }
  sim::SimDisk& disk() { return disk_; }
  sim::SimLogger& logger() { return logger_; }
  FakeTopics& topics() { return topics_; }
  GroupConfig& config() { return config_; }
  Env& env() { return env_; }
  GroupCoordinator& coordinator() { return *coordinator_; }
  GroupCoordinator* operator->() { return coordinator_.get(); }
  bool is_open() const { return coordinator_ != nullptr; }

  Status Open() {
    auto opened = GroupCoordinator::Open(env_, config_, topics_);
    if (!opened.ok()) return opened.status();
    coordinator_ = std::move(opened).value();
    return Status::Ok();
  }
  void OpenOrDie() {
    Status status = Open();
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  // A clean stop: in-flight syncs finish first, then the process exits.
  void Close() {
    clock_.RunUntil(clock_.NowMs() + 50);
    coordinator_.reset();
  }
  void Reopen() {
    Close();
    OpenOrDie();
  }
  // Power loss: only synced data (and torn tails) remain; the process dies.
  void Crash() {
    disk_.Crash();
    coordinator_.reset();
  }

  // Runs virtual time forward by `ms` (firing timers on the way).
  void Advance(Millis ms) { clock_.RunUntil(clock_.NowMs() + ms); }

  Result<CommitOutcome> CommitAndWait(const CommitArgs& args) {
    std::optional<Result<CommitOutcome>> answer;
    Status status = coordinator_->Commit(args, [&](Result<CommitOutcome> r) {
      EXPECT_FALSE(answer.has_value()) << "done called twice";
      answer.emplace(std::move(r));
    });
    if (!status.ok()) return status;
    EXPECT_FALSE(answer.has_value()) << "done must not run inside Commit";
    clock_.RunUntilCondition([&] { return answer.has_value(); }, 1'000'000);
    if (!answer) return Internal("commit never answered");
    return std::move(*answer);
  }

  Result<ResetOutcome> ResetAndWait(const ResetArgs& args) {
    std::optional<Result<ResetOutcome>> answer;
    Status status =
        coordinator_->Reset(args, [&](Result<ResetOutcome> r) { answer.emplace(std::move(r)); });
    if (!status.ok()) return status;
    EXPECT_FALSE(answer.has_value()) << "done must not run inside Reset";
    clock_.RunUntilCondition([&] { return answer.has_value(); }, 1'000'000);
    if (!answer) return Internal("reset never answered");
    return std::move(*answer);
  }

  // A member commit of one partition in the given (or no) generation.
  Result<CommitOutcome> CommitOne(const std::string& group, const std::string& member,
                                  std::optional<Generation> generation, const std::string& topic,
                                  int32_t partition, int64_t offset) {
    CommitArgs args;
    args.group_id = group;
    args.consumer_id = member;
    args.generation = generation;
    args.entries.push_back(CommitEntry{topic, PartitionId(partition), Offset(offset), ""});
    return CommitAndWait(args);
  }

  // The durable committed offset, or -1.
  int64_t Committed(const std::string& group, const std::string& topic, int32_t partition) {
    const CommittedOffset* c =
        coordinator_->offsets().Durable({group, TopicPartition{topic, PartitionId(partition)}});
    return c == nullptr ? -1 : c->offset.value();
  }

 private:
  sim::SimClock clock_;
  sim::SimDisk disk_;
  sim::SimRandom random_;
  sim::SimLogger logger_;
  NoBuggify buggify_;
  Env env_;
  FakeTopics topics_;
  GroupConfig config_;
  std::unique_ptr<GroupCoordinator> coordinator_;
};

inline std::vector<int32_t> PartitionsOf(const MemberView& member, const std::string& topic = "t") {
  std::vector<int32_t> out;
  for (const TopicPartition& tp : member.assignment) {
    if (tp.topic == topic) out.push_back(tp.partition.value());
  }
  return out;
}

inline TopicPartition TP(const std::string& topic, int32_t partition) {
  return TopicPartition{topic, PartitionId(partition)};
}

// Owner of every partition in the group's current generation, from status.
inline std::map<TopicPartition, std::string> Owners(GroupCoordinator& coordinator,
                                                    const std::string& group) {
  std::map<TopicPartition, std::string> owners;
  Result<GroupStatus> status = coordinator.Describe(group);
  if (!status.ok()) return owners;
  for (const MemberStatus& m : status->members) {
    for (const TopicPartition& tp : m.assignment) {
      EXPECT_TRUE(owners.emplace(tp, m.consumer_id).second) << ToString(tp) << " has two owners";
    }
  }
  return owners;
}

}  // namespace gafka::testing
