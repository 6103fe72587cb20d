// A RapidCheck state-machine test of the coordinator against a reference
// model: random sequences of join / leave / heartbeat / commit / poll /
// reset / clock jumps / restarts / crashes. After every step:
// - generation and membership equal the model's (one bump per change,
//   expiry exactly at the session's end);
// - the assignment is disjoint and complete, round-robin exactly as dealt;
// - one owner per partition per generation, across the whole run;
// - no fenced commit is applied (committed offsets equal the model's);
// - committed offsets never move backwards except by a reset.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <iostream>
#include <ostream>
#include <sstream>

#include "tests/core/group/group_test_util.h"

namespace gafka::testing {
namespace {

constexpr int64_t kLogEnd = 50;
const char* const kMembers[] = {"a", "b", "c", "d"};
constexpr Millis kSessions[] = {1'000, 3'000, 10'000};

enum class Kind {
  kJoin,
  kLeave,
  kHeartbeat,
  kCommit,
  kStandaloneCommit,
  kAdvance,
  kBeginPoll,
  kEndPoll,
  kReset,
  kRestart,
  kCrash,
};

struct Op {
  Kind kind = Kind::kAdvance;
  int member = 0;  // index into kMembers
  int64_t x = 0;   // session index / generation mode / reset mode / delivered count / ms
  int64_t partition = 0;
  int64_t offset = 0;
};

std::ostream& operator<<(std::ostream& os, const Op& op) {
  static const char* const kNames[] = {
      "join",     "leave", "heartbeat", "commit", "standalone-commit", "advance", "begin-poll",
      "end-poll", "reset", "restart",   "crash"};
  return os << kNames[static_cast<int>(op.kind)] << "(" << kMembers[op.member] << ", x=" << op.x
            << ", p=" << op.partition << ", o=" << op.offset << ")";
}

rc::Gen<Op> GenOp() {
  return rc::gen::exec([] {
    Op op;
    op.kind = *rc::gen::weightedElement<Kind>({{6, Kind::kJoin},
                                               {2, Kind::kLeave},
                                               {5, Kind::kHeartbeat},
                                               {8, Kind::kCommit},
                                               {1, Kind::kStandaloneCommit},
                                               {6, Kind::kAdvance},
                                               {3, Kind::kBeginPoll},
                                               {3, Kind::kEndPoll},
                                               {1, Kind::kReset},
                                               {1, Kind::kRestart},
                                               {1, Kind::kCrash}});
    op.member = *rc::gen::inRange(0, 4);
    op.x = op.kind == Kind::kAdvance ? *rc::gen::inRange<int64_t>(0, 12'001)
                                     : *rc::gen::inRange<int64_t>(0, 4);
    op.partition = *rc::gen::inRange<int64_t>(0, 6);
    op.offset = *rc::gen::inRange<int64_t>(0, kLogEnd + 6);
    return op;
  });
}

// What the cases exercised, summed over the run (printed, so a weakened
// generator shows up).
struct Coverage {
  int64_t cases = 0, steps = 0, expiries = 0, applied = 0, behind = 0, fenced_stale = 0,
          fenced_owner = 0, fenced_member = 0, out_of_range = 0, revoked = 0, poll_conflicts = 0,
          restarts = 0, resets = 0, forced_resets = 0;
};
Coverage coverage;

struct ModelMember {
  Millis session_ms = 0;
  Millis deadline_ms = 0;
  bool polling = false;
  bool reset_during_poll = false;
  int32_t poll_generation = 0;
};

// The reference: plain maps and arithmetic, no assignor, no disk.
struct Model {
  int32_t partitions = 1;
  uint64_t boot = 0;
  int32_t generation = 0;
  bool group_object = false;  // the coordinator holds the group in memory
  Millis now_ms = 0;
  std::map<std::string, ModelMember> members;
  std::map<int32_t, int64_t> committed;

  bool Known() const { return group_object || !committed.empty(); }
  void Bump() {
    if (!group_object) generation = static_cast<int32_t>(boot << 16);
    group_object = true;
    ++generation;
  }
  void Touch(const std::string& m) { members[m].deadline_ms = now_ms + members[m].session_ms; }
  void Advance(Millis ms) {
    now_ms += ms;
    std::vector<std::string> expired;
    for (const auto& [id, m] : members) {
      if (!m.polling && m.deadline_ms <= now_ms) expired.push_back(id);
    }
    for (const std::string& id : expired) {
      ++coverage.expiries;
      members.erase(id);
      Bump();
    }
  }
  void Restart() {
    ++boot;
    members.clear();
    group_object = false;
  }
};

class Runner {
 public:
  Runner(uint64_t seed, AssignorKind assignor, int32_t partitions)
      : world_(seed, QuietDisk(0, 0), Config(assignor)), assignor_(assignor) {
    model_.partitions = partitions;
    world_.topics().AddTopic("t", partitions, kLogEnd);
    world_.OpenOrDie();
  }

  void Run(const Op& op) {
    const std::string m = kMembers[op.member];
    switch (op.kind) {
      case Kind::kJoin:
        return Join(m, kSessions[op.x % 3]);
      case Kind::kLeave:
        return Leave(m);
      case Kind::kHeartbeat:
        return Heartbeat(m);
      case Kind::kCommit:
        return Commit(m, op.x, static_cast<int32_t>(op.partition % model_.partitions), op.offset);
      case Kind::kStandaloneCommit:
        return Standalone(static_cast<int32_t>(op.partition % model_.partitions), op.offset);
      case Kind::kAdvance:
        world_.Advance(op.x);
        model_.Advance(op.x);
        return;
      case Kind::kBeginPoll:
        return BeginPoll(m);
      case Kind::kEndPoll:
        return EndPoll(m, op.x);
      case Kind::kReset:
        return Reset(op.x, op.offset);
      case Kind::kRestart:
      case Kind::kCrash:
        world_.clock().RunUntil(world_.clock().NowMs());  // complete what is due now
        if (op.kind == Kind::kCrash) {
          world_.Crash();
        } else {
          world_.Close();  // lets 50 ms pass
          model_.Advance(50);
        }
        world_.OpenOrDie();
        model_.Restart();
        ++coverage.restarts;
        poll_ids_.clear();
        return;
    }
  }

  // Every invariant, after every step.
  void Check() {
    RC_ASSERT(world_.clock().NowMs() == model_.now_ms);
    const std::optional<Generation> generation = world_->generation("g");
    RC_ASSERT(generation.has_value() == model_.group_object);
    if (generation) RC_ASSERT(generation->value() == model_.generation);
    Result<GroupStatus> status = world_->Describe("g");
    RC_ASSERT(status.ok() == model_.Known());
    std::vector<std::string> members;
    std::map<TopicPartition, std::string> owners;
    if (status.ok()) {
      for (const MemberStatus& member : status->members) {
        members.push_back(member.consumer_id);
        RC_ASSERT(member.poll_in_flight == model_.members.at(member.consumer_id).polling);
        for (const TopicPartition& tp : member.assignment) {
          RC_ASSERT(owners.emplace(tp, member.consumer_id).second);  // disjoint
        }
      }
    }
    std::vector<std::string> expected;
    for (const auto& [id, member] : model_.members) expected.push_back(id);
    RC_ASSERT(members == expected);
    // Complete: every partition has an owner while there are members.
    RC_ASSERT(owners.size() == (expected.empty() ? 0u : static_cast<size_t>(model_.partitions)));
    for (const auto& [tp, owner] : owners) {
      if (assignor_ == AssignorKind::kRoundRobin) {
        RC_ASSERT(owner == expected[static_cast<size_t>(tp.partition.value()) % expected.size()]);
      }
      // One owner per partition per generation, across the run (restarts too).
      auto [it, inserted] =
          history_.emplace(std::make_pair(model_.generation, tp.partition.value()), owner);
      RC_ASSERT(it->second == owner);
    }
    for (int32_t p = 0; p < model_.partitions; ++p) {
      auto it = model_.committed.find(p);
      const int64_t want = it == model_.committed.end() ? -1 : it->second;
      RC_ASSERT(world_.Committed("g", "t", p) == want);
      auto last = last_committed_.find(p);
      RC_ASSERT(last == last_committed_.end() || want >= last->second || reset_happened_);
      last_committed_[p] = want;
    }
    reset_happened_ = false;
  }

 private:
  static GroupConfig Config(AssignorKind assignor) {
    GroupConfig config = TestGroupConfig();
    config.assignor = assignor;
    config.compact_min_records = 8;  // compactions happen within a case
    config.compact_garbage_factor = 2;
    return config;
  }

  void Join(const std::string& m, Millis session_ms) {
    Result<MemberView> view = world_->Join("g", m, JoinOptions{"t", session_ms});
    RC_ASSERT(view.ok());
    const bool is_new = !model_.members.count(m);
    model_.members[m].session_ms = session_ms;
    model_.Touch(m);
    if (is_new) model_.Bump();
    RC_ASSERT(view->joined == is_new);
    RC_ASSERT(view->generation.value() == model_.generation);
    RC_ASSERT(view->session_expires_in_ms == session_ms);
  }

  void Leave(const std::string& m) {
    Result<Generation> left = world_->Leave("g", m);
    if (!model_.members.count(m)) {
      RC_ASSERT(left.status().code() == Code::kNotFound);
      return;
    }
    model_.members.erase(m);
    model_.Bump();
    RC_ASSERT(left.ok() && left->value() == model_.generation);
  }

  void Heartbeat(const std::string& m) {
    Result<MemberView> view = world_->Heartbeat("g", m);
    if (!model_.members.count(m)) {
      RC_ASSERT(view.status().code() == Code::kNotFound);
      RC_ASSERT(view.status().detail() ==
                (model_.Known() ? kDetailMemberNotFound : kDetailGroupNotFound));
      return;
    }
    model_.Touch(m);
    RC_ASSERT(view.ok() && view->generation.value() == model_.generation);
  }

  // mode: 0 current generation, 1 the previous one, 2 none, 3 a future one.
  void Commit(const std::string& m, int64_t mode, int32_t partition, int64_t offset) {
    std::optional<Generation> generation;
    if (mode == 0) generation = Generation(model_.generation);
    if (mode == 1) generation = Generation(model_.generation - 1);
    if (mode == 3) generation = Generation(model_.generation + 1);
    const std::map<TopicPartition, std::string> owners = Owners(world_.coordinator(), "g");
    Result<CommitOutcome> result = world_.CommitOne("g", m, generation, "t", partition, offset);
    if (!model_.members.count(m)) {
      RC_ASSERT(result.status().code() == Code::kConflict);
      RC_ASSERT(result.status().detail() == kDetailNotOwner);
      ++coverage.fenced_member;
      return;
    }
    model_.Touch(m);
    if (generation && generation->value() != model_.generation) {
      RC_ASSERT(result.status().detail() == kDetailStaleGeneration);
      ++coverage.fenced_stale;
      return;
    }
    auto owner = owners.find(TP("t", partition));
    if (owner == owners.end() || owner->second != m) {
      RC_ASSERT(result.status().detail() == kDetailNotOwner);
      ++coverage.fenced_owner;
      return;
    }
    ExpectApplied(result, partition, offset);
  }

  void Standalone(int32_t partition, int64_t offset) {
    CommitArgs args{
        "g", "", std::nullopt, {CommitEntry{"t", PartitionId(partition), Offset(offset), ""}}};
    Result<CommitOutcome> result = world_.CommitAndWait(args);
    if (!model_.members.empty()) {
      RC_ASSERT(result.status().detail() == kDetailNotOwner);
      return;
    }
    ExpectApplied(result, partition, offset);
  }

  void ExpectApplied(const Result<CommitOutcome>& result, int32_t partition, int64_t offset) {
    if (offset > kLogEnd) {
      RC_ASSERT(result.status().code() == Code::kOutOfRange);
      ++coverage.out_of_range;
      return;
    }
    RC_ASSERT(result.ok());
    auto it = model_.committed.find(partition);
    const int64_t before = it == model_.committed.end() ? -1 : it->second;
    model_.committed[partition] = std::max(before, offset);
    RC_ASSERT(result->entries.at(0).applied == (offset >= before));
    ++(offset >= before ? coverage.applied : coverage.behind);
    RC_ASSERT(result->entries.at(0).committed.value() == model_.committed[partition]);
  }

  void BeginPoll(const std::string& m) {
    Result<PollPlan> plan = world_->BeginPoll(PollStart{"g", m, "t", OffsetSpec::kEarliest, false});
    if (model_.members.count(m) && model_.members[m].polling) {
      RC_ASSERT(plan.status().detail() == kDetailPollInFlight);
      ++coverage.poll_conflicts;
      model_.Touch(m);
      return;
    }
    RC_ASSERT(plan.ok());
    if (!model_.members.count(m)) {
      model_.members[m].session_ms = world_->config().session_timeout_ms;
      model_.Bump();
    }
    model_.Touch(m);
    model_.members[m].polling = true;
    model_.members[m].reset_during_poll = false;
    model_.members[m].poll_generation = model_.generation;
    RC_ASSERT(plan->member.generation.value() == model_.generation);
    std::vector<int32_t> sources;
    for (const PollSource& s : plan->sources) sources.push_back(s.partition.value());
    RC_ASSERT(sources == PartitionsOf(plan->member));
    poll_ids_[m] = plan->poll_id;
    poll_sources_[m] = plan->sources;
  }

  void EndPoll(const std::string& m, int64_t count) {
    auto id = poll_ids_.find(m);
    if (id == poll_ids_.end()) return;
    std::vector<PollDelivery> delivered;
    for (const PollSource& s : poll_sources_[m]) {
      delivered.push_back({s.partition, Offset(std::min(kLogEnd, s.from.value() + count))});
    }
    Result<PollEnd> end = world_->EndPoll("g", m, id->second, delivered);
    poll_ids_.erase(id);
    if (!model_.members.count(m) || !model_.members[m].polling) {
      RC_ASSERT(end.status().code() == Code::kNotFound);
      return;
    }
    RC_ASSERT(end.ok());
    const bool was_reset = model_.members[m].reset_during_poll;
    const int32_t poll_generation = model_.members[m].poll_generation;
    model_.members[m].polling = false;
    model_.Touch(m);
    RC_ASSERT(end->member.generation.value() == model_.generation);
    const std::vector<int32_t> owned = PartitionsOf(end->member);
    for (const PollSource& s : poll_sources_[m]) {
      const bool revoked = std::count(end->revoked.begin(), end->revoked.end(), s.partition) > 0;
      const bool still_owned = std::count(owned.begin(), owned.end(), s.partition.value()) > 0;
      if (!still_owned || was_reset) RC_ASSERT(revoked);  // never deliver what moved or was reset
      coverage.revoked += revoked ? 1 : 0;
      // A partition that left and came back during the poll lost its
      // position, so it may be revoked too; with no rebalance it may not.
      if (still_owned && model_.generation == poll_generation) RC_ASSERT(!revoked);
    }
  }

  // mode: 0 earliest, 1 latest, 2 explicit offset; 3 forced earliest.
  void Reset(int64_t mode, int64_t offset) {
    ResetArgs args;
    args.group_id = "g";
    args.topic = "t";
    args.force = mode == 3 || (mode == 2 && offset % 2 == 0);
    args.to = mode == 1   ? OffsetSpec::kLatest
              : mode == 2 ? OffsetSpec::kExplicit
                          : OffsetSpec::kEarliest;
    if (mode == 2) args.offset = Offset(offset);
    Result<ResetOutcome> result = world_.ResetAndWait(args);
    const bool active = !model_.members.empty();
    if (active && !args.force) {
      RC_ASSERT(result.status().code() == Code::kConflict);
      return;
    }
    RC_ASSERT(result.ok());
    ++(active ? coverage.forced_resets : coverage.resets);
    const int64_t target = mode == 1 ? kLogEnd : mode == 2 ? std::min(offset, kLogEnd) : 0;
    for (int32_t p = 0; p < model_.partitions; ++p) model_.committed[p] = target;
    reset_happened_ = true;
    if (active) {
      model_.Bump();
      for (auto& [id, member] : model_.members) member.reset_during_poll = member.polling;
    }
    RC_ASSERT(result->generation.value() == (model_.group_object ? model_.generation : 0));
  }

  GroupWorld world_;
  AssignorKind assignor_;
  Model model_;
  std::map<std::string, uint64_t> poll_ids_;
  std::map<std::string, std::vector<PollSource>> poll_sources_;
  std::map<std::pair<int32_t, int32_t>, std::string> history_;  // (generation, partition) -> owner
  std::map<int32_t, int64_t> last_committed_;
  bool reset_happened_ = false;
};

template <typename Testable>
void CheckWithCases(Testable&& testable, int cases) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = std::max(params.maxSuccess, cases);
  rc::detail::TestMetadata metadata;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream message;
    rc::detail::printResultMessage(result, message);
    FAIL() << message.str();
  }
}

TEST(GroupModel, CoordinatorMatchesTheReferenceModel) {
  CheckWithCases(
      [] {
        // inRange scales with the size; pin it so every case spans the
        // whole range (all members, offsets past the log end, long jumps).
        const auto seed = *rc::gen::resize(100, rc::gen::inRange<uint64_t>(1, 1'000'000));
        const int assignor_index = *rc::gen::resize(100, rc::gen::inRange(0, 3));
        const AssignorKind assignor = assignor_index == 0   ? AssignorKind::kRoundRobin
                                      : assignor_index == 1 ? AssignorKind::kRange
                                                            : AssignorKind::kSticky;
        const auto partitions = *rc::gen::resize(100, rc::gen::inRange<int32_t>(1, 7));
        const auto ops = *rc::gen::resize(
            80, rc::gen::container<std::vector<Op>>(rc::gen::resize(100, GenOp())));
        Runner runner(seed, assignor, partitions);
        runner.Check();
        ++coverage.cases;
        for (const Op& op : ops) {
          runner.Run(op);
          runner.Check();
          ++coverage.steps;
        }
      },
      500);
  const Coverage& c = coverage;
  std::cout << "cases " << c.cases << ", steps " << c.steps << ", expiries " << c.expiries
            << ", commits applied " << c.applied << " / behind " << c.behind << " / fenced: stale "
            << c.fenced_stale << ", not owner " << c.fenced_owner << ", not member "
            << c.fenced_member << " / past end " << c.out_of_range << ", revoked " << c.revoked
            << ", poll conflicts " << c.poll_conflicts << ", resets " << c.resets << " + forced "
            << c.forced_resets << ", restarts " << c.restarts << std::endl;
  EXPECT_GT(c.expiries, 0);
  EXPECT_GT(c.fenced_stale + c.fenced_owner + c.fenced_member, 0);
  EXPECT_GT(c.applied, 0);
  EXPECT_GT(c.out_of_range, 0);
  EXPECT_GT(c.revoked, 0);
}

}  // namespace
}  // namespace gafka::testing
