#include "runtime-sim/simulation.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"

namespace gafka::sim {
namespace {

// The crash model and latency of a disk, without injected errors.
DiskFaults Benign(DiskFaults disk) {
  disk.append_eio = disk.append_enospc = disk.sync_eio = disk.read_eio = 0;
  disk.capacity_bytes = UINT64_MAX;
  return disk;
}

}  // namespace

std::string RunResult::Summary() const {
  return "msgs=" + std::to_string(messages_sent) + " acks=" + std::to_string(acks) +
         " reads=" + std::to_string(records_read) + " crashes=" + std::to_string(crashes) +
         " partitions=" + std::to_string(partitions) + " pauses=" + std::to_string(pauses) +
         " torn=" + std::to_string(torn_tails) + " dropped_tails=" + std::to_string(dropped_tails) +
         " sync_fail=" + std::to_string(sync_failures) + " packets=" + std::to_string(packets) +
         " lost_packets=" + std::to_string(packets_dropped) +
         " typed_packets=" + std::to_string(packets_typed) +
         (buggify_fired > 0 ? " buggify=" + std::to_string(buggify_fired) : "") +
         (lying_syncs > 0 ? " LYING_SYNCS=" + std::to_string(lying_syncs) : "") +
         (replication
              ? " leader_crashes=" + std::to_string(replication->leader_crashes) +
                    " failovers=" + std::to_string(replication->failovers) +
                    " follower_crashes=" + std::to_string(replication->follower_crashes) +
                    " repl_partitions=" + std::to_string(replication->partitions) +
                    " acks1=" + std::to_string(replication->leader_only_acks) +
                    " acks1_lost=" + std::to_string(replication->leader_only_lost) +
                    (replication->recoveries > 0
                         ? " recovery_ms_avg=" +
                               std::to_string(replication->recovery_ms_total /
                                              static_cast<Millis>(replication->recoveries)) +
                               " recovery_ms_max=" + std::to_string(replication->recovery_ms_max)
                         : "")
              : "") +
         group_summary;
}

Simulation::Simulation(SimOptions options, RunSettings settings)
    : options_(std::move(options)),
      settings_(settings),
      trace_(std::max<size_t>(settings_.tail_lines, 64)),
      network_(clock_, trace_, Rng(options_.seed).Fork("network").Next(), [&] {
        PathOptions setup = options_.faults.network;  // faults come on after setup
        setup.loss = setup.duplicate = 0;
        return setup;
      }()) {
  trace_.set_echo(settings_.trace_echo);
}

Simulation::~Simulation() {
  // Clients and the injector first (they hold node pointers), then nodes.
  replication_.reset();
  injector_.reset();
  group_.reset();
  auditor_.reset();
  readers_.clear();
  producers_.clear();
  admin_.reset();
  nodes_.clear();
}

RunResult Simulation::Run() {
  trace_.Record(clock_.NowMs(), TraceKind::kNote, 0, static_cast<int64_t>(options_.seed), 0, 0,
                "run " + options_.scenario);
  Setup();
  if (!oracle_.failed()) Chaos();
  if (!oracle_.failed()) Drain();
  if (!oracle_.failed()) Audit();
  if (!oracle_.failed() && replication_) ReplicationFinalCheck();
  RunResult result;
  Finish(&result);
  return result;
}

bool Simulation::RunUntil(Millis deadline_ms, const std::function<bool()>& done) {
  bool reached = false;
  const TimerId deadline =
      clock_.After(deadline_ms - clock_.NowMs(), [&reached] { reached = true; });
  bool result = false;
  Millis checked_at_ms = -1;
  uint64_t since_check = 0;
  while (true) {
    oracle_.set_now(clock_.NowMs());
    if (oracle_.failed()) break;
    // done() may be costly: look when time moved, or every 256 events.
    if (done && (clock_.NowMs() != checked_at_ms || ++since_check >= 256)) {
      checked_at_ms = clock_.NowMs();
      since_check = 0;
      if (done()) {
        result = true;
        break;
      }
    }
    if (reached) break;
    if (clock_.events_run() >= options_.max_events) {
      budget_exhausted_ = true;
      oracle_.Fail(5, "event-budget",
                   "ran " + std::to_string(clock_.events_run()) +
                       " events without finishing (a livelock?); " + PendingReport());
      break;
    }
    const bool ran = clock_.RunOne();
    CHECK_MSG(ran, "the deadline timer keeps the queue non-empty");
  }
  clock_.Cancel(deadline);
  return result;
}

void Simulation::Setup() {
  for (int32_t i = 1; i <= options_.nodes; ++i) {
    NodeConfig config;
    config.broker.id = NodeId(i);
    config.broker.data_dir = "data";
    config.broker.default_topic_config = options_.topic_config;
    config.broker.index_interval_bytes = options_.index_interval_bytes;
    config.broker.retention_check_interval_ms = 0;  // retention is off in scenarios
    config.disk_faults = Benign(options_.faults.disk);
    config.echo_log = settings_.echo_broker_log;
    config.drop_while_paused = options_.faults.pause_drops_packets;
    if (options_.replication.enabled) {
      config.replicate = true;
      ReplicationOperator::Configure(options_.replication, i - 1, &config.broker);
    }
    auto node =
        std::make_unique<SimNode>(clock_, network_, trace_, config,
                                  Rng(options_.seed).Fork("node/" + std::to_string(i)).Next());
    node->node_disk().set_lying_sync(options_.canary);
    const Status started = node->Start();
    if (!started.ok()) {
      oracle_.Fail(0, "start-failed", "node " + std::to_string(i) + ": " + started.ToString());
      return;
    }
    nodes_.push_back(std::move(node));
  }
  const ClientContext ctx{clock_, network_, trace_, oracle_};
  admin_ = std::make_unique<SimAdmin>(ctx, nodes_[0]->id(), NodeId(kAdminId));
  admin_->CreateTopic(options_.topic, options_.partitions, options_.topic_config);
  if (!RunUntil(clock_.NowMs() + 60'000, [this] { return admin_->done(); })) {
    oracle_.Fail(5, "setup", "the topic was not created within 60 s without faults");
  }
}

void Simulation::Chaos() {
  const ClientContext ctx{clock_, network_, trace_, oracle_};
  std::vector<NodeId> clients;
  for (int32_t i = 0; i < options_.producers; ++i) {
    ProducerConfig config = options_.producer;
    config.broker = nodes_[0]->id();
    config.topic = options_.topic;
    config.partitions = options_.partitions;
    const NodeId self(kProducerBase + i);
    producers_.push_back(std::make_unique<SimProducer>(
        ctx, config, self, Rng(options_.seed).Fork("producer/" + std::to_string(i))));
    clients.push_back(self);
  }
  for (int32_t i = 0; i < options_.readers; ++i) {
    ReaderConfig config = options_.reader;
    config.broker = nodes_[0]->id();
    config.topic = options_.topic;
    config.partitions = options_.partitions;
    config.codec_seed = Rng(options_.seed).Fork("reader-codec/" + std::to_string(i)).Next();
    const NodeId self(kReaderBase + i);
    readers_.push_back(std::make_unique<SimReader>(ctx, config, self, i));
    clients.push_back(self);
  }
  std::vector<SimNode*> nodes;
  for (auto& node : nodes_) nodes.push_back(node.get());
  injector_ = std::make_unique<FaultInjector>(clock_, network_, trace_, options_.faults, nodes,
                                              clients, Rng(options_.seed).Fork("faults"));
  injector_->Start();
  if (options_.replication.enabled) {
    replication_ = std::make_unique<ReplicationOperator>(clock_, network_, trace_, oracle_,
                                                         options_.replication, nodes,
                                                         Rng(options_.seed).Fork("replication"));
    std::vector<SimProducer*> producers;
    std::vector<SimReader*> readers;
    for (auto& producer : producers_) producers.push_back(producer.get());
    for (auto& reader : readers_) readers.push_back(reader.get());
    replication_->AddClients(producers, readers);
    replication_->Start();
  }
  for (auto& producer : producers_) producer->Start();
  for (auto& reader : readers_) reader->Start();
  if (options_.groups.members > 0) {
    group_ = std::make_unique<SimGroup>(ctx, options_.groups, nodes_[0]->id(), options_.topic,
                                        options_.partitions, Rng(options_.seed).Fork("group"));
    group_->Start();
  }
  RunUntil(clock_.NowMs() + options_.duration_ms, nullptr);
}

void Simulation::RestartAll() {
  for (auto& node : nodes_) {
    const SimDisk::Stats& stats = node->disk().stats();
    const bool disk_failed = stats.append_failures + stats.sync_failures + stats.read_failures > 0;
    if (node->up() && disk_failed) {
      // The operator's repair: a log that saw a disk error refuses service
      // until restarted.
      trace_.Record(clock_.NowMs(), TraceKind::kNote, node->id().value(), 0, 0, 0,
                    "operator restart after disk errors");
      node->Crash();
    }
    if (!node->up()) {
      Status started = node->Start();
      if (!started.ok()) {
        // Recovery failed on a disk that still carries an injected error
        // (a failed fsync is permanent until a reboot): reboot, try again.
        node->PowerCycle();
        started = node->Start();
      }
      if (!started.ok()) {
        oracle_.Fail(5, "restart-failed",
                     "node " + std::to_string(node->id().value()) +
                         " cannot start once faults stopped: " + started.ToString());
        return;
      }
    }
  }
}

std::string Simulation::PendingReport() const {
  std::string report;
  for (const auto& producer : producers_) {
    if (!producer->idle()) report += producer->Describe() + "; ";
  }
  const auto ends = oracle_.AckedEnds();
  for (const auto& reader : readers_) {
    if (!reader->CaughtUp(ends)) report += reader->Describe() + "; ";
  }
  if (auditor_ != nullptr && !auditor_->audit_complete()) report += auditor_->Describe() + "; ";
  if (group_ != nullptr && !group_->Consumed()) report += group_->Describe() + " ";
  for (const auto& node : nodes_) {
    report += "node " + std::to_string(node->id().value()) + (node->up() ? " up" : " DOWN") +
              (node->paused() ? " paused" : "") + "; ";
  }
  return report;
}

void Simulation::Drain() {
  trace_.Record(clock_.NowMs(), TraceKind::kNote, 0, 0, 0, 0, "drain");
  injector_->Stop();
  if (replication_) replication_->Stop();
  if (oracle_.failed()) return;
  RestartAll();
  if (oracle_.failed()) return;
  for (auto& producer : producers_) producer->Drain();
  if (group_ != nullptr) group_->Calm();
  // Every producer's outstanding messages must be acked, the probe included.
  // Readers are observers: a slow one (small fetches, long round trips) may
  // lag; the audit reads everything afterwards.
  RunWithProgress("liveness", [this] {
    return std::all_of(producers_.begin(), producers_.end(),
                       [](const auto& producer) { return producer->idle(); });
  });
  // The group stabilises and processes and commits every acked message.
  if (group_ != nullptr && !oracle_.failed()) {
    RunWithProgress("group-liveness", [this] { return group_->Consumed(); });
  }
}

void Simulation::RunWithProgress(const char* what, const std::function<bool()>& done) {
  // Progress in every drain_ms window (a backlog may take several), and done
  // within kDrainWindowsMax windows.
  auto progress = [this] {
    return oracle_.acks() + oracle_.records_read() + (group_ ? group_->progress() : 0);
  };
  const Millis hard_deadline_ms = clock_.NowMs() + kDrainWindowsMax * options_.drain_ms;
  uint64_t last_progress = progress();
  while (!RunUntil(std::min(clock_.NowMs() + options_.drain_ms, hard_deadline_ms), done)) {
    if (oracle_.failed()) return;
    if (clock_.NowMs() >= hard_deadline_ms) {
      oracle_.Fail(5, what,
                   "not done " + std::to_string(kDrainWindowsMax * options_.drain_ms) +
                       " ms after faults stopped: " + PendingReport());
      return;
    }
    if (progress() == last_progress) {
      oracle_.Fail(5, what,
                   "no progress in " + std::to_string(options_.drain_ms) +
                       " ms after faults stopped: " + PendingReport());
      return;
    }
    last_progress = progress();
  }
}

void Simulation::Audit() {
  trace_.Record(clock_.NowMs(), TraceKind::kNote, 0, 0, 0, 0, "audit");
  for (auto& producer : producers_) producer->Stop();
  for (auto& reader : readers_) reader->Stop();
  if (group_ != nullptr) group_->Stop();
  ReaderConfig config = options_.reader;
  config.broker = Leader();
  config.topic = options_.topic;
  config.partitions = options_.partitions;
  config.audit = true;
  config.max_count = std::max(config.max_count, 1000);
  config.max_bytes = std::max<int64_t>(config.max_bytes, 1 << 20);
  config.codec_seed = Rng(options_.seed).Fork("auditor-codec").Next();
  auditor_ = std::make_unique<SimReader>(ClientContext{clock_, network_, trace_, oracle_}, config,
                                         NodeId(kAuditorId), -1);
  auditor_->Start();
  RunWithProgress("audit-incomplete", [this] { return auditor_->audit_complete(); });
  if (oracle_.failed()) return;
  if (!oracle_.failed()) oracle_.OnFinal(auditor_->audit());
  if (!oracle_.failed() && group_ != nullptr) group_->OnFinal(auditor_->audit());
  auditor_->Stop();
}

void Simulation::ReplicationFinalCheck() {
  // Faults are off: every follower must catch up with the leader (17), then
  // the committed prefixes are compared (15) and acks=1 losses counted (14).
  trace_.Record(clock_.NowMs(), TraceKind::kNote, 0, 0, 0, 0, "replication check");
  if (!RunUntil(clock_.NowMs() + options_.drain_ms, [this] { return replication_->Converged(); })) {
    if (!oracle_.failed()) {
      oracle_.Fail(
          17, "replicas-not-converged",
          std::to_string(options_.drain_ms) + " ms after the audit: " + replication_->Describe());
    }
    return;
  }
  replication_->FinalCheck();
}

void Simulation::Finish(RunResult* result) {
  if (oracle_.failed()) {
    trace_.Record(clock_.NowMs(), TraceKind::kViolation, 0, oracle_.violation()->invariant, 0, 0,
                  oracle_.violation()->name);
  }
  result->passed = !oracle_.failed();
  result->violation = oracle_.violation();
  result->trace_hash = trace_.hash();
  result->trace_events = trace_.events();
  result->sim_events = clock_.events_run();
  result->sim_ms = clock_.NowMs();
  if (!result->passed) result->trace_tail = trace_.Tail(settings_.tail_lines);
  result->messages_sent = oracle_.sent();
  result->acks = oracle_.acks();
  result->records_read = oracle_.records_read();
  if (injector_ != nullptr) {
    result->crashes = injector_->crashes();
    result->restarts = injector_->restarts();
    result->partitions = injector_->partitions();
    result->pauses = injector_->pauses();
  }
  if (replication_) result->replication = replication_->stats();
  result->packets = network_.stats().sent;
  result->packets_typed = network_.stats().sent_typed;
  const auto& net = network_.stats();
  result->packets_dropped = net.dropped_loss + net.dropped_partition + net.dropped_capacity +
                            net.dropped_filter + net.dropped_no_endpoint;
  for (const auto& node : nodes_) {
    const SimDisk::Stats& disk = node->disk().stats();
    result->torn_tails += disk.torn_tails;
    result->dropped_tails += disk.dropped_tails;
    result->sync_failures += disk.sync_failures;
    result->lying_syncs += node->node_disk().lies();
    result->buggify_fired += node->buggify_fired();
  }
  if (group_ != nullptr) result->group_summary = group_->Summary();
}

}  // namespace gafka::sim
