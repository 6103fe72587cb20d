#include "runtime-sim/sim_disk.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gafka::sim {
namespace {

constexpr int kSeeds = 300;

std::string Pattern(size_t n, char salt) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + salt) % 26);
  return s;
}

std::unique_ptr<File> OpenOrDie(SimDisk& disk, const std::string& path,
                                OpenMode mode = OpenMode::kOpenOrCreate) {
  auto file = disk.Open(path, mode);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? std::move(file).value() : nullptr;
}

// Issues an async Sync and runs the clock until it completes.
Status SyncAndWait(SimClock& clock, File& file) {
  std::optional<Status> result;
  file.Sync([&](Status s) { result = std::move(s); });
  EXPECT_FALSE(result.has_value()) << "Sync completed re-entrantly";
  EXPECT_TRUE(clock.RunUntilCondition([&] { return result.has_value(); }));
  return result.value_or(Internal("sync never completed"));
}

std::string ReadOrEmpty(const SimDisk& disk, const std::string& path) {
  auto r = disk.ReadWhole(path);
  return r.ok() ? r.value() : std::string();
}

enum class TailOutcome { kDropped, kKept, kTorn };

// Checks that `after` is what the tail model may leave of `written` whose
// first `durable` bytes were synced, and classifies it.
TailOutcome ClassifyTail(const std::string& written, size_t durable, const std::string& after) {
  EXPECT_GE(after.size(), durable);
  EXPECT_LE(after.size(), written.size());
  EXPECT_EQ(after.substr(0, durable), written.substr(0, durable)) << "synced bytes changed";
  if (after.size() == durable) return TailOutcome::kDropped;
  if (after == written) return TailOutcome::kKept;
  // Torn: written[0, cut) where cut is `durable` or a 512 B boundary, then
  // maybe garbage up to the next boundary (or the written size).
  size_t same = 0;
  while (same < after.size() && after[same] == written[same]) ++same;
  const bool ends_on_boundary = after.size() % 512 == 0 || after.size() == written.size();
  EXPECT_TRUE(same == after.size() || ends_on_boundary)
      << "tail ends off a boundary at " << after.size();
  if (same < after.size()) {
    // The real prefix ends at a boundary (or at the durable size) no more
    // than one 4 KiB page before the end.
    EXPECT_LE(after.size() - (same / 512) * 512, 4096u + 512u);
  } else {
    EXPECT_TRUE(after.size() % 512 == 0 || after.size() == durable);
  }
  return TailOutcome::kTorn;
}

TEST(SimDisk, SyncedBytesSurviveCrashByteIdentical) {
  for (int seed = 0; seed < kSeeds; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed);
    ASSERT_TRUE(disk.MakeDirs("p/0").ok());
    auto file = OpenOrDie(disk, "p/0/seg.log");
    ASSERT_TRUE(disk.SyncDir("p/0").ok());
    ASSERT_TRUE(disk.SyncDir("p").ok());
    ASSERT_TRUE(disk.SyncDir("").ok());
    const std::string synced = Pattern(1000 + seed * 13, 'x');
    ASSERT_TRUE(file->Append(synced).ok());
    ASSERT_TRUE(SyncAndWait(clock, *file).ok());
    ASSERT_TRUE(file->Append(Pattern(3000, 'y')).ok());
    disk.Crash();
    const std::string after = ReadOrEmpty(disk, "p/0/seg.log");
    ASSERT_GE(after.size(), synced.size()) << "seed " << seed;
    EXPECT_EQ(after.substr(0, synced.size()), synced) << "seed " << seed;
  }
}

