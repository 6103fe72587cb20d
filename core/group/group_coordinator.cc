// GroupCoordinator: open, membership, sessions and rebalances. Polls are in
// group_polls.cc, commits and resets in group_offsets.cc, status in
// group_status.cc.
#include "core/group/group_coordinator.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"

namespace gafka {
namespace {

// Ids reach JSON, logs and offset keys (u16 lengths); the HTTP decoder
// already holds them to 128 characters.
constexpr size_t kMaxIdBytes = 1024;

std::string ListText(const std::vector<TopicPartition>& partitions) {
  std::string out = "[";
  for (const TopicPartition& tp : partitions) {
    if (out.size() > 1) out += ",";
    out += ToString(tp);
  }
  return out + "]";
}

}  // namespace

GroupCoordinator::NoticeScope::~NoticeScope() {
  if (--c_->depth_ > 0) return;
  CHECK(c_->depth_ == 0);
  std::vector<std::pair<std::string, Generation>> notices;
  notices.swap(c_->notices_);
  if (!c_->listener_) return;
  for (const auto& [group_id, generation] : notices) c_->listener_(group_id, generation);
}

GroupCoordinator::GroupCoordinator(Env& env, GroupConfig config, TopicView& topics,
                                   std::unique_ptr<OffsetStore> store)
    : env_(env), config_(std::move(config)), topics_(topics), store_(std::move(store)) {
  CHECK(store_ != nullptr);
  CHECK(config_.session_timeout_ms_min > 0);
  CHECK(config_.session_timeout_ms_min <= config_.session_timeout_ms);
  CHECK(config_.session_timeout_ms <= config_.session_timeout_ms_max);
  CHECK(config_.heartbeat_interval_ms > 0);
  CHECK(config_.max_members_per_group > 0 && config_.max_topics_per_member > 0);
}

GroupCoordinator::~GroupCoordinator() {
  for (auto& [group_id, group] : groups_) {
    for (auto& [member_id, member] : group.members) env_.clock.Cancel(member.timer);
  }
  for (const auto& [key, timer] : deferred_) env_.clock.Cancel(timer);
}

Result<std::unique_ptr<GroupCoordinator>> GroupCoordinator::Open(Env& env, GroupConfig config,
                                                                 TopicView& topics) {
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<OffsetStore> store, OffsetStore::Open(env, config));
  if (store->boot() > kMaxBoot) {
    return Unavailable("group generations exhausted: " + config.offsets_dir + "/BOOT is at " +
                       std::to_string(store->boot()));
  }
  return std::unique_ptr<GroupCoordinator>(
      new GroupCoordinator(env, std::move(config), topics, std::move(store)));
}

void GroupCoordinator::SetRebalanceListener(RebalanceListener listener) {
  listener_ = std::move(listener);
}

// ---- helpers -----------------------------------------------------------------

Status GroupCoordinator::CheckIds(const std::string& group_id,
                                  const std::string& consumer_id) const {
  if (group_id.empty() || group_id.size() > kMaxIdBytes) {
    return InvalidArgument("group_id must be 1.." + std::to_string(kMaxIdBytes) + " bytes");
  }
  if (consumer_id.size() > kMaxIdBytes) {
    return InvalidArgument("consumer_id must be 1.." + std::to_string(kMaxIdBytes) + " bytes");
  }
  return Status::Ok();
}

GroupCoordinator::Group* GroupCoordinator::FindGroup(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : &it->second;
}

const GroupCoordinator::Group* GroupCoordinator::FindGroup(const std::string& group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : &it->second;
}

bool GroupCoordinator::KnownGroup(const std::string& group_id) const {
  return FindGroup(group_id) != nullptr || store_->HasGroup(group_id);
}

// 404 with the way out: join (or simply poll, which joins).
Status GroupCoordinator::NotMember(const std::string& group_id,
                                   const std::string& consumer_id) const {
  const std::string how = "; join first (POST /api/v1/consumer-groups/" + group_id + "/members/" +
                          consumer_id + "/join, or a group poll, which joins)";
  if (!KnownGroup(group_id)) {
    return NotFound("unknown group " + group_id + how, kDetailGroupNotFound);
  }
  return NotFound("consumer " + consumer_id + " is not a member of group " + group_id +
                      " (it left, or its session expired)" + how,
                  kDetailMemberNotFound);
}

