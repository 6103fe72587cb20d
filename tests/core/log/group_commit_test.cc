// Group commit: appends are written at once and made durable together by a
// chain of syncs; a failed sync fails the log for good.
#include <gtest/gtest.h>

#include <memory>

#include "core/log/partition_log.h"
#include "tests/core/log/log_test_util.h"

namespace gafka {
namespace {

using testing_log::Input;
using testing_log::SimWorld;
using testing_log::SmallConfig;

std::span<const RecordInput> One(const RecordInput& in) { return {&in, 1}; }

TEST(LogGroupCommit, ManyAppendsBeforeTheSyncCompletesShareOneSync) {
  SimWorld world;
  auto log = world.Open();
  const uint64_t syncs_before = world.disk().stats().syncs;
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) {
    const RecordInput in = Input(i);
    ASSERT_TRUE(log->Append(One(in), Epoch(1),
                            [&order, i](Status s) {
                              EXPECT_TRUE(s.ok());
                              order.push_back(i);
                            })
                    .ok());
  }
  EXPECT_TRUE(order.empty()) << "no callback inside Append";
  EXPECT_EQ(log->durable_offset(), Offset(0));
  world.clock().RunAll();
  // The first append started a sync; the nine that arrived during it share
  // the next one.
  EXPECT_EQ(world.disk().stats().syncs - syncs_before, 2u);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(log->durable_offset(), Offset(10));
}

TEST(LogGroupCommit, DurableCallbackFiresOnlyAfterTheSyncCompletes) {
  sim::DiskFaults faults = SimWorld::QuietFaults();
  faults.sync_latency_min_ms = faults.sync_latency_max_ms = 5;
  SimWorld world(1, faults);
  auto log = world.Open();
  bool called = false;
  const Millis start_ms = world.clock().NowMs();
  ASSERT_TRUE(log->Append(One(Input(0)), Epoch(1),
                          [&](Status s) {
                            EXPECT_TRUE(s.ok());
                            called = true;
                          })
                  .ok());
  world.clock().RunUntil(start_ms + 4);
  EXPECT_FALSE(called);
  EXPECT_EQ(log->durable_offset(), Offset(0));
  EXPECT_EQ(log->end_offset(), Offset(1));
  world.clock().RunUntil(start_ms + 5);
  EXPECT_TRUE(called);
  EXPECT_EQ(log->durable_offset(), Offset(1));
}

TEST(LogGroupCommit, AppendFromInsideADurableCallbackRidesTheNextSync) {
  SimWorld world;
  auto log = world.Open();
  bool second_durable = false;
  ASSERT_TRUE(log->Append(One(Input(0)), Epoch(1),
                          [&](Status) {
                            ASSERT_TRUE(log->Append(One(Input(1)), Epoch(1),
                                                    [&](Status s) { second_durable = s.ok(); })
                                            .ok());
                          })
                  .ok());
  world.clock().RunAll();
  EXPECT_TRUE(second_durable);
  EXPECT_EQ(log->durable_offset(), Offset(2));
}

TEST(LogGroupCommit, RolledSegmentIsSyncedBeforeTheActiveOneAndThenSealed) {
  SimWorld world;
  auto log = world.Open();
  std::vector<RecordInput> batch;
  for (int i = 0; i < 15; ++i) batch.push_back(Input(i));  // spans two segments
  bool durable = false;
  ASSERT_TRUE(log->Append(batch, Epoch(1), [&](Status s) { durable = s.ok(); }).ok());
  ASSERT_EQ(log->segment_count(), 2u);
  const std::string index = std::string(testing_log::kDir) + "/00000000000000000000.index";
  EXPECT_FALSE(world.disk().Exists(index)) << "sealed only after its data is synced";
  world.clock().RunAll();
  EXPECT_TRUE(durable);
  EXPECT_TRUE(world.disk().Exists(index));
}

TEST(LogGroupCommit, FailedSyncFailsPendingAndFutureAppendsAndReads) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 2);
  world.disk().faults().sync_eio = 1.0;
  std::vector<Status> results;
  for (int i = 2; i < 5; ++i) {
    ASSERT_TRUE(log->Append(One(Input(i)), Epoch(1), [&](Status s) { results.push_back(s); }).ok());
  }
  world.clock().RunAll();
  ASSERT_EQ(results.size(), 3u);
  for (const Status& s : results) EXPECT_EQ(s.code(), Code::kIoError) << s.ToString();
  EXPECT_EQ(log->failed().code(), Code::kIoError);
  EXPECT_NE(log->failed().message().find(".log"), std::string::npos) << log->failed().message();
  EXPECT_EQ(log->durable_offset(), Offset(2));
  world.disk().faults().sync_eio = 0;  // the disk "recovers": the log stays failed
  bool called = false;
  auto again = log->Append(One(Input(5)), Epoch(1), [&](Status) { called = true; });
  EXPECT_EQ(again.status().code(), Code::kIoError);
  world.clock().RunAll();
  EXPECT_FALSE(called) << "a refused append never calls its callback";
  EXPECT_EQ(log->Read(Offset(0), 1, 100).status().code(), Code::kIoError);
  EXPECT_EQ(log->Truncate(Offset(1)).code(), Code::kIoError);
}

