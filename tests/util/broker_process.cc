#include "tests/util/broker_process.h"

#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace gafka::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;

Millis MillisUntil(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? 0 : left.count();
}

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` to exit, up to `timeout_ms`; returns the decoded status, or
// -1 on timeout. `pidfd` (if >= 0) makes the wait a poll() instead of a loop.
int WaitPid(pid_t pid, int pidfd, Millis timeout_ms) {
  auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeWaitStatus(status);
    if (r < 0 && errno != EINTR) return -1;
    Millis left = MillisUntil(deadline);
    if (left == 0) return -1;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left));
    } else {
      // Kernels without pidfd_open: a bounded poll of waitpid.
      ::poll(nullptr, 0, static_cast<int>(std::min<Millis>(left, 5)));
    }
  }
}

std::vector<char*> ArgvPointers(std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (auto& a : argv) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

// In the child after fork(): only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(char** argv, int stdin_fd, int stdout_fd, int stderr_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::dup2(stdin_fd, 0);
  ::dup2(stdout_fd, 1);
  ::dup2(stderr_fd, 2);
  // Signals the test process blocks must not stay blocked in the child.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execv(argv[0], argv);
  const char msg[] = "exec failed\n";
  ssize_t ignored = ::write(2, msg, sizeof(msg) - 1);
  (void)ignored;
  ::_exit(127);
}

bool HealthOk(int port, Millis timeout_ms) {
  httplib::Client client("127.0.0.1", port);
  const time_t ms = static_cast<time_t>(std::max<Millis>(timeout_ms, 1));
  client.set_connection_timeout(ms / 1000, (ms % 1000) * 1000);
  client.set_read_timeout(ms / 1000, (ms % 1000) * 1000);
  auto res = client.Get("/healthz");
  return res && res->status == 200;
}

}  // namespace

std::string ToolPath(const std::string& name) {
  return std::string(GAFKA_BIN_DIR) + "/gafka-" + name;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/gafka-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  CHECK_MSG(::mkdtemp(buf.data()) != nullptr, "mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (std::getenv("GAFKA_KEEP_TEST_DIRS") != nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

// Feeds `input` to in_fd and collects out_fd/err_fd until both reach EOF or
// the deadline passes (then the child is killed).
class Pump {
 public:
  Pump(pid_t pid, const std::string& input, int in_fd, int out_fd, int err_fd)
      : pid_(pid), input_(input), in_fd_(in_fd), out_fd_(out_fd), err_fd_(err_fd) {
    ::fcntl(in_fd_, F_SETFL, O_NONBLOCK);
    if (input_.empty()) CloseFd(in_fd_);
  }
  ~Pump() {
    for (int* fd : {&in_fd_, &out_fd_, &err_fd_}) CloseFd(*fd);
  }

  void Run(SteadyClock::time_point deadline, ProcessResult* result) {
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      const Millis left = MillisUntil(deadline);
      if (left == 0) {
        result->timed_out = true;
        ::kill(pid_, SIGKILL);
        return;
      }
      pollfd fds[3];
      nfds_t n = 0;
      if (in_fd_ >= 0) fds[n++] = {in_fd_, POLLOUT, 0};
      if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
      if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
      if (::poll(fds, n, static_cast<int>(left)) < 0 && errno != EINTR) return;
      for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        if (fds[i].fd == in_fd_) {
          Write();
        } else {
          Read(fds[i].fd == out_fd_ ? out_fd_ : err_fd_,
               fds[i].fd == out_fd_ ? &result->out : &result->err);
        }
      }
    }
  }

 private:
  static void CloseFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void Write() {
    ssize_t w = ::write(in_fd_, input_.data() + written_, input_.size() - written_);
    if (w > 0) written_ += static_cast<size_t>(w);
    if (w < 0 && errno != EAGAIN && errno != EINTR) written_ = input_.size();  // EPIPE
    if (written_ == input_.size()) CloseFd(in_fd_);
  }
  void Read(int& fd, std::string* into) {
    char buf[65536];
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r > 0) {
      into->append(buf, static_cast<size_t>(r));
    } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
      CloseFd(fd);
    }
  }

  const pid_t pid_;
  const std::string& input_;
  size_t written_ = 0;
  int in_fd_, out_fd_, err_fd_;
};

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv_in, const std::string& stdin_data,
                         Millis timeout_ms) {
  std::vector<std::string> argv = argv_in;
  std::vector<char*> argv_ptrs = ArgvPointers(argv);
  int in[2], out[2], err[2];
  CHECK(::pipe2(in, O_CLOEXEC) == 0 && ::pipe2(out, O_CLOEXEC) == 0 &&
        ::pipe2(err, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  CHECK_MSG(pid >= 0, "fork failed");
  if (pid == 0) ExecChild(argv_ptrs.data(), in[0], out[1], err[1]);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  const int pidfd = PidfdOpen(pid);
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);

  ProcessResult result;
  Pump(pid, stdin_data, in[1], out[0], err[0]).Run(deadline, &result);
  result.exit_code = WaitPid(pid, pidfd, std::max<Millis>(MillisUntil(deadline), 5'000));
  if (result.exit_code < 0) {
    ::kill(pid, SIGKILL);
    result.timed_out = true;
    result.exit_code = WaitPid(pid, pidfd, 5'000);
  }
  if (pidfd >= 0) ::close(pidfd);
  return result;
}

ProcessResult RunTool(const std::string& tool, const std::vector<std::string>& args,
                      const std::string& stdin_data, Millis timeout_ms) {
  std::vector<std::string> argv{ToolPath(tool)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, stdin_data, timeout_ms);
}

// ---- BrokerProcess ----------------------------------------------------------

BrokerProcess::BrokerProcess(BrokerOptions options) : options_(std::move(options)) {
  if (options_.data_dir.empty()) {
    owned_dir_ = std::make_unique<TempDir>();
    data_dir_ = owned_dir_->path() + "/data";
  } else {
    data_dir_ = options_.data_dir;
  }
}

Result<std::unique_ptr<BrokerProcess>> BrokerProcess::Start(BrokerOptions options) {
  std::unique_ptr<BrokerProcess> broker(new BrokerProcess(std::move(options)));
  GAFKA_RETURN_IF_ERROR(broker->Launch(0));
  return broker;
}

BrokerProcess::~BrokerProcess() {
  Kill();
  StopDrain();
}

std::string BrokerProcess::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string BrokerProcess::Output() const {
  std::lock_guard<std::mutex> lock(mu_);
  return output_;
}

Status BrokerProcess::Launch(int port) {
  CHECK_MSG(pid_ < 0, "Launch() while the broker runs");
  StopDrain();
  size_t run_start = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    output_ += "---- launch on port " + std::to_string(port) + "\n";
    run_start = output_.size();
    output_eof_ = false;
  }
  Spawn(port);
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(options_.ready_timeout_ms);
  GAFKA_RETURN_IF_ERROR(WaitForListening(run_start, deadline));
  return WaitForHealth(deadline);
}

void BrokerProcess::Spawn(int port) {
  std::vector<std::string> argv{ToolPath("broker"), "--id=" + std::to_string(options_.id),
                                "--host=127.0.0.1", "--port=" + std::to_string(port),
                                "--data-dir=" + data_dir_};
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv_ptrs = ArgvPointers(argv);
  int out[2];
  CHECK(::pipe2(out, O_CLOEXEC) == 0);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK(null_fd >= 0);
  const pid_t pid = ::fork();
  CHECK_MSG(pid >= 0, "fork failed");
  if (pid == 0) ExecChild(argv_ptrs.data(), null_fd, out[1], out[1]);
  ::close(out[1]);
  ::close(null_fd);
  pid_ = pid;
  pidfd_ = PidfdOpen(pid);
  output_fd_ = out[0];
  drain_ = std::thread([this, fd = output_fd_] { Drain(fd); });
}

// Copies the broker's output into output_ until EOF (the broker exited).
void BrokerProcess::Drain(int fd) {
  char buf[8192];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (r <= 0) {
      output_eof_ = true;
      output_cv_.notify_all();
      return;
    }
    output_.append(buf, static_cast<size_t>(r));
    if (options_.echo_output) ::fwrite(buf, 1, static_cast<size_t>(r), stderr);
    output_cv_.notify_all();
  }
}

// Readiness, part 1: the broker prints its bound port once it listens.
Status BrokerProcess::WaitForListening(size_t run_start, SteadyTime deadline) {
  // "gafka-broker <id> listening on <host>:<port>, data in <dir>"
  int port = 0;
  auto listening = [&] {
    const size_t at = output_.find(" listening on ", run_start);
    if (at == std::string::npos) return false;
    const size_t comma = output_.find(',', at);
    const size_t colon = output_.rfind(':', comma);
    if (comma == std::string::npos || colon == std::string::npos || colon < at) return false;
    port = std::atoi(output_.substr(colon + 1, comma - colon - 1).c_str());
    return port > 0;
  };
  std::unique_lock<std::mutex> lock(mu_);
  output_cv_.wait_until(lock, deadline, [&] { return listening() || output_eof_; });
  if (!listening()) {
    std::string run = output_.substr(run_start);
    lock.unlock();
    Kill();
    return Unavailable("gafka-broker did not become ready; its output:\n" + run);
  }
  port_ = port;
  return Status::Ok();
}

// Readiness, part 2: /healthz answers 200. The listening socket's backlog
// holds the connection until the accept loop runs, so this normally succeeds
// at once; retries are bounded by the deadline.
Status BrokerProcess::WaitForHealth(SteadyTime deadline) {
  while (!HealthOk(port_, std::max<Millis>(MillisUntil(deadline), 1))) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Unavailable("gafka-broker exited while starting:\n" + Output());
    }
    if (MillisUntil(deadline) == 0) {
      Kill();
      return Unavailable("gafka-broker listens but /healthz does not answer 200");
    }
    ::poll(nullptr, 0, 20);  // pause between probes of a deadline-bounded check
  }
  return Status::Ok();
}

Result<int> BrokerProcess::WaitExit(Millis timeout_ms) {
  int code = WaitPid(pid_, pidfd_, timeout_ms);
  if (code < 0)
    return Timeout("gafka-broker did not exit within " + std::to_string(timeout_ms) + " ms");
  pid_ = -1;
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  return code;
}

void BrokerProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  auto code = WaitExit(10'000);
  CHECK_MSG(code.ok(), "a SIGKILLed broker did not exit");
}

Result<int> BrokerProcess::Terminate(Millis timeout_ms) {
  if (pid_ <= 0) return InvalidArgument("the broker is not running");
  ::kill(pid_, SIGTERM);
  auto code = WaitExit(timeout_ms);
  if (!code.ok()) Kill();
  return code;
}

Status BrokerProcess::Restart() {
  if (running()) Kill();
  Status st = Launch(port_);
  if (!st.ok() && st.message().find("cannot bind") != std::string::npos) {
    // The old port was taken meanwhile (by another test's broker): any port.
    st = Launch(0);
  }
  return st;
}

void BrokerProcess::StopDrain() {
  // The drain thread ends at EOF, i.e. once the broker (and any child that
  // inherited the pipe) has exited.
  if (drain_.joinable()) drain_.join();
  if (output_fd_ >= 0) ::close(output_fd_);
  output_fd_ = -1;
}

}  // namespace gafka::testing
