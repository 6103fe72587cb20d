// GroupCoordinator: consumer groups on the Env — members, sessions,
// generations, server-side assignment, in-session read positions, durable
// committed offsets (OffsetStore), resets, status. One per broker, owned by
// it; single-threaded: every call comes from the core loop.
//
// Model (eager, server-side): every membership change (join, leave, expiry,
// a subscription or partition-count change, a forced reset) bumps the
// group's generation and recomputes the whole assignment at once with the
// configured assignor. Within a generation each partition has at most one
// owner. Generations increase across restarts (boot << 16, then +1 per
// rebalance; the boot count is durable): a generation number is never
// reused for another assignment. Memberships themselves are not durable:
// after a restart members get 404 and join again. A member is alive while it talks to the
// coordinator: join, heartbeat, poll and commit all extend its session; a member with a poll in
// flight never expires (EndPoll extends it); otherwise it expires
// session_timeout_ms after it was last heard from, by a Clock timer.
//
// Positions. A member's in-session position per owned partition starts at
// the group's committed offset (else auto_offset_reset: earliest/latest) and
// advances as EndPoll reports deliveries. A member keeps the positions of
// the partitions it keeps across rebalances and loses the others, so a
// partition that moves is read by its new owner from the committed offset
// (at-least-once).
//
// Commits. Validated against the current generation when they arrive:
// unknown member, stale generation, a partition not owned, an offset past
// the log end — the whole request is refused and nothing of it applied.
// A valid commit never moves an offset backwards (such entries are reported
// applied=false); only Reset does. The answer comes once the offsets are
// durable.
//
// Invariants
// - owners_ of a group is exactly the union of its members' assignments,
//   each partition once;
// - a member's positions only name partitions it owns;
// - every member has exactly one live session timer;
// - listings iterate ordered maps: output never depends on hashing.
//
// Callbacks (`done`, the rebalance listener) run on the loop, never inside
// the call that was given them (listener: at the end of the public call, when
// the state is consistent; it may call back in). Destroy the coordinator only
// after pending commits and resets completed (as for PartitionLog) — or with
// the whole process (a crash).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/env/env.h"
#include "core/group/assignor.h"
#include "core/group/group_types.h"
#include "core/group/offset_store.h"
#include "core/protocol/messages.h"

namespace gafka {

struct JoinOptions {
  std::string topic;                         // "" keeps the subscription as it is
  std::optional<Millis> session_timeout_ms;  // nullopt: GroupConfig::session_timeout_ms
  // An explicit join (the API's join request; not a poll's implicit one):
  // the client (re)starts, so an existing member forgets its in-session
  // positions and reads from the committed offsets. Otherwise a client that
  // restarts under the same id would resume past records it never processed
  // (at-least-once gap; found by gafka-sim scenarios/group-crashes.json).
  bool restart = false;
};

struct PollStart {
  std::string group_id;
  std::string consumer_id;
  std::string topic;
  OffsetSpec auto_offset_reset = OffsetSpec::kLatest;  // kEarliest or kLatest
  bool auto_commit = false;
};

struct PollSource {
  PartitionId partition;
  Offset from;  // read from here
};

struct PollPlan {
  uint64_t poll_id = 0;  // give it back to EndPoll
  MemberView member;
  std::vector<PollSource> sources;  // the member's partitions of the topic, ascending
};

struct PollDelivery {
  PartitionId partition;
  Offset next_offset;  // every record below it was handed to the client
};

struct PollEnd {
  MemberView member;
  // Sources whose records must NOT be delivered: the partition moved to
  // another member, or the position was reset, while the poll was parked.
  std::vector<PartitionId> revoked;
};

struct CommitEntry {
  std::string topic;
  PartitionId partition;
  Offset offset;
  std::string metadata;
};

struct CommitArgs {
  std::string group_id;
  std::string consumer_id;               // "" = a standalone commit (group without members)
  std::optional<Generation> generation;  // nullopt: the member's current generation
  std::vector<CommitEntry> entries;
};

struct CommitEntryResult {
  TopicPartition tp;
  Offset requested;
  Offset committed;      // the group's committed offset after this commit
  bool applied = false;  // false: requested was behind the committed offset
};

struct CommitOutcome {
  std::string group_id;
  Generation generation;
  std::vector<CommitEntryResult> entries;
  std::optional<MemberView> member;  // when a member committed and is still in the group
};

struct ResetArgs {
  std::string group_id;
  std::string topic;
  OffsetSpec to = OffsetSpec::kEarliest;
  std::optional<Offset> offset;        // with kExplicit: this offset (clamped to the log)
  std::optional<Millis> timestamp_ms;  // with kExplicit: the first record at/after it
  bool force = false;                  // reset although members are active
};

struct ResetOutcome {
  std::string group_id;
  std::string topic;
  Generation generation;
  std::vector<std::pair<PartitionId, Offset>> offsets;
  bool rebalanced = false;  // forced with active members: generation bumped
};

struct GroupOffsets {
  std::string group_id;
  std::vector<std::pair<TopicPartition, CommittedOffset>> offsets;  // durable, ascending
};

struct MemberStatus {
  std::string consumer_id;
  std::vector<std::string> topics;
  std::vector<TopicPartition> assignment;
  Millis session_timeout_ms = 0;
  Millis session_expires_in_ms = 0;
  bool poll_in_flight = false;
};

struct PartitionStatus {
  TopicPartition tp;
  std::optional<Offset> committed;  // durable
  std::optional<Offset> log_end;    // high watermark, when the broker knows it
  std::optional<int64_t> lag;       // log_end - committed, when both are known
  std::optional<Offset> position;   // the owner's in-session position
  std::string owner;                // "" = nobody
};

struct GroupStatus {
  std::string group_id;
  GroupState state = GroupState::kEmpty;
  Generation generation;
  AssignorKind assignor = AssignorKind::kRoundRobin;
  std::vector<MemberStatus> members;        // by consumer id
  std::vector<PartitionStatus> partitions;  // by (topic, partition)
  int64_t total_lag = 0;                    // over partitions with a known lag
};

struct GroupSummary {
  std::string group_id;
  GroupState state = GroupState::kEmpty;
  Generation generation;
  size_t members = 0;
};

class GroupCoordinator {
 public:
  using RebalanceListener = std::function<void(const std::string& group_id, Generation)>;