TEST(SimDisk, UnsyncedTailIsDroppedKeptOrTornAtBoundaries) {
  int dropped = 0, kept = 0, torn = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed);
    auto file = OpenOrDie(disk, "seg.log");
    ASSERT_TRUE(disk.SyncDir("").ok());
    const size_t durable = 700 + static_cast<size_t>(seed);
    const std::string written = Pattern(durable + 9000, static_cast<char>(seed));
    ASSERT_TRUE(file->Append(written.substr(0, durable)).ok());
    ASSERT_TRUE(SyncAndWait(clock, *file).ok());
    ASSERT_TRUE(file->Append(written.substr(durable)).ok());
    disk.Crash();
    switch (ClassifyTail(written, durable, ReadOrEmpty(disk, "seg.log"))) {
      case TailOutcome::kDropped:
        ++dropped;
        break;
      case TailOutcome::kKept:
        ++kept;
        break;
      case TailOutcome::kTorn:
        ++torn;
        break;
    }
    EXPECT_EQ(disk.stats().crashes, 1u);
  }
  EXPECT_GT(dropped, 0);
  EXPECT_GT(kept, 0);
  EXPECT_GT(torn, 0);
}

TEST(SimDisk, TornTailCanCarryGarbageButNeverExtendsTheFile) {
  DiskFaults faults;
  faults.crash_drop_tail = 0;
  faults.crash_keep_tail = 0;
  faults.crash_tear_garbage = 1;
  int garbage_seen = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed, faults);
    auto file = OpenOrDie(disk, "seg.log");
    ASSERT_TRUE(disk.SyncDir("").ok());
    const std::string written = Pattern(20000, 'q');
    ASSERT_TRUE(file->Append(written).ok());
    disk.Crash();
    const std::string after = ReadOrEmpty(disk, "seg.log");
    EXPECT_EQ(ClassifyTail(written, 0, after), TailOutcome::kTorn);
    if (after != written.substr(0, after.size())) ++garbage_seen;
    EXPECT_EQ(disk.stats().torn_tails, 1u);
  }
  EXPECT_GT(garbage_seen, kSeeds / 4);
}

TEST(SimDisk, NewEntryWithoutSyncDirCanVanishButSurvivesWithIt) {
  int vanished = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed);
    auto unsynced = OpenOrDie(disk, "a.log");
    auto synced = OpenOrDie(disk, "b.log");
    ASSERT_TRUE(disk.SyncDir("").ok());
    auto late = OpenOrDie(disk, "c.log");  // created after the SyncDir
    ASSERT_TRUE(late->Append("data").ok());
    ASSERT_TRUE(late->SyncNow().ok());  // file data synced, entry not
    disk.Crash();
    EXPECT_TRUE(disk.Exists("a.log"));
    EXPECT_TRUE(disk.Exists("b.log"));
    if (!disk.Exists("c.log")) {
      ++vanished;
    } else {
      EXPECT_EQ(ReadOrEmpty(disk, "c.log"), "data");
    }
  }
  EXPECT_GT(vanished, 0);
  EXPECT_LT(vanished, kSeeds);
}

TEST(SimDisk, NewDirectoryNeedsSyncOfItsParent) {
  int vanished = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed);
    ASSERT_TRUE(disk.MakeDirs("topic-0").ok());
    auto file = OpenOrDie(disk, "topic-0/0.log");
    ASSERT_TRUE(disk.SyncDir("topic-0").ok());  // but not the root
    disk.Crash();
    if (!disk.Exists("topic-0")) {
      ++vanished;
      EXPECT_FALSE(disk.Exists("topic-0/0.log"));
    } else {
      EXPECT_TRUE(disk.Exists("topic-0/0.log"));
    }
  }
  EXPECT_GT(vanished, 0);
}

TEST(SimDisk, UnsyncedRemoveCanBeUndoneAndSyncedRemoveIsFinal) {
  int undone = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed);
    ASSERT_TRUE(disk.WriteWhole("x", "old").ok());
    ASSERT_TRUE(disk.WriteWhole("y", "old").ok());
    ASSERT_TRUE(disk.Remove("x").ok());
    ASSERT_TRUE(disk.Remove("y").ok());
    ASSERT_TRUE(disk.SyncDir("").ok());
    ASSERT_TRUE(disk.WriteWhole("z", "old").ok());
    ASSERT_TRUE(disk.Remove("z").ok());
    disk.Crash();
    EXPECT_FALSE(disk.Exists("x"));
    EXPECT_FALSE(disk.Exists("y"));
    if (disk.Exists("z")) {
      ++undone;
      EXPECT_EQ(ReadOrEmpty(disk, "z"), "old");
    }
  }
  EXPECT_GT(undone, 0);
}