TEST(LogGroupCommit, AppendErrorBeforeAnyByteIsWrittenLeavesTheLogUsable) {
  SimWorld world;
  auto log = world.Open();
  world.AppendN(*log, 0, 2);
  world.disk().faults().append_enospc = 1.0;
  auto refused = log->Append(One(Input(2)), Epoch(1), [](Status) { FAIL(); });
  EXPECT_EQ(refused.status().code(), Code::kNoSpace);
  EXPECT_TRUE(log->failed().ok());
  EXPECT_EQ(log->end_offset(), Offset(2));
  world.disk().faults().append_enospc = 0;
  world.AppendN(*log, 2, 1);
  EXPECT_EQ(log->end_offset(), Offset(3));
  EXPECT_EQ(testing_log::ReadAll(*log)->size(), 3u);
}

TEST(LogGroupCommit, DestroyingTheLogWithASyncInFlightIsSafe) {
  SimWorld world;
  auto log = world.Open();
  bool called = false;
  ASSERT_TRUE(log->Append(One(Input(0)), Epoch(1), [&](Status) { called = true; }).ok());
  log.reset();
  world.clock().RunAll();
  EXPECT_FALSE(called);
  auto reopened = world.Open();
  EXPECT_EQ(reopened->end_offset(), Offset(1));
}

// A Disk whose files drop the Sync completions still pending when the File
// is destroyed, as PosixDisk does.
class DroppingFile final : public File {
 public:
  explicit DroppingFile(std::unique_ptr<File> inner) : inner_(std::move(inner)) {}
  ~DroppingFile() override { *alive_ = false; }
  const std::string& path() const override { return inner_->path(); }
  Status Append(ByteView data) override { return inner_->Append(data); }
  void Sync(std::function<void(Status)> done) override {
    inner_->Sync([alive = alive_, done = std::move(done)](Status s) {
      if (*alive) done(std::move(s));
    });
  }
  Status SyncNow() override { return inner_->SyncNow(); }
  Status Read(uint64_t offset, size_t n, std::string* out) override {
    return inner_->Read(offset, n, out);
  }
  Status Truncate(uint64_t size) override { return inner_->Truncate(size); }
  uint64_t Size() const override { return inner_->Size(); }

 private:
  std::unique_ptr<File> inner_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class DroppingDisk final : public Disk {
 public:
  explicit DroppingDisk(Disk& inner) : inner_(inner) {}
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    auto file = inner_.Open(path, mode);
    if (!file.ok()) return file.status();
    return std::unique_ptr<File>(std::make_unique<DroppingFile>(std::move(file).value()));
  }
  Result<std::vector<std::string>> List(const std::string& dir) override {
    return inner_.List(dir);
  }
  bool Exists(const std::string& path) override { return inner_.Exists(path); }
  Status MakeDirs(const std::string& dir) override { return inner_.MakeDirs(dir); }
  Status Remove(const std::string& path) override { return inner_.Remove(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return inner_.Rename(from, to);
  }
  Status SyncDir(const std::string& dir) override { return inner_.SyncDir(dir); }

 private:
  Disk& inner_;
};

// Truncate removes a segment whose sync is in flight. The log must keep that
// File alive until the sync completes, or a Disk that drops the completion
// of a destroyed File would stall group commit for good.
TEST(LogGroupCommit, TruncatingASegmentWhoseSyncIsInFlightDoesNotStallTheChain) {
  SimWorld world;
  DroppingDisk disk(world.disk());
  Env env = world.EnvWithDisk(disk);
  auto log = std::move(PartitionLog::Open(env, testing_log::kDir, SmallConfig())).value();
  std::vector<RecordInput> batch;
  for (int i = 0; i < 15; ++i) batch.push_back(Input(i));  // segments 0 and 11
  ASSERT_TRUE(log->Append(batch, Epoch(1), [](Status) {}).ok());
  ASSERT_EQ(log->segment_count(), 2u);
  // Segment 0's sync completes after 1 ms; segment 11's is then in flight.
  world.clock().RunUntil(world.clock().NowMs() + 1);
  ASSERT_TRUE(log->Truncate(Offset(5)).ok());
  EXPECT_EQ(log->segment_count(), 1u);
  bool durable = false;
  ASSERT_TRUE(log->Append(One(Input(5)), Epoch(1), [&](Status s) { durable = s.ok(); }).ok());
  world.clock().RunAll();
  EXPECT_TRUE(durable);
  EXPECT_EQ(log->durable_offset(), Offset(6));
}

}  // namespace
}  // namespace gafka
