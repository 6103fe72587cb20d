// GroupCoordinator: offset commits (fenced by generation and ownership),
// committed-offset fetches and resets.
#include <algorithm>
#include <set>
#include <utility>

#include "core/base/check.h"
#include "core/group/group_coordinator.h"

namespace gafka {

using offset_format::ValueKind;

namespace {

constexpr size_t kMaxTopicBytes = 1024;

std::string GenerationText(Generation g) { return std::to_string(g.value()); }

}  // namespace

// Fencing: who may commit in the group's current generation.
Status GroupCoordinator::ValidateCommitter(const CommitArgs& args, Group* group) {
  if (args.consumer_id.empty()) {
    if (group != nullptr && !group->members.empty()) {
      return Conflict("group " + args.group_id + " has " + std::to_string(group->members.size()) +
                          " active members: commit as a member (consumer_id and generation); "
                          "nothing was committed",
                      kDetailNotOwner);
    }
    return Status::Ok();
  }
  if (group == nullptr || !group->members.count(args.consumer_id)) {
    return Conflict("consumer " + args.consumer_id + " is not a member of group " + args.group_id +
                        " (it left, or its session expired): join again; nothing was committed",
                    kDetailNotOwner);
  }
  Touch(args.group_id, group->members.at(args.consumer_id));
  if (args.generation && *args.generation != group->generation) {
    return Conflict("generation " + GenerationText(*args.generation) + " is stale: group " +
                        args.group_id + " is at generation " + GenerationText(group->generation) +
                        "; poll or heartbeat for the new assignment; nothing was committed",
                    kDetailStaleGeneration);
  }
  for (const CommitEntry& e : args.entries) {
    const TopicPartition tp{e.topic, e.partition};
    auto owner = group->owners.find(tp);
    if (owner == group->owners.end() || owner->second != args.consumer_id) {
      return Conflict("consumer " + args.consumer_id + " does not own " + ToString(tp) +
                          " in generation " + GenerationText(group->generation) + " of group " +
                          args.group_id +
                          " (owner: " + (owner == group->owners.end() ? "nobody" : owner->second) +
                          "); nothing was committed",
                      kDetailNotOwner);
    }
  }
  return Status::Ok();
}

Status GroupCoordinator::ValidateEntry(const CommitEntry& e) {
  if (e.topic.empty() || e.topic.size() > kMaxTopicBytes) return InvalidArgument("bad topic name");
  if (e.offset.value() < 0) return InvalidArgument("offsets are >= 0");
  if (e.metadata.size() > config_.max_metadata_bytes) {
    return InvalidArgument("metadata over " + std::to_string(config_.max_metadata_bytes) +
                           " bytes");
  }
  const int32_t count = topics_.PartitionCount(e.topic);
  if (count <= 0) return NotFound("unknown topic " + e.topic, kDetailTopicNotFound);
  if (e.partition.value() < 0 || e.partition.value() >= count) {
    return NotFound("topic " + e.topic + " has no partition " +
                        std::to_string(e.partition.value()) + " (it has " + std::to_string(count) +
                        ")",
                    kDetailPartitionNotFound);
  }
  const TopicPartition tp{e.topic, e.partition};
  GAFKA_ASSIGN_OR_RETURN(const Offset end, topics_.LogEndOffset(tp));
  if (e.offset > end) {
    return OutOfRange("offset " + std::to_string(e.offset.value()) + " of " + ToString(tp) +
                      " is past its log end " + std::to_string(end.value()) +
                      "; nothing was committed");
  }
  return Status::Ok();
}

Status GroupCoordinator::Commit(const CommitArgs& args,
                                std::function<void(Result<CommitOutcome>)> done) {
  CHECK(done != nullptr);
  GAFKA_RETURN_IF_ERROR(CheckIds(args.group_id, args.consumer_id));
  if (args.entries.empty() || args.entries.size() > config_.max_commit_entries) {
    return InvalidArgument("a commit carries 1.." + std::to_string(config_.max_commit_entries) +
                           " offsets");
  }
  std::set<TopicPartition> seen;
  for (const CommitEntry& e : args.entries) {
    if (!seen.insert(TopicPartition{e.topic, e.partition}).second) {
      return InvalidArgument(e.topic + "/" + std::to_string(e.partition.value()) +
                             " is listed twice");
    }
  }
  Group* group = FindGroup(args.group_id);
  GAFKA_RETURN_IF_ERROR(ValidateCommitter(args, group));
  for (const CommitEntry& e : args.entries) GAFKA_RETURN_IF_ERROR(ValidateEntry(e));
  // A failed store acknowledges nothing, not even a commit it would not
  // have to write (a client retrying after a 503 must not get a 200).
  GAFKA_RETURN_IF_ERROR(store_->failed());

  CommitOutcome outcome;
  outcome.group_id = args.group_id;
  outcome.generation = group != nullptr ? group->generation : Generation(0);
  std::vector<OffsetStore::Write> writes;
  for (const CommitEntry& e : args.entries) {
    const OffsetStore::Key key{args.group_id, TopicPartition{e.topic, e.partition}};
    const CommittedOffset* latest = store_->Latest(key);
    CommitEntryResult result{key.tp, e.offset, e.offset, true};
    // Never backwards: an older offset (a redelivered batch committed late)
    // is reported, not applied. An equal one is rewritten only for new metadata.
    // The latest value is not durable yet (a commit in flight): an answer
    // that reports it rewrites it, so that the answer waits for its fsync.
    const CommittedOffset* durable = store_->Durable(key);
    const bool pending = latest != nullptr && (durable == nullptr || !(*durable == *latest));
    if (latest != nullptr && e.offset < latest->offset) {
      result.committed = latest->offset;
      result.applied = false;
      if (pending) writes.push_back({key, {ValueKind::kCommit, *latest}});
    } else if (latest == nullptr || e.offset > latest->offset || e.metadata != latest->metadata) {
      writes.push_back({key, {ValueKind::kCommit, {e.offset, env_.clock.WallMs(), e.metadata}}});
    } else if (pending) {
      writes.push_back({key, {ValueKind::kCommit, *latest}});
    }
    outcome.entries.push_back(std::move(result));
  }

  auto finish = [this, consumer_id = args.consumer_id, outcome = std::move(outcome),
                 done = std::move(done)](Status status) mutable {
    if (!status.ok()) return done(std::move(status));
    Group* now = FindGroup(outcome.group_id);
    if (!consumer_id.empty() && now != nullptr && now->members.count(consumer_id)) {
      outcome.member = Answer(*now, now->members.at(consumer_id));
    }
    done(std::move(outcome));
  };
  if (writes.empty()) {
    Defer([finish = std::move(finish)]() mutable { finish(Status::Ok()); });
    return Status::Ok();
  }
  return store_->Apply(std::move(writes), std::move(finish));
}

Result<GroupOffsets> GroupCoordinator::FetchOffsets(const std::string& group_id) const {
  GAFKA_RETURN_IF_ERROR(CheckIds(group_id, ""));
  if (!KnownGroup(group_id)) {
    return NotFound("unknown group " + group_id + " (no members, no committed offsets)",
                    kDetailGroupNotFound);
  }
  return GroupOffsets{group_id, store_->DurableOfGroup(group_id)};
}

Result<Offset> GroupCoordinator::ResetTarget(const ResetArgs& args, const TopicPartition& tp) {
  GAFKA_ASSIGN_OR_RETURN(const Offset start, topics_.LogStartOffset(tp));
  GAFKA_ASSIGN_OR_RETURN(const Offset end, topics_.LogEndOffset(tp));
  const Offset high = std::max(start, end);
  switch (args.to) {
    case OffsetSpec::kEarliest:
      return start;
    case OffsetSpec::kLatest:
      return high;
    case OffsetSpec::kExplicit:
      break;
  }
  if (args.offset) return std::clamp(*args.offset, start, high);
  CHECK(args.timestamp_ms.has_value());
  GAFKA_ASSIGN_OR_RETURN(const Offset at, topics_.OffsetForTimestamp(tp, *args.timestamp_ms));
  return std::clamp(at, start, high);
}

Status GroupCoordinator::Reset(const ResetArgs& args,
                               std::function<void(Result<ResetOutcome>)> done) {
  CHECK(done != nullptr);
  NoticeScope scope(this);
  GAFKA_RETURN_IF_ERROR(CheckIds(args.group_id, ""));
  if (args.topic.empty() || args.topic.size() > kMaxTopicBytes)
    return InvalidArgument("bad topic name");
  if (args.to == OffsetSpec::kExplicit &&
      args.offset.has_value() == args.timestamp_ms.has_value()) {
    return InvalidArgument(
        "a reset to an explicit position takes exactly one of offset and timestamp");
  }
  const int32_t count = topics_.PartitionCount(args.topic);
  if (count <= 0) return NotFound("unknown topic " + args.topic, kDetailTopicNotFound);
  Group* group = FindGroup(args.group_id);
  const bool active = group != nullptr && !group->members.empty();
  if (active && !args.force) {
    std::string names;
    for (const auto& [id, member] : group->members) names += (names.empty() ? "" : ", ") + id;
    return Conflict("group " + args.group_id + " has active members (" + names +
                    "): stop them first, or reset with force=true");
  }
  ResetOutcome outcome;
  outcome.group_id = args.group_id;
  outcome.topic = args.topic;
  // A forced reset of an active group rebalances below, after the append.
  outcome.rebalanced = active;
  outcome.generation =
      group == nullptr ? Generation(0) : Generation(group->generation.value() + (active ? 1 : 0));
  std::vector<OffsetStore::Write> writes;
  for (int32_t p = 0; p < count; ++p) {
    const TopicPartition tp{args.topic, PartitionId(p)};
    GAFKA_ASSIGN_OR_RETURN(const Offset target, ResetTarget(args, tp));
    outcome.offsets.emplace_back(tp.partition, target);
    writes.push_back({{args.group_id, tp}, {ValueKind::kReset, {target, env_.clock.WallMs(), ""}}});
  }
  GAFKA_RETURN_IF_ERROR(store_->Apply(std::move(writes), [outcome, done](Status status) mutable {
    if (!status.ok()) return done(std::move(status));
    done(std::move(outcome));
  }));
  // Forced: positions on the topic restart from the new offsets, and the new
  // generation fences commits the members made from their old positions.
  if (active) {
    for (auto& [id, member] : group->members) {
      std::erase_if(member.positions, [&](const auto& e) { return e.first.topic == args.topic; });
    }
    Rebalance(*group, "offsets of " + args.topic + " reset by force");
    CHECK(group->generation == outcome.generation);
  }
  return Status::Ok();
}

}  // namespace gafka