  // Opens the offsets store in config.offsets_dir (recovering committed
  // offsets). `topics` must outlive the coordinator.
  static Result<std::unique_ptr<GroupCoordinator>> Open(Env& env, GroupConfig config,
                                                        TopicView& topics);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // ---- membership ----
  // Adds the member (a rebalance) or, if present, extends its session and
  // adds options.topic to its subscription (a rebalance if new).
  Result<MemberView> Join(const std::string& group_id, const std::string& consumer_id,
                          const JoinOptions& options);
  // Join with the default session, for an implicit join by a first poll.
  Result<MemberView> EnsureMember(const std::string& group_id, const std::string& consumer_id,
                                  const std::string& topic);
  // Extends the session. kNotFound (40403 group / 40404 member) telling the
  // client to join when it is not a member.
  Result<MemberView> Heartbeat(const std::string& group_id, const std::string& consumer_id);
  // Removes the member (a rebalance). kNotFound as Heartbeat. Returns the
  // group's new generation.
  Result<Generation> Leave(const std::string& group_id, const std::string& consumer_id);

  // ---- group polls ----
  // Joins implicitly, then plans one poll: the member's partitions of
  // `topic` and where to read each. kConflict 40904 while the member has a
  // poll in flight; kNotFound 40401 for an unknown topic (nothing joined). Every successful
  // BeginPoll must be followed by exactly one EndPoll with its poll_id.
  Result<PollPlan> BeginPoll(const PollStart& start);
  // Ends the poll: advances positions by `delivered` for partitions still
  // owned with an unchanged position; lists the others in `revoked` (drop
  // their records). kNotFound if the member left or expired meanwhile (drop
  // everything).
  Result<PollEnd> EndPoll(const std::string& group_id, const std::string& consumer_id,
                          uint64_t poll_id, std::span<const PollDelivery> delivered);

  // ---- offsets ----
  // Validates at once: on error returns it (nothing applied, `done` never
  // called). Else calls done once, later, when durable (or with the error
  // that failed the offsets store). Errors: kConflict 40901 not a member /
  // not the owner / standalone commit while members are active, 40902 stale
  // generation; kNotFound 40401/40402 unknown topic/partition; kOutOfRange
  // past the log end; kInvalidArgument bad input; the store's failure.
  Status Commit(const CommitArgs& args, std::function<void(Result<CommitOutcome>)> done);
  // Durable committed offsets of a group; kNotFound 40403 for an unknown group.
  Result<GroupOffsets> FetchOffsets(const std::string& group_id) const;
  // Sets the group's offsets of every partition of `topic`. kConflict while
  // the group has members unless force (then their positions on the topic
  // are dropped and the generation bumped, fencing their commits in flight).
  // Same completion rules as Commit.
  Status Reset(const ResetArgs& args, std::function<void(Result<ResetOutcome>)> done);

  // ---- status ----
  Result<GroupStatus> Describe(const std::string& group_id) const;
  std::vector<GroupSummary> ListGroups() const;

  // The broker's topics changed (created, deleted, repartitioned): groups
  // whose partition counts differ are rebalanced. BeginPoll also notices a
  // change of the polled topic by itself.
  void OnTopicsChanged();
  // Called after every generation bump (e.g. to end parked polls early).
  void SetRebalanceListener(RebalanceListener listener);

