#include "runtime-real/posix_disk.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime-real/event_loop.h"
#include "tests/runtime-real/temp_dir.h"

namespace gafka::real {
namespace {

using testing::TempDir;

constexpr Millis kDeadlineMs = 10'000;  // only reached when a test fails

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class PosixDiskTest : public ::testing::Test {
 protected:
  PosixDiskTest() : disk_(loop_, dir_.path(), /*io_threads=*/2) {}

  std::unique_ptr<File> OpenOrDie(const std::string& path, OpenMode mode) {
    auto file = disk_.Open(path, mode);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? std::move(file).value() : nullptr;
  }

  // Runs the loop until `done` (on this thread, which is then the loop thread).
  bool RunUntil(const std::function<bool()>& done) { return loop_.RunUntil(done, kDeadlineMs); }

  TempDir dir_;
  EventLoop loop_;
  PosixDisk disk_;
};

TEST_F(PosixDiskTest, AppendThenReadReturnsTheBytesAndSizeCountsThem) {
  auto file = OpenOrDie("a.log", OpenMode::kCreateNew);
  EXPECT_EQ(file->Size(), 0u);
  EXPECT_EQ(file->path(), "a.log");
  ASSERT_TRUE(file->Append("hello ").ok());
  ASSERT_TRUE(file->Append("world").ok());
  ASSERT_TRUE(file->Append("").ok());
  EXPECT_EQ(file->Size(), 11u);
  std::string out;
  ASSERT_TRUE(file->Read(0, 11, &out).ok());
  EXPECT_EQ(out, "hello world");
  ASSERT_TRUE(file->Read(6, 3, &out).ok());
  EXPECT_EQ(out, "wor");
  EXPECT_EQ(ReadWholeFile(dir_.path() + "/a.log"), "hello world");
}

TEST_F(PosixDiskTest, ReadIsShortOnlyAtTheEndOfTheFile) {
  auto file = OpenOrDie("a.log", OpenMode::kCreateNew);
  ASSERT_TRUE(file->Append("0123456789").ok());
  std::string out = "stale";
  ASSERT_TRUE(file->Read(7, 1 << 20, &out).ok());
  EXPECT_EQ(out, "789");
  ASSERT_TRUE(file->Read(10, 5, &out).ok());
  EXPECT_EQ(out, "");
  ASSERT_TRUE(file->Read(1000, 5, &out).ok());
  EXPECT_EQ(out, "");
  ASSERT_TRUE(file->Read(2, SIZE_MAX, &out).ok());
  EXPECT_EQ(out, "23456789");
}

TEST_F(PosixDiskTest, ReadSeesBytesAppendedThroughAnotherFileOfTheSamePath) {
  auto writer = OpenOrDie("a.log", OpenMode::kCreateNew);
  auto reader = OpenOrDie("a.log", OpenMode::kOpenExisting);
  ASSERT_TRUE(writer->Append("abc").ok());
  std::string out;
  ASSERT_TRUE(reader->Read(0, 100, &out).ok());
  EXPECT_EQ(out, "abc");
}

TEST_F(PosixDiskTest, TruncateCutsTheFileAndTheNextAppendGoesToTheNewEnd) {
  auto file = OpenOrDie("a.log", OpenMode::kCreateNew);
  ASSERT_TRUE(file->Append("0123456789").ok());
  ASSERT_TRUE(file->Truncate(4).ok());
  EXPECT_EQ(file->Size(), 4u);
  ASSERT_TRUE(file->Append("xy").ok());
  EXPECT_EQ(file->Size(), 6u);
  std::string out;
  ASSERT_TRUE(file->Read(0, 100, &out).ok());
  EXPECT_EQ(out, "0123xy");
  EXPECT_EQ(ReadWholeFile(dir_.path() + "/a.log"), "0123xy");
}

TEST_F(PosixDiskTest, TruncateBeyondTheSizeIsRefused) {
  auto file = OpenOrDie("a.log", OpenMode::kCreateNew);
  ASSERT_TRUE(file->Append("abc").ok());
  const Status status = file->Truncate(4);
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_EQ(file->Size(), 3u);
}

TEST_F(PosixDiskTest, OpenModesFollowTheirContract) {
  EXPECT_EQ(disk_.Open("missing", OpenMode::kOpenExisting).status().code(), Code::kNotFound);
  {
    auto file = OpenOrDie("f", OpenMode::kCreateNew);
    ASSERT_TRUE(file->Append("data").ok());
  }
  EXPECT_EQ(disk_.Open("f", OpenMode::kCreateNew).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(OpenOrDie("f", OpenMode::kOpenOrCreate)->Size(), 4u);
  EXPECT_EQ(OpenOrDie("f", OpenMode::kOpenExisting)->Size(), 4u);
  EXPECT_EQ(OpenOrDie("f", OpenMode::kTruncate)->Size(), 0u);
  EXPECT_EQ(OpenOrDie("new", OpenMode::kOpenOrCreate)->Size(), 0u);
  EXPECT_EQ(OpenOrDie("new2", OpenMode::kTruncate)->Size(), 0u);
  const auto status = disk_.Open("no/such/dir/f", OpenMode::kOpenOrCreate).status();
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_NE(status.message().find(dir_.path() + "/no/such/dir/f"), std::string::npos)
      << status.message();
}

TEST_F(PosixDiskTest, SyncCompletesLaterOnTheLoopWithOk) {
  auto file = OpenOrDie("a.log", OpenMode::kCreateNew);
  ASSERT_TRUE(file->Append("durable").ok());
  bool called = false;
  Status result = Internal("not called");
  bool on_loop_thread = false;
  file->Sync([&](Status s) {
    called = true;
    result = s;
    on_loop_thread = loop_.IsLoopThread();
  });
  EXPECT_FALSE(called) << "a completion must not run inside Sync()";
  ASSERT_TRUE(RunUntil([&] { return called; }));
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_TRUE(on_loop_thread);
}

TEST_F(PosixDiskTest, SyncCompletionArrivesOnTheLoopThreadWhenTheLoopRunsInItsOwnThread) {
  auto file = OpenOrDie("a.log", OpenMode::kCreateNew);
  loop_.RunInThread();
  std::promise<std::pair<bool, Status>> done;
  ASSERT_TRUE(loop_.Post([&] {
    ASSERT_TRUE(file->Append("x").ok());
    file->Sync([&](Status s) { done.set_value({loop_.IsLoopThread(), s}); });
  }));
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::milliseconds(kDeadlineMs)), std::future_status::ready);
  const auto [on_loop_thread, status] = future.get();
  loop_.Join();
  EXPECT_TRUE(on_loop_thread);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST_F(PosixDiskTest, SyncsRequestedWhileOneIsInFlightAllCompleteInOrder) {
  auto file = OpenOrDie("a.log", OpenMode::kCreateNew);
  std::vector<int> completed;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(file->Append("record " + std::to_string(i) + "\n").ok());
    file->Sync([&completed, i](Status s) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      completed.push_back(i);
    });
  }
  ASSERT_TRUE(RunUntil([&] { return completed.size() == 100; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(completed[i], i);
}

TEST_F(PosixDiskTest, ConcurrentAppendsAndSyncsOnManyFilesAllBecomeDurable) {
  constexpr int kFiles = 4;
  constexpr int kRounds = 200;
  std::vector<std::unique_ptr<File>> files;
  for (int f = 0; f < kFiles; ++f) {
    files.push_back(OpenOrDie("f" + std::to_string(f), OpenMode::kCreateNew));
  }
  int completed = 0;
  int failed = 0;
  std::vector<uint64_t> durable_size(kFiles, 0);
  const std::string record(1000, 'r');
  int round = 0;
  // Each round appends to every file and asks for a sync, without waiting
  // for the previous round's syncs: they overlap with the I/O threads.
  std::function<void()> next_round = [&] {
    for (int f = 0; f < kFiles; ++f) {
      ASSERT_TRUE(files[f]->Append(record).ok());
      const uint64_t covered = files[f]->Size();
      files[f]->Sync([&, f, covered](Status s) {
        if (!s.ok()) ++failed;
        EXPECT_GE(covered, durable_size[f]) << "completions out of order";
        durable_size[f] = covered;
        ++completed;
      });
    }
    if (++round < kRounds) loop_.After(0, next_round);
  };
  loop_.After(0, next_round);
  ASSERT_TRUE(RunUntil([&] { return completed == kFiles * kRounds; }));
  EXPECT_EQ(failed, 0);
  for (int f = 0; f < kFiles; ++f) {
    EXPECT_EQ(durable_size[f], uint64_t{kRounds} * record.size());
    EXPECT_EQ(ReadWholeFile(dir_.path() + "/f" + std::to_string(f)).size(),
              kRounds * record.size());
  }
}

TEST_F(PosixDiskTest, ReopenSeesSyncedData) {
  {
    auto file = OpenOrDie("seg.log", OpenMode::kCreateNew);
    ASSERT_TRUE(file->Append("first,").ok());
    ASSERT_TRUE(file->SyncNow().ok());
    ASSERT_TRUE(file->Append("second").ok());
    bool synced = false;
    file->Sync([&](Status s) {
      EXPECT_TRUE(s.ok());
      synced = true;
    });
    ASSERT_TRUE(RunUntil([&] { return synced; }));
  }
  ASSERT_TRUE(disk_.SyncDir("").ok());
  auto reopened = OpenOrDie("seg.log", OpenMode::kOpenExisting);
  EXPECT_EQ(reopened->Size(), 12u);
  std::string out;
  ASSERT_TRUE(reopened->Read(0, 100, &out).ok());
  EXPECT_EQ(out, "first,second");
}

TEST_F(PosixDiskTest, DestroyingAFileWithASyncInFlightIsSafeAndDropsItsCallback) {
  auto token = std::make_shared<int>(0);
  bool called = false;
  {
    auto file = OpenOrDie("a.log", OpenMode::kCreateNew);
    ASSERT_TRUE(file->Append("x").ok());
    file->Sync([&called, token](Status) { called = true; });
    file->Sync([&called, token](Status) { called = true; });  // coalesced behind it
  }
  EXPECT_EQ(disk_.open_files(), 0u);
  // The callbacks are destroyed (releasing the token) once the sync is done.
  ASSERT_TRUE(RunUntil([&] { return token.use_count() == 1; }));
  EXPECT_FALSE(called);
}

TEST_F(PosixDiskTest, ListReturnsSortedNames) {
  for (const char* name : {"b", "a", "00000000000000000010.log", "00000000000000000002.log"}) {
    OpenOrDie(name, OpenMode::kCreateNew);
  }
  ASSERT_TRUE(disk_.MakeDirs("sub").ok());
  auto names = disk_.List("");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"00000000000000000002.log",
                                              "00000000000000000010.log", "a", "b", "sub"}));
  auto empty = disk_.List("sub");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(disk_.List("missing").status().code(), Code::kNotFound);
}

