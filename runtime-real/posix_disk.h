// PosixDisk / PosixFile: the real runtime's Disk on POSIX files under one
// root directory, with fdatasync on a small pool of I/O threads.
//
// Ownership and threads
// - PosixDisk is owned by the runtime (RealEnv); it must outlive every File
//   it opened (checked in its destructor) and the EventLoop must outlive it.
// - Every Disk and File method is called from the loop thread (the core is
//   single-threaded). Only the fdatasync of File::Sync runs elsewhere: on one
//   of `io_threads` I/O threads, which post the result back with
//   EventLoop::PostUnbounded (a completion is never dropped).
// - A file's descriptor is shared between its PosixFile and any sync in
//   flight, so destroying a File while its sync runs is safe: the fd is
//   closed when the last of them lets go. The `done` callbacks of a File
//   destroyed before its sync completed are destroyed without being called —
//   whoever would have received them is gone.
//
// Durability rules (what the caller must do)
// - Sync(done) covers every byte appended before the call. Syncs requested
//   while one is in flight on the same file are coalesced into one follow-up
//   fdatasync (group commit at the file level); at most one sync per file is
//   ever queued or running, which bounds the I/O queue by the open files.
// - A failed fdatasync is permanent for that File (fsyncgate): every later
//   Sync/SyncNow fails with the first error.
// - Creating, renaming or removing a file is durable only after SyncDir() of
//   its parent directory; fdatasync of the file does not cover its name.
//
// Size() is what this File appended or found at Open: keep one writer per
// path. Read() sees bytes appended through another File of the same path too.
//
// Errors map errno to Code: ENOSPC/EDQUOT -> kNoSpace, ENOENT -> kNotFound,
// EEXIST -> kAlreadyExists, ENOTEMPTY -> kInvalidArgument, anything else
// (EIO, EROFS, ...) -> kIoError. Messages name the operation, the path and
// strerror.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/env/env.h"
#include "runtime-real/event_loop.h"

namespace gafka::real {

// The Status for a failed system call: `what` is the operation ("open",
// "fdatasync", ...), `path` the file it was about.
Status PosixError(int error_number, std::string_view what, std::string_view path);

// Runs blocking I/O jobs (fdatasync) on a few threads. Owned by PosixDisk.
// The queue is bounded by construction: one job per open file at most.
class IoPool {
 public:
  explicit IoPool(size_t threads);
  // Runs the jobs still queued, then joins the threads.
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // Thread-safe. A job submitted by one of this pool's threads wakes no
  // other: that thread takes it once its current job returns.
  void Submit(Task job) GAFKA_EXCLUDES(mu_);
  // Threads waiting for a job. Thread-safe; for tests.
  size_t idle_threads() const GAFKA_EXCLUDES(mu_);

 private:
  void WorkerMain() GAFKA_EXCLUDES(mu_);

  mutable Mutex mu_;
  std::condition_variable_any wake_;
  std::deque<Task> jobs_ GAFKA_GUARDED_BY(mu_);
  size_t idle_ GAFKA_GUARDED_BY(mu_) = 0;
  bool stopping_ GAFKA_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

class PosixDisk final : public Disk {
 public:
  // Does not touch the file system: call MakeDirs("") to create the root.
  PosixDisk(EventLoop& loop, std::string root_dir, size_t io_threads = 1);
  // Drains the I/O threads. CHECK-fails if a File opened here is still alive.
  ~PosixDisk() override;
  PosixDisk(const PosixDisk&) = delete;
  PosixDisk& operator=(const PosixDisk&) = delete;

  // Opens with O_RDWR | O_APPEND | O_CLOEXEC (mode 0644 when created):
  // kOpenExisting fails with kNotFound, kCreateNew with kAlreadyExists.
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  // "" or "." names the root.
  Result<std::vector<std::string>> List(const std::string& dir) override;
  bool Exists(const std::string& path) override;
  // mkdir -p, the root included.
  Status MakeDirs(const std::string& dir) override;
  // unlink(2), or rmdir(2) for a directory (kInvalidArgument if not empty).
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  // open(dir, O_RDONLY | O_DIRECTORY) + fsync + close.
  Status SyncDir(const std::string& dir) override;

  // The absolute (or root-relative, as given) path for a Disk path.
  std::string FullPath(const std::string& path) const;
  const std::string& root_dir() const { return root_dir_; }
  // Files opened here and not yet destroyed.
  size_t open_files() const { return open_files_; }

 private:
  EventLoop& loop_;
  const std::string root_dir_;
  size_t open_files_ = 0;  // counted by PosixFile's constructor and destructor
  IoPool pool_;
};

}  // namespace gafka::real