TEST(SimDisk, UnsyncedRenameIsAllOrNothing) {
  int undone = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed);
    ASSERT_TRUE(disk.WriteWhole("meta.tmp", "new").ok());
    ASSERT_TRUE(disk.WriteWhole("meta", "old").ok());
    ASSERT_TRUE(disk.Rename("meta.tmp", "meta").ok());
    EXPECT_EQ(ReadOrEmpty(disk, "meta"), "new");
    EXPECT_FALSE(disk.Exists("meta.tmp"));
    disk.Crash();
    const std::string meta = ReadOrEmpty(disk, "meta");
    if (meta == "old") {
      ++undone;
      EXPECT_EQ(ReadOrEmpty(disk, "meta.tmp"), "new");
    } else {
      EXPECT_EQ(meta, "new");
      EXPECT_FALSE(disk.Exists("meta.tmp"));
    }
  }
  EXPECT_GT(undone, 0);
}

TEST(SimDisk, RenamedDirectoryKeepsItsChildren) {
  SimClock clock;
  SimDisk disk(clock, 1);
  ASSERT_TRUE(disk.MakeDirs("t-0").ok());
  ASSERT_TRUE(disk.WriteWhole("t-0/0.log", "abc").ok());
  ASSERT_TRUE(disk.Rename("t-0", "t-0.deleted").ok());
  ASSERT_TRUE(disk.SyncDir("").ok());
  disk.Crash();
  EXPECT_FALSE(disk.Exists("t-0"));
  EXPECT_EQ(ReadOrEmpty(disk, "t-0.deleted/0.log"), "abc");
  EXPECT_FALSE(disk.Rename("t-0.deleted", "t-0.deleted/inner").ok());
}

TEST(SimDisk, FailedSyncIsPermanentForThatFile) {
  SimClock clock;
  DiskFaults faults;
  faults.sync_eio = 1;
  SimDisk disk(clock, 3, faults);
  auto bad = OpenOrDie(disk, "bad.log");
  ASSERT_TRUE(bad->Append("abc").ok());
  EXPECT_EQ(SyncAndWait(clock, *bad).code(), Code::kIoError);
  disk.faults().sync_eio = 0;
  EXPECT_EQ(SyncAndWait(clock, *bad).code(), Code::kIoError);
  EXPECT_EQ(bad->SyncNow().code(), Code::kIoError);
  auto reopened = OpenOrDie(disk, "bad.log", OpenMode::kOpenExisting);
  EXPECT_EQ(reopened->SyncNow().code(), Code::kIoError);
  auto good = OpenOrDie(disk, "good.log");
  EXPECT_TRUE(SyncAndWait(clock, *good).ok());
  EXPECT_EQ(disk.stats().sync_failures, 4u);
}

TEST(SimDisk, AppendFailsWithNoSpaceAtCapacityAndRemoveFreesIt) {
  SimClock clock;
  DiskFaults faults;
  faults.capacity_bytes = 1000;
  SimDisk disk(clock, 4, faults);
  auto a = OpenOrDie(disk, "a");
  ASSERT_TRUE(a->Append(std::string(600, 'a')).ok());
  auto b = OpenOrDie(disk, "b");
  EXPECT_EQ(b->Append(std::string(401, 'b')).code(), Code::kNoSpace);
  EXPECT_TRUE(b->Append(std::string(400, 'b')).ok());
  EXPECT_EQ(disk.used_bytes(), 1000u);
  EXPECT_EQ(b->Append("x").code(), Code::kNoSpace);
  a.reset();
  ASSERT_TRUE(disk.Remove("a").ok());
  EXPECT_EQ(disk.used_bytes(), 400u);
  EXPECT_TRUE(b->Append("x").ok());
  EXPECT_EQ(disk.stats().append_failures, 2u);
}

