// Committed offsets on disk: reopen, power loss, compaction, damaged files.
#include <gtest/gtest.h>

#include "core/group/offset_format.h"
#include "tests/core/group/group_test_util.h"

namespace gafka::testing {
namespace {

class Durability : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.topics().AddTopic("t", 4, /*end=*/1'000'000);
    world_.OpenOrDie();
  }
  // A standalone commit (the group has no members).
  Status Commit(const std::string& group, int32_t partition, int64_t offset) {
    CommitArgs args{
        group, "", std::nullopt, {CommitEntry{"t", PartitionId(partition), Offset(offset), ""}}};
    return world_.CommitAndWait(args).status();
  }
  GroupWorld world_;
};

TEST_F(Durability, CommittedOffsetsSurviveAReopen) {
  ASSERT_TRUE(Commit("g", 0, 10).ok());
  ASSERT_TRUE(Commit("g", 1, 20).ok());
  ASSERT_TRUE(Commit("h", 0, 30).ok());
  ASSERT_TRUE(Commit("g", 0, 11).ok());
  world_.Reopen();
  EXPECT_EQ(world_.Committed("g", "t", 0), 11);
  EXPECT_EQ(world_.Committed("g", "t", 1), 20);
  EXPECT_EQ(world_.Committed("h", "t", 0), 30);
  std::vector<GroupSummary> groups = world_->ListGroups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].group_id, "g");
  EXPECT_EQ(groups[0].state, GroupState::kEmpty);
}

// durable_version() moves exactly when the durable values may have changed
// (replication caches its offsets hash on it): not on an append still being
// synced, not on reads or a compaction, and on every durable commit and replay.
TEST_F(Durability, DurableVersionMovesOnlyWhenDurableValuesChange) {
  const OffsetStore& store = world_->offsets();
  const uint64_t empty = store.durable_version();
  ASSERT_TRUE(Commit("g", 0, 10).ok());
  const uint64_t one = store.durable_version();
  EXPECT_GT(one, empty);
  EXPECT_EQ(world_.Committed("g", "t", 0), 10);
  world_.Advance(100);
  EXPECT_EQ(store.durable_version(), one) << "nothing changed";
  bool answered = false;
  CommitArgs args{"g", "", std::nullopt, {CommitEntry{"t", PartitionId(1), Offset(5), ""}}};
  ASSERT_TRUE(world_->Commit(args, [&](Result<CommitOutcome>) { answered = true; }).ok());
  ASSERT_FALSE(answered) << "the sync takes time";
  EXPECT_EQ(store.durable_version(), one) << "appended, not yet durable";
  world_.Advance(100);
  ASSERT_TRUE(answered);
  EXPECT_GT(store.durable_version(), one);
  const uint64_t two = store.durable_version();
  ASSERT_TRUE(world_->CompactOffsetsNow().ok());
  world_.Advance(100);
  EXPECT_EQ(world_->offsets().durable_version(), two) << "a compaction rewrites, changes nothing";
  world_.Reopen();
  EXPECT_GT(world_->offsets().durable_version(), 0u) << "replayed values count";
}

TEST_F(Durability, AnsweredCommitsSurvivePowerLoss) {
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE(Commit("g", i % 4, i).ok());
  // Commits still in flight at the crash may or may not survive.
  int answered = 0;
  for (int i = 21; i <= 30; ++i) {
    CommitArgs args{"g", "", std::nullopt, {CommitEntry{"t", PartitionId(i % 4), Offset(i), ""}}};
    ASSERT_TRUE(world_->Commit(args, [&](Result<CommitOutcome>) { ++answered; }).ok());
  }
  world_.Crash();
  EXPECT_EQ(answered, 0);
  world_.OpenOrDie();
  for (int p = 0; p < 4; ++p) EXPECT_LE(world_.Committed("g", "t", p), 30);
  EXPECT_GE(world_.Committed("g", "t", 0), 20);
  EXPECT_GE(world_.Committed("g", "t", 1), 17);
  EXPECT_GE(world_.Committed("g", "t", 2), 18);
  EXPECT_GE(world_.Committed("g", "t", 3), 19);
}

TEST_F(Durability, CompactionKeepsTheLatestValueOfEveryKey) {
  world_.Close();
  world_.config().compact_min_records = 40;
  world_.config().compact_garbage_factor = 2;
  world_.OpenOrDie();
  for (int i = 1; i <= 300; ++i) ASSERT_TRUE(Commit("g" + std::to_string(i % 5), i % 4, i).ok());
  world_.Advance(10);
  const OffsetStore& store = world_->offsets();
  EXPECT_GE(store.compactions(), 4u);
  EXPECT_LE(store.log_records(), 60);
  EXPECT_EQ(store.live_keys(), 20u);
  auto expect_latest = [&] {
    for (int g = 0; g < 5; ++g) {
      for (int p = 0; p < 4; ++p) {
        int64_t expected = -1;
        for (int i = 1; i <= 300; ++i) {
          if (i % 5 == g && i % 4 == p) expected = i;
        }
        EXPECT_EQ(world_.Committed("g" + std::to_string(g), "t", p), expected) << g << "/" << p;
      }
    }
  };
  expect_latest();
  world_.Reopen();
  expect_latest();
  // Only the active log directory is left.
  Result<std::vector<std::string>> names = world_.disk().List("data/__consumer_offsets");
  ASSERT_TRUE(names.ok());
  int logs = 0;
  for (const std::string& name : *names) logs += offset_format::ParseLogDirName(name) ? 1 : 0;
  EXPECT_EQ(logs, 1);
}