Millis GroupCoordinator::HeartbeatIntervalFor(Millis session_timeout_ms) const {
  // At least three heartbeats per session, so one lost heartbeat is harmless.
  return std::max<Millis>(1, std::min(config_.heartbeat_interval_ms, session_timeout_ms / 3));
}

GroupState GroupCoordinator::StateOf(const Group& group) const {
  if (group.members.empty()) return GroupState::kEmpty;
  for (const auto& [id, member] : group.members) {
    if (member.seen_generation != group.generation) return GroupState::kRebalancing;
  }
  return GroupState::kStable;
}

// The member is being answered: from now on it knows the current generation.
MemberView GroupCoordinator::Answer(Group& group, Member& member, bool joined) {
  member.seen_generation = group.generation;
  return ViewOf(group, member, joined);
}

MemberView GroupCoordinator::ViewOf(const Group& group, const Member& member, bool joined) const {
  MemberView view;
  view.group_id = group.id;
  view.consumer_id = member.id;
  view.generation = group.generation;
  view.state = StateOf(group);
  view.topics.assign(member.topics.begin(), member.topics.end());
  view.assignment = member.assignment;
  view.session_timeout_ms = member.session_timeout_ms;
  view.session_expires_in_ms = member.poll_id != 0
                                   ? member.session_timeout_ms
                                   : std::max<Millis>(0, member.deadline_ms - env_.clock.NowMs());
  view.heartbeat_interval_ms = HeartbeatIntervalFor(member.session_timeout_ms);
  view.joined = joined;
  return view;
}

void GroupCoordinator::Defer(Task task) {
  const uint64_t key = next_deferred_++;
  deferred_[key] = env_.clock.After(0, [this, key, task = std::move(task)] {
    deferred_.erase(key);
    task();
  });
}

// ---- sessions ------------------------------------------------------------------

void GroupCoordinator::Touch(const std::string& group_id, Member& member) {
  member.deadline_ms = env_.clock.NowMs() + member.session_timeout_ms;
  // A shorter session (a rejoin asking for less) may end before the timer.
  if (member.timer != kNoTimer && member.timer_at_ms > member.deadline_ms) {
    env_.clock.Cancel(member.timer);
    member.timer = kNoTimer;
  }
  if (member.timer == kNoTimer) ArmTimer(group_id, member, member.session_timeout_ms);
}

void GroupCoordinator::ArmTimer(const std::string& group_id, Member& member, Millis delay_ms) {
  CHECK(member.timer == kNoTimer);
  delay_ms = std::max<Millis>(0, delay_ms);
  member.timer_at_ms = env_.clock.NowMs() + delay_ms;
  member.timer = env_.clock.After(
      delay_ms, [this, group_id, id = member.id] { OnSessionTimer(group_id, id); });
}

// Lazy timers: a heartbeat only moves the deadline; the timer, when it
// fires, re-arms itself for the new deadline or expires the member. One
// timer per member, no Cancel per heartbeat.
void GroupCoordinator::OnSessionTimer(const std::string& group_id, const std::string& consumer_id) {
  NoticeScope scope(this);
  Group* group = FindGroup(group_id);
  CHECK(group != nullptr);
  auto it = group->members.find(consumer_id);
  CHECK(it != group->members.end());
  Member& member = it->second;
  member.timer = kNoTimer;
  const Millis now = env_.clock.NowMs();
  if (member.poll_id != 0) {
    ArmTimer(group_id, member, member.session_timeout_ms);  // alive while it polls
  } else if (now < member.deadline_ms) {
    ArmTimer(group_id, member, member.deadline_ms - now);
  } else {
    RemoveMember(*group, consumer_id, "session expired");
  }
}

// ---- membership ------------------------------------------------------------------