TEST(SimDisk, UnlinkedOpenFileStillHoldsSpace) {
  SimClock clock;
  SimDisk disk(clock, 5);
  auto a = OpenOrDie(disk, "a");
  ASSERT_TRUE(a->Append("12345").ok());
  ASSERT_TRUE(disk.Remove("a").ok());
  EXPECT_EQ(disk.used_bytes(), 5u);
  EXPECT_TRUE(a->Append("6").ok());
  a.reset();
  EXPECT_EQ(disk.used_bytes(), 0u);
}

TEST(SimDisk, InjectedAppendAndReadErrorsAreReported) {
  SimClock clock;
  DiskFaults faults;
  faults.append_eio = 1;
  SimDisk disk(clock, 6, faults);
  auto f = OpenOrDie(disk, "f");
  EXPECT_EQ(f->Append("x").code(), Code::kIoError);
  EXPECT_EQ(f->Size(), 0u);
  disk.faults().append_eio = 0;
  disk.faults().append_enospc = 1;
  EXPECT_EQ(f->Append("x").code(), Code::kNoSpace);
  disk.faults().append_enospc = 0;
  ASSERT_TRUE(f->Append("hello").ok());
  disk.faults().read_eio = 1;
  std::string out;
  EXPECT_EQ(f->Read(0, 5, &out).code(), Code::kIoError);
  disk.faults().read_eio = 0;
  ASSERT_TRUE(f->Read(1, 100, &out).ok());
  EXPECT_EQ(out, "ello");
  ASSERT_TRUE(f->Read(9, 3, &out).ok());
  EXPECT_EQ(out, "");
}

TEST(SimDisk, OpenFilesDieInACrash) {
  SimClock clock;
  SimDisk disk(clock, 7);
  auto f = OpenOrDie(disk, "f");
  ASSERT_TRUE(disk.SyncDir("").ok());
  ASSERT_TRUE(f->Append("abc").ok());
  ASSERT_TRUE(f->SyncNow().ok());
  disk.Crash();
  std::string out;
  EXPECT_EQ(f->Append("x").code(), Code::kIoError);
  EXPECT_EQ(f->Read(0, 3, &out).code(), Code::kIoError);
  EXPECT_EQ(f->SyncNow().code(), Code::kIoError);
  EXPECT_EQ(f->Truncate(0).code(), Code::kIoError);
  EXPECT_EQ(f->Size(), 3u);
  EXPECT_EQ(SyncAndWait(clock, *f).code(), Code::kIoError);
  auto again = OpenOrDie(disk, "f", OpenMode::kOpenExisting);
  ASSERT_TRUE(again->Read(0, 3, &out).ok());
  EXPECT_EQ(out, "abc");
}

TEST(SimDisk, InFlightSyncNeverCompletesAfterACrash) {
  SimClock clock;
  DiskFaults faults;
  faults.sync_latency_min_ms = 5;
  faults.sync_latency_max_ms = 5;
  SimDisk disk(clock, 8, faults);
  auto f = OpenOrDie(disk, "f");
  ASSERT_TRUE(f->Append("abc").ok());
  bool called = false;
  f->Sync([&](Status) { called = true; });
  disk.Crash();
  clock.RunAll();
  EXPECT_FALSE(called);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(SimDisk, SyncCompletesAfterItsLatencyAndInCallOrder) {
  SimClock clock;
  DiskFaults faults;
  faults.sync_latency_min_ms = 1;
  faults.sync_latency_max_ms = 50;
  SimDisk disk(clock, 9, faults);
  auto f = OpenOrDie(disk, "f");
  std::vector<int> order;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(f->Append("x").ok());
    f->Sync([&order, i](Status s) {
      EXPECT_TRUE(s.ok());
      order.push_back(i);
    });
  }
  EXPECT_TRUE(order.empty());
  clock.RunAll();
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
  EXPECT_GE(clock.NowMs(), 1);
  EXPECT_LE(clock.NowMs(), 50);
}