  // The member's facts without counting as an answer to it (for error
  // responses and tests); nullopt when it is not a member.
  std::optional<MemberView> FindMember(const std::string& group_id,
                                       const std::string& consumer_id) const;
  // Compacts the offsets log now (admin and tests; it also happens by itself).
  Status CompactOffsetsNow() { return store_->CompactNow(); }
  // For tests and metrics.
  std::optional<Generation> generation(const std::string& group_id) const;
  const OffsetStore& offsets() const { return *store_; }
  // Replication writes the leader's values into a follower's store directly.
  OffsetStore& mutable_offsets() { return *store_; }
  const GroupConfig& config() const { return config_; }

 private:
  struct Member {
    std::string id;
    std::set<std::string> topics;
    Millis session_timeout_ms = 0;
    Millis deadline_ms = 0;  // session end; not enforced while a poll is in flight
    TimerId timer = kNoTimer;
    Millis timer_at_ms = 0;                  // when `timer` fires; <= deadline_ms unless polling
    std::vector<TopicPartition> assignment;  // current generation, ascending
    std::map<TopicPartition, Offset> positions;  // owned partitions only
    Generation seen_generation{-1};              // the last generation it was told
    uint64_t poll_id = 0;                        // 0: no poll in flight
    std::string poll_topic;
    std::map<PartitionId, Offset> poll_from;
  };
  struct Group {
    std::string id;
    Generation generation{0};
    std::map<std::string, Member> members;
    std::map<std::string, int32_t> partition_counts;  // what the assignment used
    std::map<TopicPartition, std::string> owners;     // current generation
  };
  // Flushes rebalance notices when the outermost public call returns.
  class NoticeScope {
   public:
    explicit NoticeScope(GroupCoordinator* c) : c_(c) { ++c_->depth_; }
    ~NoticeScope();
    NoticeScope(const NoticeScope&) = delete;
    NoticeScope& operator=(const NoticeScope&) = delete;

   private:
    GroupCoordinator* c_;
  };

  GroupCoordinator(Env& env, GroupConfig config, TopicView& topics,
                   std::unique_ptr<OffsetStore> store);

  static constexpr int kGenerationBits = 16;
  static constexpr int32_t kGenerationMask = (1 << kGenerationBits) - 1;
  static constexpr uint64_t kMaxBoot = (uint64_t{1} << (31 - kGenerationBits)) - 1;
  static Generation GenerationBase(uint64_t boot);
  Generation NextGeneration(const Group& group);

  // group_coordinator.cc: membership and polls
  Status CheckIds(const std::string& group_id, const std::string& consumer_id) const;
  Status NotMember(const std::string& group_id, const std::string& consumer_id) const;
  Result<Member*> AddOrTouch(Group& group, const std::string& consumer_id,
                             const JoinOptions& options, bool* joined);
  void Touch(const std::string& group_id, Member& member);
  void ArmTimer(const std::string& group_id, Member& member, Millis delay_ms);
  void OnSessionTimer(const std::string& group_id, const std::string& consumer_id);
  void RemoveMember(Group& group, const std::string& consumer_id, const char* why);
  void Rebalance(Group& group, const std::string& why);
  void CheckGroup(const Group& group) const;
  std::map<std::string, int32_t> CurrentCounts(const Group& group) const;
  MemberView Answer(Group& group, Member& member, bool joined = false);
  MemberView ViewOf(const Group& group, const Member& member, bool joined) const;
  GroupState StateOf(const Group& group) const;
  Result<Offset> ResolvePosition(const std::string& group_id, Member& member,
                                 const TopicPartition& tp, OffsetSpec auto_offset_reset);
  void AutoCommit(const Group& group, const Member& member, const std::string& topic);
  Group* FindGroup(const std::string& group_id);
  const Group* FindGroup(const std::string& group_id) const;
  bool KnownGroup(const std::string& group_id) const;
  void Defer(Task task);
  Millis HeartbeatIntervalFor(Millis session_timeout_ms) const;

  // group_offsets.cc: commits and resets
  Status ValidateCommitter(const CommitArgs& args, Group* group);
  Status ValidateEntry(const CommitEntry& entry);
  Result<Offset> ResetTarget(const ResetArgs& args, const TopicPartition& tp);

  Env& env_;
  const GroupConfig config_;
  TopicView& topics_;
  std::unique_ptr<OffsetStore> store_;
  std::map<std::string, Group> groups_;
  uint64_t next_poll_id_ = 1;
  uint64_t next_deferred_ = 1;
  std::map<uint64_t, TimerId> deferred_;
  RebalanceListener listener_;
  std::vector<std::pair<std::string, Generation>> notices_;
  int depth_ = 0;
};

}  // namespace gafka
