#include "tools/bench/failover_bench.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime-real/client.h"
#include "runtime-real/loopback_port.h"
#include "tools/bench/bench_util.h"

namespace gafka::bench {
namespace {

struct Options {
  double seconds = 3;
  int writers = 4;
  int size = 100;
  int batch = 1;   // messages per produce request
  int rounds = 1;  // alternating acks=1 / acks=all phases (the ratio resists load drift)
  bool restart_in_place = false;  // restart the killed leader as leader; no promotion
  std::string dir = "/tmp";
};

// fork/exec of gafka-broker; output to `log`; dies with us.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

bool WaitHealthy(const std::string& address, double timeout_s) {
  const int64_t deadline = NowUs() + static_cast<int64_t>(timeout_s * 1e6);
  ClientOptions options;
  options.connect_timeout_ms = 200;
  options.request_timeout_ms = 500;
  while (NowUs() < deadline) {
    Client client(address, options);
    if (client.Health().ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

Status ProduceMany(Client& client, const std::vector<std::string>& values, Acks acks) {
  std::vector<ProduceMessage> messages(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    messages[i].value = values[i];
    messages[i].partition = PartitionId(0);
  }
  auto produced = client.ProduceBatch("t", messages, ProduceOptions{acks});
  if (!produced.ok()) return produced.status();
  for (const ProduceResult& result : *produced) {
    if (result.error) return Unavailable(result.error->message);  // the writer stops
  }
  return Status::Ok();
}

Status ProduceOne(Client& client, const std::string& value, Acks acks) {
  ProduceMessage message;
  message.value = value;
  message.partition = PartitionId(0);
  auto produced = client.Produce("t", message, ProduceOptions{acks});
  return produced.ok() ? Status::Ok() : produced.status();
}

// Writers: produce with `acks` until `stop` or an error; acked values kept.
struct Phase {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked_count{0};
  std::mutex mu;
  std::vector<std::string> acked;
};

void Write(const std::string& address, Acks acks, const std::string& writer, int size, int batch,
           Phase* phase) {
  ClientOptions options;
  options.follow_leader_hint = false;
  options.request_timeout_ms = 3'000;
  Client client(address, options);
  const std::string pad(static_cast<size_t>(std::max(0, size - 16)), 'x');
  std::vector<std::string> values(static_cast<size_t>(std::max(1, batch)));
  for (uint64_t i = 0; !phase->stop.load();) {
    for (std::string& value : values) value = writer + "-" + std::to_string(i++) + "-" + pad;
    if (!ProduceMany(client, values, acks).ok()) return;
    phase->acked_count.fetch_add(values.size());
    if (acks == Acks::kAll) {
      std::lock_guard<std::mutex> lock(phase->mu);
      phase->acked.insert(phase->acked.end(), values.begin(), values.end());
    }
  }
}

// One load phase of o.seconds; returns {messages acked, seconds}.
std::pair<uint64_t, double> RunPhase(const std::string& address, Acks acks, const Options& o,
                                     const std::string& round, Phase* phase,
                                     std::vector<std::thread>* keep_running) {
  std::vector<std::thread> threads;
  for (int w = 0; w < o.writers; ++w) {
    threads.emplace_back(Write, address, acks, round + "." + std::to_string(w), o.size, o.batch,
                         phase);
  }
  const uint64_t before = phase->acked_count.load();
  const int64_t start = NowUs();
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(o.seconds * 1000)));
  const uint64_t acked = phase->acked_count.load() - before;
  const double seconds = static_cast<double>(NowUs() - start) / 1e6;
  if (keep_running != nullptr) {
    *keep_running = std::move(threads);
  } else {
    phase->stop.store(true);
    for (auto& t : threads) t.join();
  }
  return {acked, seconds};
}

int Run(const Options& o) {
  WorkDir dir(o.dir, "gafka-failover");
  if (!dir.ok()) {
    std::fprintf(stderr, "failover: %s\n", dir.error().c_str());
    return 1;
  }
  const std::string leader = "127.0.0.1:" + std::to_string(real::UnusedLoopbackPort());
  const std::string follower = "127.0.0.1:" + std::to_string(real::UnusedLoopbackPort());
  const std::string broker = SiblingBrokerPath();
  const std::vector<std::string> leader_args = {broker, "--id=1", "--port=" + leader.substr(10),
                                                "--data-dir=" + dir.path() + "/1",
                                                "--min-insync-replicas=2"};
  pid_t leader_pid = Spawn(leader_args, dir.path() + "/leader.log");
  const pid_t follower_pid =
      Spawn({broker, "--id=2", "--port=" + follower.substr(10), "--data-dir=" + dir.path() + "/2",
             "--role=follower", "--leader=" + leader},
            dir.path() + "/follower.log");
  auto cleanup = [&] {
    ::kill(leader_pid, SIGKILL);
    ::kill(follower_pid, SIGKILL);
    ::waitpid(leader_pid, nullptr, 0);
    ::waitpid(follower_pid, nullptr, 0);
  };
  Client admin(leader);
  CreateTopicRequest create;
  create.name = "t";
  create.partitions = 1;
  bool ready =
      WaitHealthy(leader, 20) && WaitHealthy(follower, 20) && admin.CreateTopic(create).ok();
  for (int i = 0; ready && i < 500 && !ProduceOne(admin, "warmup", Acks::kAll).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!ready) {
    std::fprintf(stderr, "failover: the brokers did not start (logs in %s)\n", dir.path().c_str());
    dir.keep();
    cleanup();
    return 1;
  }
  // acks=1 and acks=all alternate, `rounds` times each, so that both see
  // the same machine; the last acks=all phase is still writing at the kill.
  uint64_t acks1_msgs = 0, all_msgs = 0;
  double acks1_seconds = 0, all_seconds = 0;
  std::vector<std::string> acked_before;  // acks=all values of the earlier rounds
  Phase all;
  std::vector<std::thread> writers;
  for (int r = 0; r < o.rounds; ++r) {
    Phase acks1;
    auto [n1, s1] = RunPhase(leader, Acks::kLeader, o, "a" + std::to_string(r), &acks1, nullptr);
    acks1_msgs += n1;
    acks1_seconds += s1;
    const bool last = r + 1 == o.rounds;
    Phase round_all;
    auto [n2, s2] = RunPhase(leader, Acks::kAll, o, "b" + std::to_string(r),
                             last ? &all : &round_all, last ? &writers : nullptr);
    all_msgs += n2;
    all_seconds += s2;
    if (!last) {
      acked_before.insert(acked_before.end(), round_all.acked.begin(), round_all.acked.end());
    }
  }
  const double acks1_rate = acks1_seconds > 0 ? static_cast<double>(acks1_msgs) / acks1_seconds : 0;
  const double all_rate = all_seconds > 0 ? static_cast<double>(all_msgs) / all_seconds : 0;

  ::kill(leader_pid, SIGKILL);
  const int64_t killed_us = NowUs();
  ::waitpid(leader_pid, nullptr, 0);
  all.stop.store(true);
  ClientOptions options;
  options.follow_leader_hint = false;
  options.request_timeout_ms = 15'000;  // longer than the restart hold (the lag time)
  // Promoted follower, or the leader restarted in place (the follower must
  // come back before it commits again: docs/replication.md, the hold).
  std::string serving = follower;
  Result<RawResponse> promote = Unavailable("not asked");
  if (o.restart_in_place) {
    serving = leader;
    leader_pid = Spawn(leader_args, dir.path() + "/leader-restarted.log");
    WaitHealthy(leader, 20);
  }
  Client promoted(serving, options);
  if (!o.restart_in_place) {
    promote = promoted.Call("POST", "/internal/v1/promote",
                            "{\"advertised_address\":\"" + follower + "\"}");
  }
  int64_t available_us = -1;
  while (available_us < 0 && NowUs() - killed_us < 60'000'000) {
    if (ProduceOne(promoted, "probe", Acks::kAll).ok()) {
      available_us = NowUs();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // e.g. 503: too few in sync
    }
  }
  for (auto& t : writers) t.join();
  // Every acked value must be readable on the new leader.
  std::set<std::string> readable;
  FetchRequest fetch;
  fetch.topic = "t";
  fetch.partition = PartitionId(0);
  fetch.offset_spec = OffsetSpec::kExplicit;
  fetch.max_count = 10'000;
  for (int64_t offset = 0;;) {
    fetch.offset = Offset(offset);
    auto read = promoted.Fetch(fetch);
    if (!read.ok() || read->records.empty()) break;
    for (const auto& r : read->records) readable.insert(r.record.value);
    offset = read->next_offset.value();
  }
  const int64_t readable_us = NowUs();
  all.acked.insert(all.acked.end(), acked_before.begin(), acked_before.end());
  uint64_t lost = 0;
  for (const std::string& v : all.acked) lost += readable.count(v) == 0 ? 1 : 0;
  cleanup();
  if (lost != 0 || available_us < 0) {
    dir.keep();
    std::fprintf(stderr, "failover: broker logs kept in %s\n", dir.path().c_str());
  }

  const double unavailable_ms = available_us < 0 ? -1 : (available_us - killed_us) / 1000.0;
  const double readable_ms = (readable_us - killed_us) / 1000.0;
  std::printf(
      "acks=1   %10.0f msgs/s (%d writers, %d x %d B per request, one request outstanding "
      "each; %d round(s) of %.1f s per acks)\n",
      acks1_rate, o.writers, o.batch, o.size, o.rounds, o.seconds);
  std::printf("acks=all %10.0f msgs/s (%.0f%% of acks=1)\n", all_rate,
              acks1_rate > 0 ? 100 * all_rate / acks1_rate : 0.0);
  if (o.restart_in_place) {
    std::printf("kill -9 -> acks=all ok on the leader restarted in place: %.1f ms\n",
                unavailable_ms);
  } else {
    std::printf("promote: %s\n", promote.ok() ? promote->body.c_str() : "failed");
    std::printf("kill -9 -> produce ok on the promoted follower: %.1f ms\n", unavailable_ms);
  }
  std::printf("kill -9 -> every acked message read back:      %.1f ms\n", readable_ms);
  std::printf("acks=all messages acked: %zu, lost: %llu\n", all.acked.size(),
              static_cast<unsigned long long>(lost));
  PrintJsonLine({{"bench", "failover"},
                 {"unavailable_ms", Round(unavailable_ms, 1)},
                 {"all_readable_ms", Round(readable_ms, 1)},
                 {"acked_all", all.acked.size()},
                 {"lost_acked", lost},
                 {"acks1_msgs_per_s", Round(acks1_rate, 0)},
                 {"acks_all_msgs_per_s", Round(all_rate, 0)},
                 {"acks_all_ratio", Round(acks1_rate > 0 ? all_rate / acks1_rate : 0, 3)},
                 {"writers", o.writers},
                 {"batch", o.batch},
                 {"size", o.size},
                 {"rounds", o.rounds},
                 {"restart_in_place", o.restart_in_place}});
  return lost == 0 && available_us >= 0 ? 0 : 1;
}

}  // namespace

void RegisterFailover(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("failover", "kill -9 the leader, promote the follower");
  sub->add_option("--seconds", options->seconds, "seconds of each load phase")
      ->capture_default_str();
  sub->add_option("--writers", options->writers, "producer threads")->capture_default_str();
  sub->add_option("--size", options->size, "bytes per message value")->capture_default_str();
  sub->add_option("--batch", options->batch, "messages per produce request")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  sub->add_option("--rounds", options->rounds,
                  "alternating acks=1 / acks=all phases (--seconds each)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  sub->add_option("--dir", options->dir, "parent of the work directory")->capture_default_str();
  sub->add_flag("--restart-in-place", options->restart_in_place,
                "restart the killed leader as leader instead of promoting the follower; time "
                "until acks=all succeeds on it again");
  sub->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace gafka::bench