TEST(SimDisk, SyncMakesDurableOnlyWhatWasWrittenBeforeIt) {
  DiskFaults faults;
  faults.crash_drop_tail = 1;
  SimClock clock;
  SimDisk disk(clock, 10, faults);
  auto f = OpenOrDie(disk, "f");
  ASSERT_TRUE(disk.SyncDir("").ok());
  ASSERT_TRUE(f->Append("before").ok());
  bool done = false;
  f->Sync([&](Status s) { done = s.ok(); });
  ASSERT_TRUE(f->Append("after").ok());
  clock.RunAll();
  ASSERT_TRUE(done);
  disk.Crash();
  EXPECT_EQ(ReadOrEmpty(disk, "f"), "before");
}

TEST(SimDisk, TruncateWithoutSyncLeavesOldOrTruncatedContentsAfterCrash) {
  int old_seen = 0, truncated_seen = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    DiskFaults faults;
    faults.crash_drop_tail = 1;
    SimClock clock;
    SimDisk disk(clock, seed, faults);
    auto f = OpenOrDie(disk, "f");
    ASSERT_TRUE(disk.SyncDir("").ok());
    ASSERT_TRUE(f->Append("0123456789").ok());
    ASSERT_TRUE(f->SyncNow().ok());
    ASSERT_TRUE(f->Truncate(4).ok());
    ASSERT_TRUE(f->Append("XY").ok());
    EXPECT_EQ(f->Size(), 6u);
    disk.Crash();
    const std::string after = ReadOrEmpty(disk, "f");
    if (after == "0123456789") {
      ++old_seen;
    } else {
      EXPECT_EQ(after, "0123");
      ++truncated_seen;
    }
  }
  EXPECT_GT(old_seen, 0);
  EXPECT_GT(truncated_seen, 0);
}

TEST(SimDisk, TruncateThenSyncMakesTheNewContentsDurable) {
  DiskFaults faults;
  faults.crash_drop_tail = 1;
  SimClock clock;
  SimDisk disk(clock, 11, faults);
  auto f = OpenOrDie(disk, "f");
  ASSERT_TRUE(disk.SyncDir("").ok());
  ASSERT_TRUE(f->Append("0123456789").ok());
  ASSERT_TRUE(SyncAndWait(clock, *f).ok());
  ASSERT_TRUE(f->Truncate(4).ok());
  ASSERT_TRUE(f->Append("XY").ok());
  ASSERT_TRUE(SyncAndWait(clock, *f).ok());
  disk.Crash();
  EXPECT_EQ(ReadOrEmpty(disk, "f"), "0123XY");
}

TEST(SimDisk, TruncateDuringAnInFlightSyncStillMakesItsSnapshotDurable) {
  DiskFaults faults;
  faults.crash_drop_tail = 1;
  faults.sync_latency_min_ms = 10;
  faults.sync_latency_max_ms = 10;
  for (int seed = 0; seed < 50; ++seed) {
    SimClock clock;
    SimDisk disk(clock, seed, faults);
    auto f = OpenOrDie(disk, "f");
    ASSERT_TRUE(disk.SyncDir("").ok());
    ASSERT_TRUE(f->Append("abcdef").ok());
    bool done = false;
    f->Sync([&](Status s) { done = s.ok(); });
    ASSERT_TRUE(f->Truncate(2).ok());
    ASSERT_TRUE(f->Append("XY").ok());
    clock.RunAll();
    ASSERT_TRUE(done);
    disk.Crash();
    const std::string after = ReadOrEmpty(disk, "f");
    EXPECT_TRUE(after == "abcdef" || after == "ab") << after;
  }
}

