#include "runtime-real/posix_disk.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/base/check.h"

namespace gafka::real {

Status PosixError(int error_number, std::string_view what, std::string_view path) {
  std::string message;
  message.append(what).append(" ").append(path).append(": ").append(std::strerror(error_number));
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
      return NoSpace(std::move(message));
    case ENOENT:
      return NotFound(std::move(message));
    case EEXIST:
      return AlreadyExists(std::move(message));
    case ENOTEMPTY:
      return InvalidArgument(std::move(message));
    default:
      return IoError(std::move(message));
  }
}

namespace {
// The IoPool this thread works for, if any.
thread_local const IoPool* t_pool = nullptr;
}  // namespace

// ---------------------------------------------------------------------------
// IoPool

IoPool::IoPool(size_t threads) {
  CHECK_MSG(threads > 0, "an IoPool needs at least one thread");
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { WorkerMain(); });
}

IoPool::~IoPool() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void IoPool::Submit(Task job) {
  CHECK_MSG(job != nullptr, "Submit() needs a job");
  {
    MutexLock lock(mu_);
    CHECK_MSG(!stopping_, "Submit() to a stopping IoPool");
    jobs_.push_back(std::move(job));
  }
  // A job submitted by one of our own threads (a sync completion, run by the
  // I/O thread that made the sync, starting the next sync of the file) is
  // taken by that thread once it returns to the queue: waking another would
  // cost a thread switch for nothing (measured: ~1.5 futex calls per produce
  // before, with 4 I/O threads).
  if (t_pool != this) wake_.notify_one();
}

size_t IoPool::idle_threads() const {
  MutexLock lock(mu_);
  return idle_;
}