Result<GroupCoordinator::Member*> GroupCoordinator::AddOrTouch(Group& group,
                                                               const std::string& consumer_id,
                                                               const JoinOptions& options,
                                                               bool* joined) {
  CHECK(joined != nullptr);
  *joined = false;
  auto it = group.members.find(consumer_id);
  const bool subscribes = !options.topic.empty();
  if (it == group.members.end()) {
    if (group.members.size() >= config_.max_members_per_group) {
      return Unavailable("group " + group.id + " is full (" +
                         std::to_string(config_.max_members_per_group) + " members)");
    }
    Member member;
    member.id = consumer_id;
    member.session_timeout_ms = options.session_timeout_ms.value_or(config_.session_timeout_ms);
    if (subscribes) member.topics.insert(options.topic);
    it = group.members.emplace(consumer_id, std::move(member)).first;
    Touch(group.id, it->second);
    *joined = true;
    Rebalance(group, consumer_id + " joined");
    return &it->second;
  }
  Member& member = it->second;
  if (options.session_timeout_ms) member.session_timeout_ms = *options.session_timeout_ms;
  // A parked poll of the member then finds its sources revoked (EndPoll) and
  // delivers nothing.
  if (options.restart) member.positions.clear();
  Touch(group.id, member);
  if (subscribes && !member.topics.count(options.topic)) {
    if (member.topics.size() >= config_.max_topics_per_member) {
      return InvalidArgument("consumer " + consumer_id + " already subscribes to " +
                             std::to_string(member.topics.size()) + " topics (the maximum)");
    }
    member.topics.insert(options.topic);
    Rebalance(group, consumer_id + " subscribed to " + options.topic);
  }
  return &member;
}

Result<MemberView> GroupCoordinator::Join(const std::string& group_id,
                                          const std::string& consumer_id,
                                          const JoinOptions& options) {
  NoticeScope scope(this);
  GAFKA_RETURN_IF_ERROR(CheckIds(group_id, consumer_id));
  if (consumer_id.empty()) return InvalidArgument("consumer_id must not be empty");
  if (options.topic.size() > kMaxIdBytes) return InvalidArgument("topic name too long");
  if (options.session_timeout_ms &&
      (*options.session_timeout_ms < config_.session_timeout_ms_min ||
       *options.session_timeout_ms > config_.session_timeout_ms_max)) {
    return InvalidArgument("session_timeout_ms " + std::to_string(*options.session_timeout_ms) +
                           " is outside " + std::to_string(config_.session_timeout_ms_min) + ".." +
                           std::to_string(config_.session_timeout_ms_max));
  }
  auto [it, created] = groups_.try_emplace(group_id);
  Group& group = it->second;
  if (created) {
    group.id = group_id;
    group.generation = GenerationBase(store_->boot());
  }
  bool joined = false;
  GAFKA_ASSIGN_OR_RETURN(Member * member, AddOrTouch(group, consumer_id, options, &joined));
  return Answer(group, *member, joined);
}

Result<MemberView> GroupCoordinator::EnsureMember(const std::string& group_id,
                                                  const std::string& consumer_id,
                                                  const std::string& topic) {
  return Join(group_id, consumer_id, JoinOptions{topic, std::nullopt});
}

Result<MemberView> GroupCoordinator::Heartbeat(const std::string& group_id,
                                               const std::string& consumer_id) {
  GAFKA_RETURN_IF_ERROR(CheckIds(group_id, consumer_id));
  Group* group = FindGroup(group_id);
  if (group == nullptr || !group->members.count(consumer_id))
    return NotMember(group_id, consumer_id);
  Member& member = group->members.at(consumer_id);
  Touch(group_id, member);
  return Answer(*group, member);
}

Result<Generation> GroupCoordinator::Leave(const std::string& group_id,
                                           const std::string& consumer_id) {
  NoticeScope scope(this);
  GAFKA_RETURN_IF_ERROR(CheckIds(group_id, consumer_id));
  Group* group = FindGroup(group_id);
  if (group == nullptr || !group->members.count(consumer_id))
    return NotMember(group_id, consumer_id);
  RemoveMember(*group, consumer_id, "left");
  return group->generation;
}

void GroupCoordinator::RemoveMember(Group& group, const std::string& consumer_id, const char* why) {
  auto it = group.members.find(consumer_id);
  CHECK(it != group.members.end());
  env_.clock.Cancel(it->second.timer);
  group.members.erase(it);
  Rebalance(group, consumer_id + " " + why);
}

std::map<std::string, int32_t> GroupCoordinator::CurrentCounts(const Group& group) const {
  std::map<std::string, int32_t> counts;
  for (const auto& [id, member] : group.members) {
    for (const std::string& topic : member.topics) {
      if (!counts.count(topic)) counts[topic] = std::max<int32_t>(0, topics_.PartitionCount(topic));
    }
  }
  return counts;
}