TEST_F(Durability, CommitsDuringACompactionSurviveACrashAtAnyPoint) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    GroupWorld world(seed, QuietDisk(1, 5));
    world.topics().AddTopic("t", 2, 1'000'000);
    world.OpenOrDie();
    std::map<int32_t, int64_t> acked;
    for (int i = 1; i <= 10; ++i) {
      CommitArgs args{"g", "", std::nullopt, {CommitEntry{"t", PartitionId(i % 2), Offset(i), ""}}};
      ASSERT_TRUE(world.CommitAndWait(args).ok());
      acked[i % 2] = i;
    }
    ASSERT_TRUE(world->CompactOffsetsNow().ok());
    for (int i = 11; i <= 30; ++i) {
      CommitArgs args{"g", "", std::nullopt, {CommitEntry{"t", PartitionId(i % 2), Offset(i), ""}}};
      ASSERT_TRUE(world
                      ->Commit(args,
                               [&acked, i](Result<CommitOutcome> r) {
                                 if (r.ok()) acked[i % 2] = std::max(acked[i % 2], int64_t{i});
                               })
                      .ok());
      world.Advance(static_cast<Millis>(seed % 3));
    }
    world.Crash();
    world.OpenOrDie();
    for (int p = 0; p < 2; ++p) {
      EXPECT_GE(world.Committed("g", "t", p), acked[p]) << "seed " << seed << " partition " << p;
      EXPECT_LE(world.Committed("g", "t", p), 30);
    }
  }
}

TEST_F(Durability, ACorruptCurrentFileRefusesToOpen) {
  ASSERT_TRUE(Commit("g", 0, 1).ok());
  world_.Close();
  std::string bytes = world_.disk().ReadWhole("data/__consumer_offsets/CURRENT").value();
  bytes[9] ^= 0x01;
  ASSERT_TRUE(world_.disk().WriteWhole("data/__consumer_offsets/CURRENT", bytes).ok());
  Status status = world_.Open();
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_NE(status.message().find("CURRENT"), std::string::npos) << status.message();
}

TEST_F(Durability, AMissingCurrentNextToALogRefusesToOpen) {
  ASSERT_TRUE(Commit("g", 0, 1).ok());
  world_.Close();
  ASSERT_TRUE(world_.disk().Remove("data/__consumer_offsets/CURRENT").ok());
  EXPECT_EQ(world_.Open().code(), Code::kCorruption);
}

TEST_F(Durability, LeftoverLogsOfAnInterruptedCompactionAreRemoved) {
  ASSERT_TRUE(Commit("g", 0, 5).ok());
  world_.Close();
  const std::string stray = "data/__consumer_offsets/" + offset_format::LogDirName(2);
  ASSERT_TRUE(world_.disk().MakeDirs(stray).ok());
  ASSERT_TRUE(world_.disk().WriteWhole(stray + "/00000000000000000000.log", "garbage").ok());
  ASSERT_TRUE(world_.disk().WriteWhole("data/__consumer_offsets/CURRENT.tmp", "x").ok());
  world_.OpenOrDie();
  EXPECT_FALSE(world_.disk().Exists(stray));
  EXPECT_FALSE(world_.disk().Exists("data/__consumer_offsets/CURRENT.tmp"));
  EXPECT_EQ(world_.Committed("g", "t", 0), 5);
}

TEST_F(Durability, AFailedSyncFailsTheStoreAndLaterCommits) {
  ASSERT_TRUE(Commit("g", 0, 5).ok());
  world_.disk().faults().sync_eio = 1.0;
  Status failed = Commit("g", 0, 6);
  EXPECT_EQ(failed.code(), Code::kIoError) << failed.ToString();
  world_.disk().faults().sync_eio = 0;
  EXPECT_FALSE(Commit("g", 0, 7).ok());
  EXPECT_FALSE(world_->offsets().failed().ok());
  EXPECT_EQ(world_.Committed("g", "t", 0), 5);
  // A process restart finds the file's sync error still there (the page
  // cache remembers it); a reboot clears it and recovers what was durable.
  world_.Close();
  EXPECT_EQ(world_.Open().code(), Code::kIoError);
  world_.Crash();
  world_.OpenOrDie();
  EXPECT_GE(world_.Committed("g", "t", 0), 5);
  EXPECT_TRUE(Commit("g", 0, 8).ok());
}

}  // namespace
}  // namespace gafka::testing