TEST_F(PosixDiskTest, MakeDirsCreatesParentsAndIsIdempotent) {
  ASSERT_TRUE(disk_.MakeDirs("t-0/x/y").ok());
  ASSERT_TRUE(disk_.MakeDirs("t-0/x/y").ok());
  ASSERT_TRUE(disk_.MakeDirs("").ok());
  EXPECT_TRUE(disk_.Exists("t-0/x/y"));
  EXPECT_TRUE(disk_.Exists(""));
  OpenOrDie("t-0/file", OpenMode::kCreateNew);
  EXPECT_FALSE(disk_.MakeDirs("t-0/file").ok());
}

TEST_F(PosixDiskTest, MakeDirsCreatesAMissingRoot) {
  PosixDisk nested(loop_, dir_.path() + "/deep/er/root");
  EXPECT_FALSE(nested.Exists(""));
  ASSERT_TRUE(nested.MakeDirs("").ok());
  EXPECT_TRUE(nested.Exists(""));
}

TEST_F(PosixDiskTest, RemoveDeletesFilesAndEmptyDirectoriesOnly) {
  OpenOrDie("f", OpenMode::kCreateNew);
  ASSERT_TRUE(disk_.MakeDirs("d/inner").ok());
  ASSERT_TRUE(disk_.Remove("f").ok());
  EXPECT_FALSE(disk_.Exists("f"));
  EXPECT_EQ(disk_.Remove("f").code(), Code::kNotFound);
  EXPECT_EQ(disk_.Remove("d").code(), Code::kInvalidArgument);
  ASSERT_TRUE(disk_.Remove("d/inner").ok());
  ASSERT_TRUE(disk_.Remove("d").ok());
  EXPECT_FALSE(disk_.Exists("d"));
}