// Generations are (boot << 16) + n: a restart starts every group above any
// generation handed out before it, so "one owner per partition per
// generation" holds across restarts too. A group that runs out of n within
// one boot takes a new boot number (a synchronous durable write).
Generation GroupCoordinator::GenerationBase(uint64_t boot) {
  CHECK(boot <= kMaxBoot);
  return Generation(static_cast<int32_t>(boot << kGenerationBits));
}

Generation GroupCoordinator::NextGeneration(const Group& group) {
  const int32_t g = group.generation.value();
  if ((g & kGenerationMask) != kGenerationMask) return Generation(g + 1);
  Result<uint64_t> boot = store_->boot() < kMaxBoot ? store_->AdvanceBoot()
                                                    : Result<uint64_t>(Unavailable("no boot left"));
  if (!boot.ok()) {
    // Overflowing into the next boot's range may repeat a generation after
    // a restart; better than stopping the group. Logged loudly.
    env_.logger.Log(LogLevel::kError, "group " + group.id + ": cannot advance the boot counter: " +
                                          boot.status().ToString());
    return Generation(g + 1);
  }
  return Generation(GenerationBase(*boot).value() + 1);
}

// A new generation, and its assignment, at once.
void GroupCoordinator::Rebalance(Group& group, const std::string& why) {
  group.generation = NextGeneration(group);
  AssignmentInput input;
  input.partition_counts = CurrentCounts(group);
  for (const auto& [id, member] : group.members) {
    input.subscriptions[id] = member.topics;
    input.previous[id] = member.assignment;
  }
  const Assignment assignment = Assign(config_.assignor, input);
  group.partition_counts = input.partition_counts;
  group.owners.clear();
  std::string summary;
  for (auto& [id, member] : group.members) {
    member.assignment = assignment.at(id);
    std::erase_if(member.positions, [&](const auto& entry) {
      return !std::binary_search(member.assignment.begin(), member.assignment.end(), entry.first);
    });
    for (const TopicPartition& tp : member.assignment) {
      const bool inserted = group.owners.emplace(tp, id).second;
      CHECK_MSG(inserted, "a partition with two owners in one generation");
    }
    summary += " " + id + "=" + ListText(member.assignment);
  }
  CheckGroup(group);
  notices_.emplace_back(group.id, group.generation);
  env_.logger.Log(LogLevel::kInfo, "group " + group.id + " generation " +
                                       std::to_string(group.generation.value()) + " (" + why +
                                       "):" + (summary.empty() ? " no members" : summary));
}

// The class invariants of one group (header): cheap enough to run after
// every rebalance and every poll end.
void GroupCoordinator::CheckGroup(const Group& group) const {
  size_t assigned = 0;
  for (const auto& [id, member] : group.members) {
    CHECK(member.id == id);
    CHECK(member.timer != kNoTimer);
    CHECK(std::is_sorted(member.assignment.begin(), member.assignment.end()));
    assigned += member.assignment.size();
    for (const TopicPartition& tp : member.assignment) {
      auto owner = group.owners.find(tp);
      CHECK_MSG(owner != group.owners.end() && owner->second == id, "owners out of step");
    }
    for (const auto& [tp, position] : member.positions) {
      CHECK_MSG(std::binary_search(member.assignment.begin(), member.assignment.end(), tp),
                "a position of a partition the member does not own");
      CHECK(position.value() >= 0);
    }
  }
  CHECK_MSG(assigned == group.owners.size(), "a partition with two owners");
}

void GroupCoordinator::OnTopicsChanged() {
  NoticeScope scope(this);
  for (auto& [group_id, group] : groups_) {
    if (!group.members.empty() && CurrentCounts(group) != group.partition_counts) {
      Rebalance(group, "topics changed");
    }
  }
}

std::optional<MemberView> GroupCoordinator::FindMember(const std::string& group_id,
                                                       const std::string& consumer_id) const {
  const Group* group = FindGroup(group_id);
  if (group == nullptr) return std::nullopt;
  auto it = group->members.find(consumer_id);
  if (it == group->members.end()) return std::nullopt;
  return ViewOf(*group, it->second, false);
}

std::optional<Generation> GroupCoordinator::generation(const std::string& group_id) const {
  const Group* group = FindGroup(group_id);
  if (group == nullptr) return std::nullopt;
  return group->generation;
}

}  // namespace gafka