void IoPool::WorkerMain() {
  pthread_setname_np(pthread_self(), "gafka-io");  // for top -H, perf
  t_pool = this;
  while (true) {
    Task job;
    {
      MutexLock lock(mu_);
      while (jobs_.empty() && !stopping_) {
        ++idle_;
        wake_.wait(mu_);
        --idle_;
      }
      if (jobs_.empty()) return;  // stopping, and every queued job has run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

// ---------------------------------------------------------------------------
// PosixFile

namespace {

using SyncCallback = std::function<void(Status)>;

// What a PosixFile shares with its sync in flight. The descriptor and paths
// are immutable (read by the I/O thread); every other field is touched only
// by the loop thread.
struct FileState {
  FileState(int fd_in, std::string path_in, std::string full_path_in, EventLoop& loop_in,
            IoPool& pool_in)
      : fd(fd_in),
        path(std::move(path_in)),
        full_path(std::move(full_path_in)),
        loop(loop_in),
        pool(pool_in) {}
  ~FileState() {
    // Nothing useful to do on a failed close: durability came from fdatasync.
    ::close(fd);
  }

  const int fd;
  const std::string path;       // as given to Disk::Open
  const std::string full_path;  // for error messages
  EventLoop& loop;
  IoPool& pool;  // valid while file_alive (a File never outlives its disk)

  // Loop thread only.
  bool file_alive = true;             // false once the PosixFile is destroyed
  bool sync_in_flight = false;        // an fdatasync is queued or running
  std::vector<SyncCallback> running;  // covered by the sync in flight
  std::vector<SyncCallback> next;     // wait for the sync after it
  Status failed;                      // the first failed sync; permanent
};

void StartSync(const std::shared_ptr<FileState>& state);

// On the loop: a sync finished with `result`.
void OnSyncDone(const std::shared_ptr<FileState>& state, const Status& result) {
  CHECK(state->sync_in_flight);
  state->sync_in_flight = false;
  if (!result.ok() && state->failed.ok()) state->failed = result;
  if (!state->file_alive) {
    // The owner is gone; so are the receivers of these callbacks.
    state->running.clear();
    state->next.clear();
    return;
  }
  std::vector<SyncCallback> done = std::move(state->running);
  state->running.clear();
  if (!state->next.empty()) {
    if (state->failed.ok()) {
      StartSync(state);
    } else {
      for (SyncCallback& cb : state->next) done.push_back(std::move(cb));
      state->next.clear();
    }
  }
  // A sync that succeeded after an earlier failure (e.g. of SyncNow) does not
  // prove the data is there: the kernel may have dropped the failed pages.
  const Status status = state->failed;
  for (SyncCallback& cb : done) cb(status);
}

void StartSync(const std::shared_ptr<FileState>& state) {
  CHECK(!state->sync_in_flight);
  CHECK(!state->next.empty());
  state->sync_in_flight = true;
  state->running = std::move(state->next);
  state->next.clear();
  state->pool.Submit([state]() mutable {
    Status result;
    if (::fdatasync(state->fd) != 0) result = PosixError(errno, "fdatasync", state->full_path);
    EventLoop& loop = state->loop;
    // Hand the only reference this job holds to the completion, so the
    // state is never destroyed (and its callbacks never run) on this thread.
    loop.PostUnbounded(
        [state = std::move(state), result = std::move(result)] { OnSyncDone(state, result); });
  });
}

class PosixFile final : public File {
 public:
  PosixFile(std::shared_ptr<FileState> state, uint64_t size, size_t& open_files)
      : state_(std::move(state)), size_(size), open_files_(open_files) {
    ++open_files_;
  }
  ~PosixFile() override {
    state_->file_alive = false;
    CHECK(open_files_ > 0);
    --open_files_;
  }
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  const std::string& path() const override { return state_->path; }
  uint64_t Size() const override { return size_; }

  Status Append(ByteView data) override;
  void Sync(std::function<void(Status)> done) override;
  Status SyncNow() override;
  Status Read(uint64_t offset, size_t n, std::string* out) override;
  Status Truncate(uint64_t size) override;

 private:
  std::shared_ptr<FileState> state_;
  uint64_t size_;
  size_t& open_files_;
};

Status PosixFile::Append(ByteView data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(state_->fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Bytes written before the error stay counted in size_, so the caller
      // can Truncate() them away.
      return PosixError(errno, "write", state_->full_path);
    }
    if (n == 0) return IoError("write " + state_->full_path + ": wrote nothing");
    p += n;
    left -= static_cast<size_t>(n);
    size_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

void PosixFile::Sync(std::function<void(Status)> done) {
  CHECK_MSG(done != nullptr, "Sync() needs a callback");
  if (!state_->failed.ok()) {
    // Still through the loop: a completion never runs inside the call.
    state_->loop.PostUnbounded([state = state_, done = std::move(done)] {
      if (state->file_alive) done(state->failed);
    });
    return;
  }
  state_->next.push_back(std::move(done));
  if (!state_->sync_in_flight) StartSync(state_);
}

Status PosixFile::SyncNow() {
  if (!state_->failed.ok()) return state_->failed;
  if (::fdatasync(state_->fd) != 0) {
    state_->failed = PosixError(errno, "fdatasync", state_->full_path);
    return state_->failed;
  }
  return Status::Ok();
}

Status PosixFile::Read(uint64_t offset, size_t n, std::string* out) {
  CHECK(out != nullptr);
  // Size the buffer by what can be there, not by n (a read budget may be far
  // larger than the file). Another File of this path may have appended past
  // our size_, so ask the kernel when size_ would cut the read short.
  uint64_t file_size = size_;
  if (offset > file_size || n > file_size - offset) {
    struct stat st;
    if (::fstat(state_->fd, &st) != 0) return PosixError(errno, "fstat", state_->full_path);
    file_size = static_cast<uint64_t>(st.st_size);
  }
  const size_t want =
      offset >= file_size ? 0 : static_cast<size_t>(std::min<uint64_t>(n, file_size - offset));
  out->resize(want);
  size_t got = 0;
  while (got < want) {
    const ssize_t r =
        ::pread(state_->fd, out->data() + got, want - got, static_cast<off_t>(offset + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      out->clear();
      return PosixError(errno, "pread", state_->full_path);
    }
    if (r == 0) break;  // end of file (it shrank meanwhile)
    got += static_cast<size_t>(r);
  }
  out->resize(got);
  CHECK(out->size() <= n);
  return Status::Ok();
}

Status PosixFile::Truncate(uint64_t size) {
  if (size > size_) {
    return InvalidArgument("truncate " + state_->full_path + " to " + std::to_string(size) +
                           " bytes: larger than its " + std::to_string(size_));
  }
  while (::ftruncate(state_->fd, static_cast<off_t>(size)) != 0) {
    if (errno != EINTR) return PosixError(errno, "ftruncate", state_->full_path);
  }
  size_ = size;
  return Status::Ok();
}

int OpenFlags(OpenMode mode) {
  const int base = O_RDWR | O_APPEND | O_CLOEXEC;
  switch (mode) {
    case OpenMode::kOpenExisting:
      return base;
    case OpenMode::kCreateNew:
      return base | O_CREAT | O_EXCL;
    case OpenMode::kOpenOrCreate:
      return base | O_CREAT;
    case OpenMode::kTruncate:
      return base | O_CREAT | O_TRUNC;
  }
  CHECK_MSG(false, "unknown OpenMode");
  return base;
}

}  // namespace

// ---------------------------------------------------------------------------
// PosixDisk

PosixDisk::PosixDisk(EventLoop& loop, std::string root_dir, size_t io_threads)
    : loop_(loop), root_dir_(std::move(root_dir)), pool_(io_threads) {
  CHECK_MSG(!root_dir_.empty(), "PosixDisk needs a root directory");
}

PosixDisk::~PosixDisk() {
  CHECK_MSG(open_files_ == 0, "a File outlived the PosixDisk that opened it");
}

std::string PosixDisk::FullPath(const std::string& path) const {
  if (path.empty() || path == ".") return root_dir_;
  if (root_dir_.back() == '/') return root_dir_ + path;
  return root_dir_ + "/" + path;
}

Result<std::unique_ptr<File>> PosixDisk::Open(const std::string& path, OpenMode mode) {
  const std::string full = FullPath(path);
  int fd;
  do {
    fd = ::open(full.c_str(), OpenFlags(mode), 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return PosixError(errno, "open", full);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return PosixError(err, "fstat", full);
  }
  auto state = std::make_shared<FileState>(fd, path, full, loop_, pool_);
  return std::unique_ptr<File>(
      new PosixFile(std::move(state), static_cast<uint64_t>(st.st_size), open_files_));
}

Result<std::vector<std::string>> PosixDisk::List(const std::string& dir) {
  const std::string full = FullPath(dir);
  DIR* d = ::opendir(full.c_str());
  if (d == nullptr) return PosixError(errno, "opendir", full);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(d);
    if (entry == nullptr) break;
    const std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return PosixError(err, "readdir", full);
  std::sort(names.begin(), names.end());
  return names;
}

bool PosixDisk::Exists(const std::string& path) {
  struct stat st;
  return ::stat(FullPath(path).c_str(), &st) == 0;
}

Status PosixDisk::MakeDirs(const std::string& dir) {
  const std::string full = FullPath(dir);
  // Create each prefix ending before a '/', then the whole path.
  for (size_t slash = full.find('/', 1);; slash = full.find('/', slash + 1)) {
    const std::string prefix = full.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return PosixError(errno, "mkdir", prefix);
    }
    if (slash == std::string::npos) break;
  }
  struct stat st;
  if (::stat(full.c_str(), &st) != 0) return PosixError(errno, "stat", full);
  if (!S_ISDIR(st.st_mode)) {
    return AlreadyExists("mkdir " + full + ": exists and is not a directory");
  }
  return Status::Ok();
}

Status PosixDisk::Remove(const std::string& path) {
  const std::string full = FullPath(path);
  if (::unlink(full.c_str()) == 0) return Status::Ok();
  if (errno != EISDIR && errno != EPERM) return PosixError(errno, "unlink", full);
  if (::rmdir(full.c_str()) == 0) return Status::Ok();
  return PosixError(errno == EEXIST ? ENOTEMPTY : errno, "rmdir", full);
}

Status PosixDisk::Rename(const std::string& from, const std::string& to) {
  const std::string full_from = FullPath(from);
  const std::string full_to = FullPath(to);
  if (::rename(full_from.c_str(), full_to.c_str()) != 0) {
    return PosixError(errno, "rename", full_from + " -> " + full_to);
  }
  return Status::Ok();
}

Status PosixDisk::SyncDir(const std::string& dir) {
  const std::string full = FullPath(dir);
  int fd;
  do {
    fd = ::open(full.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return PosixError(errno, "open directory", full);
  Status status;
  if (::fsync(fd) != 0) status = PosixError(errno, "fsync directory", full);
  ::close(fd);
  return status;
}

}  // namespace gafka::real