TEST_F(PosixDiskTest, RenameReplacesTheTarget) {
  {
    auto a = OpenOrDie("a.tmp", OpenMode::kCreateNew);
    ASSERT_TRUE(a->Append("new").ok());
    auto b = OpenOrDie("b", OpenMode::kCreateNew);
    ASSERT_TRUE(b->Append("old contents").ok());
  }
  ASSERT_TRUE(disk_.Rename("a.tmp", "b").ok());
  ASSERT_TRUE(disk_.SyncDir("").ok());
  EXPECT_FALSE(disk_.Exists("a.tmp"));
  EXPECT_EQ(ReadWholeFile(dir_.path() + "/b"), "new");
  EXPECT_EQ(disk_.Rename("a.tmp", "b").code(), Code::kNotFound);
}

TEST_F(PosixDiskTest, RenameIsAtomicForAConcurrentReader) {
  {
    auto target = OpenOrDie("meta", OpenMode::kCreateNew);
    ASSERT_TRUE(target->Append("v0").ok());
  }
  // A reader opens the target over and over while the target is replaced
  // 300 times: it must never find it missing or see a partly written file.
  std::atomic<bool> stop{false};
  std::atomic<int> missing{0};
  std::atomic<int> torn{0};
  const std::string target_path = dir_.path() + "/meta";
  std::thread reader([&] {
    while (!stop.load()) {
      std::ifstream in(target_path, std::ios::binary);
      if (!in) {
        ++missing;
        continue;
      }
      std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (contents.size() < 2 || contents[0] != 'v') ++torn;
    }
  });
  for (int i = 1; i <= 300; ++i) {
    auto tmp = OpenOrDie("meta.tmp", OpenMode::kTruncate);
    ASSERT_TRUE(tmp->Append("v" + std::to_string(i)).ok());
    ASSERT_TRUE(tmp->SyncNow().ok());
    ASSERT_TRUE(disk_.Rename("meta.tmp", "meta").ok());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(missing.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(ReadWholeFile(target_path), "v300");
}

TEST_F(PosixDiskTest, SyncDirSucceedsOnDirectoriesAndReportsMissingOnes) {
  ASSERT_TRUE(disk_.MakeDirs("t-1").ok());
  EXPECT_TRUE(disk_.SyncDir("t-1").ok());
  EXPECT_TRUE(disk_.SyncDir("").ok());
  EXPECT_EQ(disk_.SyncDir("missing").code(), Code::kNotFound);
}

TEST_F(PosixDiskTest, FailedSyncIsPermanentForThatFile) {
  // fdatasync on a FIFO fails (EINVAL): a real failing sync without root.
  ASSERT_EQ(::mkfifo((dir_.path() + "/pipe").c_str(), 0644), 0);
  auto file = OpenOrDie("pipe", OpenMode::kOpenExisting);
  std::vector<Status> results;
  file->Sync([&](Status s) { results.push_back(s); });
  ASSERT_TRUE(RunUntil([&] { return results.size() == 1; }));
  EXPECT_EQ(results[0].code(), Code::kIoError);
  EXPECT_NE(results[0].message().find("fdatasync"), std::string::npos);
  EXPECT_NE(results[0].message().find(dir_.path() + "/pipe"), std::string::npos);
  // Later syncs fail with the same error, still through the loop.
  file->Sync([&](Status s) { results.push_back(s); });
  EXPECT_EQ(results.size(), 1u);
  ASSERT_TRUE(RunUntil([&] { return results.size() == 2; }));
  EXPECT_EQ(results[1].message(), results[0].message());
  EXPECT_EQ(file->SyncNow().message(), results[0].message());
}

TEST_F(PosixDiskTest, FailedSyncNowFailsLaterAsyncSyncs) {
  ASSERT_EQ(::mkfifo((dir_.path() + "/pipe").c_str(), 0644), 0);
  auto file = OpenOrDie("pipe", OpenMode::kOpenExisting);
  const Status first = file->SyncNow();
  EXPECT_EQ(first.code(), Code::kIoError);
  Status later;
  bool called = false;
  file->Sync([&](Status s) {
    later = s;
    called = true;
  });
  ASSERT_TRUE(RunUntil([&] { return called; }));
  EXPECT_EQ(later.message(), first.message());
}

TEST(PosixDisk, AppendToAFullDeviceFailsWithNoSpace) {
  EventLoop loop;
  PosixDisk dev(loop, "/dev");
  auto file = dev.Open("full", OpenMode::kOpenExisting);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const Status status = (*file)->Append("x");
  EXPECT_EQ(status.code(), Code::kNoSpace);
  EXPECT_NE(status.message().find("/dev/full"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("No space left on device"), std::string::npos);
}

TEST(PosixDisk, AppendToAFullFileSystemFailsWithNoSpaceAndCountsThePartialWrite) {
  TempDir dir;
  const std::string mount_point = dir.path() + "/tiny";
  ASSERT_EQ(::mkdir(mount_point.c_str(), 0755), 0);
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (needs CAP_SYS_ADMIN): " << std::strerror(errno);
  }
  {
    EventLoop loop;
    PosixDisk disk(loop, mount_point);
    auto file = disk.Open("big", OpenMode::kCreateNew);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    const Status status = (*file)->Append(std::string(1 << 20, 'z'));
    EXPECT_EQ(status.code(), Code::kNoSpace) << status.ToString();
    // What did reach the file is counted, so it can be cut away.
    EXPECT_GT((*file)->Size(), 0u);
    EXPECT_LT((*file)->Size(), 1u << 20);
    EXPECT_TRUE((*file)->Truncate(0).ok());
    EXPECT_TRUE((*file)->Append("fits").ok());
    EXPECT_EQ((*file)->Size(), 4u);
  }
  EXPECT_EQ(::umount(mount_point.c_str()), 0) << std::strerror(errno);
}

TEST(PosixError, MapsErrnoToCodesAndNamesPathAndReason) {
  const Status eio = PosixError(EIO, "write", "/data/t-0/00.log");
  EXPECT_EQ(eio.code(), Code::kIoError);
  EXPECT_EQ(eio.message(), "write /data/t-0/00.log: Input/output error");
  EXPECT_EQ(PosixError(ENOSPC, "write", "p").code(), Code::kNoSpace);
  EXPECT_EQ(PosixError(EDQUOT, "write", "p").code(), Code::kNoSpace);
  EXPECT_EQ(PosixError(ENOENT, "open", "p").code(), Code::kNotFound);
  EXPECT_EQ(PosixError(EEXIST, "open", "p").code(), Code::kAlreadyExists);
  EXPECT_EQ(PosixError(ENOTEMPTY, "rmdir", "p").code(), Code::kInvalidArgument);
  EXPECT_EQ(PosixError(EROFS, "open", "p").code(), Code::kIoError);
}

}  // namespace
}  // namespace gafka::real

namespace gafka::real {
namespace {

// A job that an I/O thread submits (a sync completion starting the file's
// next sync) runs on that same thread when it is done: no other I/O thread
// is woken for it.
TEST(IoPoolTest, AJobSubmittedFromAPoolThreadRunsOnThatThread) {
  IoPool pool(4);
  for (int round = 0; round < 50; ++round) {
    // Every thread asleep: any of them would take a job it is woken for.
    while (pool.idle_threads() < 4) std::this_thread::yield();
    std::promise<std::pair<std::thread::id, std::thread::id>> ran;
    pool.Submit([&pool, &ran] {
      const std::thread::id first = std::this_thread::get_id();
      pool.Submit([first, &ran] { ran.set_value({first, std::this_thread::get_id()}); });
      // Linger, so that a woken idle thread would take the job first.
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
      while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
    });
    auto future = ran.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    const auto [first, second] = future.get();
    ASSERT_EQ(first, second) << "round " << round;
  }
}

}  // namespace
}  // namespace gafka::real