TEST(SimDisk, ListReturnsSortedNamesOfFilesAndDirectories) {
  SimClock clock;
  SimDisk disk(clock, 12);
  ASSERT_TRUE(disk.MakeDirs("d/sub").ok());
  ASSERT_TRUE(disk.WriteWhole("d/b.log", "").ok());
  ASSERT_TRUE(disk.WriteWhole("d/a.log", "").ok());
  ASSERT_TRUE(disk.WriteWhole("d/sub/deep", "").ok());
  const std::vector<std::string> want{"a.log", "b.log", "sub"};
  auto plain = disk.List("d");
  auto slashed = disk.List("d/");
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(slashed.ok());
  EXPECT_EQ(plain.value(), want);
  EXPECT_EQ(slashed.value(), want);
  EXPECT_EQ(disk.List("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(disk.List("d/a.log").status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(disk.Exists("d/sub/"));
}

TEST(SimDisk, OpenModesFollowTheirContract) {
  SimClock clock;
  SimDisk disk(clock, 13);
  EXPECT_EQ(disk.Open("f", OpenMode::kOpenExisting).status().code(), Code::kNotFound);
  EXPECT_EQ(disk.Open("missing/f", OpenMode::kOpenOrCreate).status().code(), Code::kNotFound);
  auto f = OpenOrDie(disk, "f", OpenMode::kCreateNew);
  ASSERT_TRUE(f->Append("abc").ok());
  EXPECT_EQ(disk.Open("f", OpenMode::kCreateNew).status().code(), Code::kAlreadyExists);
  auto same = OpenOrDie(disk, "f", OpenMode::kOpenOrCreate);
  EXPECT_EQ(same->Size(), 3u);
  auto emptied = OpenOrDie(disk, "f", OpenMode::kTruncate);
  EXPECT_EQ(emptied->Size(), 0u);
  EXPECT_EQ(f->Size(), 0u);
  ASSERT_TRUE(disk.MakeDirs("dir").ok());
  EXPECT_EQ(disk.Open("dir", OpenMode::kOpenOrCreate).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(disk.Remove("").code(), Code::kInvalidArgument);
  ASSERT_TRUE(disk.WriteWhole("dir/x", "1").ok());
  EXPECT_FALSE(disk.Remove("dir").ok());
  EXPECT_EQ(f->Truncate(10).code(), Code::kInvalidArgument);
}

// A scripted workload with random crash outcomes; returns a fingerprint.
std::string RunWorkload(uint64_t seed) {
  SimClock clock;
  DiskFaults faults;
  faults.sync_eio = 0.05;
  faults.append_eio = 0.02;
  SimDisk disk(clock, seed, faults);
  std::string fingerprint;
  for (int round = 0; round < 5; ++round) {
    EXPECT_TRUE(disk.MakeDirs("p").ok());
    for (int i = 0; i < 4; ++i) {
      const std::string path = "p/" + std::to_string(i);
      auto f = disk.Open(path, OpenMode::kOpenOrCreate);
      if (!f.ok()) continue;
      for (int j = 0; j < 10; ++j) {
        (*f)->Append(Pattern(300 + j * 101, static_cast<char>(i + j))).IgnoreError();
        if (j % 3 == 0) (*f)->Sync([](Status) {});
      }
      if (i % 2 == 0) disk.SyncDir("p").IgnoreError();
      clock.RunUntil(clock.NowMs() + 1);
    }
    disk.Crash();
    for (int i = 0; i < 4; ++i) {
      fingerprint += std::to_string(ReadOrEmpty(disk, "p/" + std::to_string(i)).size()) + ",";
    }
  }
  const auto& s = disk.stats();
  fingerprint += std::to_string(s.torn_tails) + "/" + std::to_string(s.sync_failures) + "/" +
                 std::to_string(s.lost_dir_changes);
  return fingerprint;
}

TEST(SimDisk, SameSeedGivesTheSameOutcome) {
  for (uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(RunWorkload(seed), RunWorkload(seed));
  int distinct = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) distinct += RunWorkload(seed) != RunWorkload(seed + 1);
  EXPECT_GT(distinct, 10);
}

// Garbage collection is by reference counts (sim_disk.cc): a log that rolls
// and deletes thousands of segments must not leave a node behind per file,
// and what is still open, or named by a durable entry or an unsynced change,
// must stay.
TEST(SimDisk, RemovedAndSyncedFilesAreCollected) {
  SimClock clock;
  SimDisk disk(clock, 7);
  ASSERT_TRUE(disk.MakeDirs("log").ok());
  ASSERT_TRUE(disk.SyncDir("").ok());
  ASSERT_TRUE(disk.SyncDir("log").ok());
  const size_t baseline = disk.node_count();
  for (int i = 0; i < 5000; ++i) {
    const std::string path = "log/" + std::to_string(i) + ".log";
    auto file = OpenOrDie(disk, path);
    ASSERT_NE(file, nullptr);
    ASSERT_TRUE(file->Append(Pattern(100, static_cast<char>(i))).ok());
    ASSERT_TRUE(disk.SyncDir("log").ok());
    file.reset();
    if (i >= 2) {
      ASSERT_TRUE(disk.Remove("log/" + std::to_string(i - 2) + ".log").ok());
      ASSERT_TRUE(disk.SyncDir("log").ok());
    }
  }
  EXPECT_EQ(disk.node_count(), baseline + 2);  // the last two files
  EXPECT_EQ(disk.used_bytes(), 200u);
  disk.Crash();
  EXPECT_EQ(disk.List("log").value(), (std::vector<std::string>{"4998.log", "4999.log"}));
}

TEST(SimDisk, UnlinkedOpenFileLivesUntilClosed) {
  SimClock clock;
  SimDisk disk(clock, 8);
  auto file = OpenOrDie(disk, "f");
  ASSERT_TRUE(file->Append("hello").ok());
  ASSERT_TRUE(disk.SyncDir("").ok());
  const size_t with_file = disk.node_count();
  ASSERT_TRUE(disk.Remove("f").ok());
  ASSERT_TRUE(disk.SyncDir("").ok());
  EXPECT_FALSE(disk.Exists("f"));
  EXPECT_EQ(disk.node_count(), with_file);  // still open
  std::string out;
  ASSERT_TRUE(file->Read(0, 5, &out).ok());
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(SyncAndWait(clock, *file).ok());
  file.reset();
  ASSERT_TRUE(disk.SyncDir("").ok());  // collects
  EXPECT_EQ(disk.node_count(), with_file - 1);
  EXPECT_EQ(disk.used_bytes(), 0u);
}

TEST(SimDisk, RemovedDirectoryStaysWhileAnUnsyncedChangeNamesIt) {
  SimClock clock;
  SimDisk disk(clock, 9);
  ASSERT_TRUE(disk.MakeDirs("d").ok());
  OpenOrDie(disk, "d/f").reset();
  ASSERT_TRUE(disk.SyncDir("").ok());
  ASSERT_TRUE(disk.SyncDir("d").ok());
  const size_t before = disk.node_count();
  // d/f's removal is never synced; d goes away durably.
  ASSERT_TRUE(disk.Remove("d/f").ok());
  ASSERT_TRUE(disk.Remove("d").ok());
  ASSERT_TRUE(disk.SyncDir("").ok());
  EXPECT_FALSE(disk.Exists("d"));
  EXPECT_EQ(disk.node_count(), before);  // the unsynced change still names d and f
  disk.Crash();
  EXPECT_FALSE(disk.Exists("d"));
  EXPECT_EQ(disk.node_count(), before - 2);  // d and f are gone with the namespace rebuilt
  ASSERT_TRUE(disk.MakeDirs("d").ok());      // and the name is free
  EXPECT_TRUE(disk.List("d").value().empty());
}

}  // namespace
}  // namespace gafka::sim
