// Broker::Impl wires the components together: TopicManager (what is on
// disk), Producer (appends and acks), Fetcher (reads and long polls), the
// group handler (core/group's seam) and the metrics. It owns the request
// dispatch, the status views, retention and shutdown.
#include "core/broker/broker.h"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/base/check.h"
#include "core/broker/broker_errors.h"
#include "core/broker/fetcher.h"
#include "core/broker/group_service.h"
#include "core/broker/metrics.h"
#include "core/broker/producer.h"
#include "core/broker/topic_manager.h"
#include "core/broker/topic_registry.h"
#include "core/group/offset_store.h"
#include "core/protocol/errors.h"
#include "core/replica/replica_manager.h"

namespace gafka {

using Done = std::function<void(ApiResponse)>;

class Broker::Impl {
 public:
  Impl(Env& env, BrokerConfig config);
  ~Impl();

  Status Open(Transport* transport);
  Result<Epoch> Promote(const std::string& advertised_address, bool force);
  void Execute(ApiRequest request, Done done);
  void Shutdown(std::function<void()> done);
  void SetGroupHandler(std::unique_ptr<GroupRequestHandler> handler);
  const BrokerConfig& config() const { return config_; }
  size_t parked_waiters() const {
    return fetcher_.parked() + (group_service_ != nullptr ? group_service_->parked() : 0);
  }

 private:
  struct Dispatcher;

  void HandleProduce(ProduceRequest request, Done done);
  void HandleFetch(FetchRequest request, Done done);
  void HandleCreate(const CreateTopicRequest& request, Done done);
  void HandleDelete(const DeleteTopicRequest& request, Done done);
  void HandleList(Done done);
  void HandleDescribe(const DescribeTopicRequest& request, Done done);
  void HandleOffsets(const PartitionOffsetsRequest& request, Done done);
  void HandleHealth(Done done);
  void HandleStatus(Done done);
  void HandleMetrics(Done done);

  TopicInfo Describe(const Topic& topic) const;
  void OnDurable(Partition& partition, const Status& status);
  void ScheduleRetention();
  void RunRetention();
  void MaybeFinishShutdown();
  // Hooks the group coordinator's committed offsets into replication.
  void InstallOffsetReplication();

  Env& env_;
  BrokerConfig config_;
  Millis opened_ms_;
  // Declaration order is destruction order in reverse: the fetcher (which
  // unhooks waiters from partitions) goes before the topics.
  BrokerMetrics metrics_;
  TopicManager topics_;
  Producer producer_;
  Fetcher fetcher_;
  std::unique_ptr<GroupRequestHandler> groups_;
  GroupService* group_service_ = nullptr;    // groups_ when it is the broker's own
  std::unique_ptr<ReplicaManager> replica_;  // null: a single broker
  TimerId retention_timer_ = kNoTimer;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  TimerId shutdown_timer_ = kNoTimer;
};

// std::visit target: one overload per request type; every group request goes
// to the group handler (a new non-group request type fails to compile here
// until it gets its handler).
struct Broker::Impl::Dispatcher {
  Impl* impl;
  Done done;

  void operator()(ProduceRequest& r) { impl->HandleProduce(std::move(r), std::move(done)); }
  void operator()(FetchRequest& r) { impl->HandleFetch(std::move(r), std::move(done)); }
  void operator()(CreateTopicRequest& r) { impl->HandleCreate(r, std::move(done)); }
  void operator()(DeleteTopicRequest& r) { impl->HandleDelete(r, std::move(done)); }
  void operator()(ListTopicsRequest&) { impl->HandleList(std::move(done)); }
  void operator()(DescribeTopicRequest& r) { impl->HandleDescribe(r, std::move(done)); }
  void operator()(PartitionOffsetsRequest& r) { impl->HandleOffsets(r, std::move(done)); }
  void operator()(HealthRequest&) { impl->HandleHealth(std::move(done)); }
  void operator()(StatusRequest&) { impl->HandleStatus(std::move(done)); }
  void operator()(MetricsRequest&) { impl->HandleMetrics(std::move(done)); }
  template <typename GroupRequest>
  void operator()(GroupRequest& r) {
    static_assert(kIsGroupRequest<GroupRequest>, "every non-group request has its handler");
    // Group state changes only on the leader (its committed offsets
    // replicate); a follower serves reads of it.
    constexpr bool kWrite = !std::is_same_v<GroupRequest, FetchOffsetsRequest> &&
                            !std::is_same_v<GroupRequest, GroupStatusRequest> &&
                            !std::is_same_v<GroupRequest, ListGroupsRequest>;
    if (kWrite && impl->replica_ != nullptr) {
      if (auto refused = impl->replica_->CheckAdminWrite()) {
        done(std::move(*refused));
        return;
      }
    }
    if constexpr (std::is_same_v<GroupRequest, CommitOffsetsRequest> ||
                  std::is_same_v<GroupRequest, ResetOffsetsRequest>) {
      if (impl->replica_ != nullptr) {
        // Answered once durable here; a success is answered only once the
        // in-sync followers hold it durably too (as acks=all).
        done = [impl = impl, done = std::move(done)](ApiResponse response) mutable {
          const auto* group = std::get_if<GroupResponse>(&response);
          if (group == nullptr || group->http_status >= 300 || impl->replica_ == nullptr) {
            done(std::move(response));
            return;
          }
          ReplicaManager& replica = *impl->replica_;
          replica.WaitGroupOffsetsReplicated(
              [&replica, done = std::move(done),
               response = std::move(response)](Status status) mutable {
                if (status.ok()) {
                  done(std::move(response));
                  return;
                }
                const bool moved = status.code() == Code::kConflict;
                ApiError error = MakeApiError(
                    moved ? api_errors::kNotLeader : api_errors::kUnavailable, status.message());
                if (moved) error.leader_hint = replica.leader_address();
                done(std::move(error));
              });
        };
      }
    }
    impl->groups_->Handle(ApiRequest(std::move(r)), std::move(done));
  }
};

Broker::Impl::Impl(Env& env, BrokerConfig config)
    : env_(env),
      config_(std::move(config)),
      opened_ms_(env.clock.NowMs()),
      topics_(env, config_.data_dir, config_.index_interval_bytes,
              [this](Partition& partition, const Status& status) { OnDurable(partition, status); }),
      producer_(metrics_),
      fetcher_(env.clock, config_.max_waiters, metrics_),
      groups_(std::make_unique<UnimplementedGroupHandler>()) {}

Broker::Impl::~Impl() {
  if (retention_timer_ != kNoTimer) env_.clock.Cancel(retention_timer_);
  if (shutdown_timer_ != kNoTimer) env_.clock.Cancel(shutdown_timer_);
}

Status Broker::Impl::Open(Transport* transport) {
  GAFKA_RETURN_IF_ERROR(topics_.Open());
  if (config_.enable_groups) {
    GroupConfig gc = config_.groups;
    if (gc.offsets_dir.empty() || gc.offsets_dir[0] != '/') {
      const std::string name = gc.offsets_dir.empty() ? "__consumer_offsets" : gc.offsets_dir;
      gc.offsets_dir = config_.data_dir.empty() ? name : config_.data_dir + "/" + name;
    }
    GroupService::Limits limits;
    limits.max_waiters = config_.max_waiters;
    limits.max_count = config_.limits.max_count;
    limits.max_bytes = config_.limits.max_fetch_bytes;
    limits.max_timeout_ms = config_.limits.max_timeout_ms;
    auto service = GroupService::Open(env_, std::move(gc), topics_, metrics_, limits);
    if (!service.ok()) {
      return Status(service.status().code(),
                    "consumer groups: " + service.status().message() +
                        " (committed offsets are never reset silently; see docs/operations.md)");
    }
    group_service_ = service->get();
    groups_ = std::move(service).value();
  }
  if (transport != nullptr) {
    ReplicaConfig replication = config_.replication;
    replication.self = config_.id;
    replication.data_dir = config_.data_dir;
    replica_ = std::make_unique<ReplicaManager>(
        env_, *transport, topics_, std::move(replication),
        ReplicaManager::BrokerHooks{[this](Partition& partition) {  // the HW advanced: wake readers
                                      fetcher_.OnDurable(partition, Status::Ok());
                                      if (group_service_ != nullptr)
                                        group_service_->OnDurable(partition);
                                    },
                                    [this](Partition& partition) {
                                      fetcher_.FailAll(
                                          partition, broker_error::UnknownTopic(partition.topic()));
                                    }});
    if (group_service_ != nullptr) InstallOffsetReplication();
    producer_.set_commit_wait([this](Partition& partition, Offset end, auto done) {
      replica_->WaitCommitted(partition, end, std::move(done));
    });
    GAFKA_RETURN_IF_ERROR(replica_->Open());
  }
  size_t partitions = 0, failed = 0;
  for (const auto& [name, topic] : topics_.topics()) {
    for (const auto& partition : topic->partitions) {
      ++partitions;
      if (!partition->log().failed().ok()) ++failed;
    }
  }
  env_.logger.Log(LogLevel::kInfo, "broker " + std::to_string(config_.id.value()) + " opened " +
                                       config_.data_dir + ": " +
                                       std::to_string(topics_.topics().size()) + " topics, " +
                                       std::to_string(partitions) + " partitions, " +
                                       std::to_string(failed) + " refusing service");
  ScheduleRetention();
  return Status::Ok();
}

void Broker::Impl::InstallOffsetReplication() {
  // Both hooks are only ever called by replica_ while this broker lives.
  ReplicaManager::BrokerHooks& hooks = replica_->mutable_hooks();
  hooks.group_offsets = [this] {
    const OffsetStore& store = group_service_->coordinator().offsets();
    std::vector<ReplicatedOffset> all;
    for (const std::string& group : store.Groups()) {
      for (const auto& [tp, committed] : store.DurableOfGroup(group)) {
        all.push_back(ReplicatedOffset{group, tp.topic, tp.partition, committed.offset,
                                       committed.commit_timestamp_ms, committed.metadata});
      }
    }
    return all;
  };
  hooks.group_offsets_version = [this] {
    return group_service_->coordinator().offsets().durable_version();
  };
  hooks.apply_group_offsets = [this](const std::vector<ReplicatedOffset>& offsets,
                                     std::function<void(Status)> done) -> Result<bool> {
    OffsetStore& store = group_service_->coordinator().mutable_offsets();
    std::vector<OffsetStore::Write> writes;
    for (const ReplicatedOffset& o : offsets) {
      OffsetStore::Key key{o.group, TopicPartition{o.topic, o.partition}};
      CommittedOffset value{o.offset, o.commit_timestamp_ms, o.metadata};
      const CommittedOffset* latest = store.Latest(key);
      if (latest != nullptr && *latest == value) continue;
      // A reset: the leader's value wins, whichever way it moves.
      writes.push_back({std::move(key), {offset_format::ValueKind::kReset, std::move(value)}});
    }
    if (writes.empty()) return false;
    GAFKA_RETURN_IF_ERROR(store.Apply(std::move(writes), std::move(done)));
    return true;
  };
}

void Broker::Impl::Execute(ApiRequest request, Done done) {
  CHECK(done != nullptr);
  // Every answer passes here once: the one place errors are counted.
  Done counted = [this, done = std::move(done)](ApiResponse response) {
    metrics_.CountResponse(response);
    done(std::move(response));
  };
  if (shutting_down_) {
    counted(broker_error::ShuttingDown());
    return;
  }
  std::visit(Dispatcher{this, std::move(counted)}, request);
}

void Broker::Impl::SetGroupHandler(std::unique_ptr<GroupRequestHandler> handler) {
  CHECK(handler != nullptr);
  group_service_ = nullptr;
  groups_ = std::move(handler);
}

void Broker::Impl::HandleProduce(ProduceRequest request, Done done) {
  ++metrics_.produce_requests;
  Topic* topic = topics_.Find(request.topic);
  if (topic == nullptr) {
    done(broker_error::UnknownTopic(request.topic));
    return;
  }
  if (replica_ != nullptr) {
    if (auto refused = replica_->CheckProduce(*topic, request.acks)) {
      done(std::move(*refused));
      return;
    }
  }
  producer_.Produce(*topic, std::move(request), std::move(done));
  if (replica_ != nullptr) replica_->OnAppended();
}

Result<Epoch> Broker::Impl::Promote(const std::string& advertised_address, bool force) {
  if (replica_ == nullptr) return InvalidArgument("this broker does not replicate");
  if (shutting_down_) return Unavailable("shutting down");
  return replica_->Promote(advertised_address, force);
}

void Broker::Impl::HandleFetch(FetchRequest request, Done done) {
  ++metrics_.fetch_requests;
  // The codec rejects values over the limits; callers that build requests
  // directly (the simulator) are held to them by clamping.
  request.timeout_ms = std::min(request.timeout_ms, config_.limits.max_timeout_ms);
  request.max_count = std::min(request.max_count, config_.limits.max_count);
  request.max_bytes = std::min(request.max_bytes, config_.limits.max_fetch_bytes);
  Topic* topic = topics_.Find(request.topic);
  if (topic == nullptr) {
    done(broker_error::UnknownTopic(request.topic));
    return;
  }
  Partition* partition = topic->Find(request.partition);
  if (partition == nullptr) {
    done(broker_error::UnknownPartition(request.topic, request.partition, topic->info.partitions));
    return;
  }
  fetcher_.Fetch(*partition, request, std::move(done));
}

void Broker::Impl::HandleCreate(const CreateTopicRequest& request, Done done) {
  // The codec validated already; a second check keeps the registry clean
  // whoever the caller is (the simulator builds requests directly).
  if (replica_ != nullptr) {
    if (auto refused = replica_->CheckAdminWrite()) {
      done(std::move(*refused));
      return;
    }
  }
  const TopicInfo info = TopicFromRequest(request, config_.default_topic_config);
  Status valid = ValidateNewTopic(info, config_.limits);
  if (!valid.ok()) {
    done(broker_error::FromStatus(valid));
    return;
  }
  if (replica_ != nullptr) {
    if (Status forgot = replica_->BeforeTopicCreate(info.name); !forgot.ok()) {
      done(broker_error::FromStatus(forgot));
      return;
    }
  }
  auto created = topics_.Create(info);
  if (!created.ok()) {
    done(broker_error::FromStatus(created.status()));
    return;
  }
  env_.logger.Log(LogLevel::kInfo, "created topic " + info.name + " with " +
                                       std::to_string(info.partitions) + " partitions");
  if (group_service_ != nullptr) group_service_->OnTopicsChanged();
  TopicResponse response{Describe(**created), /*created=*/true};
  if (replica_ == nullptr) {
    done(std::move(response));
    return;
  }
  // Answered once no promotion could lose it (followers that may hold a
  // promotion lease have it).
  replica_->WaitTopicReplicated(info.name, [done = std::move(done), response = std::move(response)](
                                               Status replicated) mutable {
    if (replicated.ok()) {
      done(std::move(response));
    } else {
      done(broker_error::FromStatus(replicated));
    }
  });
}

void Broker::Impl::HandleDelete(const DeleteTopicRequest& request, Done done) {
  if (replica_ != nullptr) {
    if (auto refused = replica_->CheckAdminWrite()) {
      done(std::move(*refused));
      return;
    }
  }
  const ApiError gone = broker_error::UnknownTopic(request.name);
  Status deleted = topics_.Delete(
      request.name, [this, &gone](Partition& partition) { fetcher_.FailAll(partition, gone); });
  if (!deleted.ok()) {
    done(deleted.code() == Code::kNotFound ? gone : broker_error::FromStatus(deleted));
    return;
  }
  env_.logger.Log(LogLevel::kInfo, "deleted topic " + request.name);
  if (group_service_ != nullptr) group_service_->OnTopicsChanged();
  done(DeletedResponse{request.name});
}

void Broker::Impl::HandleList(Done done) {
  TopicListResponse response;
  for (const auto& [name, topic] : topics_.topics()) response.topics.push_back(topic->info);
  done(std::move(response));
}

void Broker::Impl::HandleDescribe(const DescribeTopicRequest& request, Done done) {
  Topic* topic = topics_.Find(request.name);
  if (topic == nullptr) {
    done(broker_error::UnknownTopic(request.name));
    return;
  }
  done(TopicResponse{Describe(*topic), /*created=*/false});
}

void Broker::Impl::HandleOffsets(const PartitionOffsetsRequest& request, Done done) {
  Topic* topic = topics_.Find(request.topic);
  if (topic == nullptr) {
    done(broker_error::UnknownTopic(request.topic));
    return;
  }
  Partition* partition = topic->Find(request.partition);
  if (partition == nullptr) {
    done(broker_error::UnknownPartition(request.topic, request.partition, topic->info.partitions));
    return;
  }
  done(PartitionOffsetsResponse{request.topic, partition->Info(config_.id)});
}

void Broker::Impl::HandleHealth(Done done) {
  // The broker is up and serving; partitions that refuse service are named
  // in the detail (an operator must act on them; a restart would not help).
  HealthResponse response;
  std::string failed;
  for (const auto& [name, topic] : topics_.topics()) {
    for (const auto& partition : topic->partitions) {
      if (partition->log().failed().ok()) continue;
      failed += (failed.empty() ? "" : ", ") + partition->topic() + "-" +
                std::to_string(partition->id().value());
    }
  }
  response.ok = true;
  response.detail = failed.empty() ? "serving" : "serving; partitions refusing service: " + failed;
  done(std::move(response));
}

void Broker::Impl::HandleStatus(Done done) {
  StatusResponse response;
  response.broker_id = config_.id;
  response.role = replica_ != nullptr ? replica_->role() : config_.role;
  if (replica_ != nullptr) response.json_extra = replica_->StatusJson();
  response.uptime_ms = env_.clock.NowMs() - opened_ms_;
  CHECK(response.uptime_ms >= 0);
  for (const auto& [name, topic] : topics_.topics()) response.topics.push_back(Describe(*topic));
  done(std::move(response));
}

void Broker::Impl::HandleMetrics(Done done) {
  MetricsSnapshot snapshot;
  snapshot.uptime_ms = env_.clock.NowMs() - opened_ms_;
  snapshot.parked_waiters =
      fetcher_.parked() + (group_service_ != nullptr ? group_service_->parked() : 0);
  snapshot.pending_syncs = topics_.pending_syncs();
  done(MetricsResponse{RenderMetrics(metrics_, snapshot, topics_.topics())});
}

TopicInfo Broker::Impl::Describe(const Topic& topic) const {
  TopicInfo info = topic.info;
  CHECK(info.partition_info.empty());
  info.partition_info.reserve(topic.partitions.size());
  for (const auto& partition : topic.partitions) {
    // A follower names the leader it follows (-1 until it has heard from it).
    info.partition_info.push_back(
        partition->Info(replica_ != nullptr ? replica_->leader_id() : config_.id));
  }
  CHECK(static_cast<int32_t>(info.partition_info.size()) == info.partitions);
  return info;
}

void Broker::Impl::OnDurable(Partition& partition, const Status& status) {
  if (!status.ok()) {
    env_.logger.Log(LogLevel::kError, "sync failed on " + partition.dir() + ": " +
                                          status.ToString() + "; the partition refuses service");
  }
  if (replica_ != nullptr) replica_->OnDurable(partition);  // the HW first: readers stop there
  fetcher_.OnDurable(partition, status);
  if (group_service_ != nullptr) group_service_->OnDurable(partition);
  topics_.OnSyncCompleted(partition);
  if (shutting_down_) MaybeFinishShutdown();
}

void Broker::Impl::ScheduleRetention() {
  if (config_.retention_check_interval_ms <= 0 || shutting_down_) return;
  CHECK(retention_timer_ == kNoTimer);
  retention_timer_ = env_.clock.After(config_.retention_check_interval_ms, [this] {
    retention_timer_ = kNoTimer;
    RunRetention();
    ScheduleRetention();
  });
  CHECK(retention_timer_ != kNoTimer);
}

void Broker::Impl::RunRetention() {
  for (const auto& [name, topic] : topics_.topics()) {
    for (const auto& partition : topic->partitions) {
      if (!partition->log().failed().ok()) continue;  // an operator must look first
      const int deleted = partition->log().ApplyRetention();
      CHECK(deleted >= 0);
      metrics_.retention_segments_deleted += static_cast<uint64_t>(deleted);
    }
  }
}

void Broker::Impl::Shutdown(std::function<void()> done) {
  CHECK(done != nullptr);
  CHECK_MSG(!shutting_down_, "Shutdown() is called once");
  shutting_down_ = true;
  if (retention_timer_ != kNoTimer) {
    env_.clock.Cancel(retention_timer_);
    retention_timer_ = kNoTimer;
  }
  env_.logger.Log(LogLevel::kInfo, "broker shutting down: " + std::to_string(fetcher_.parked()) +
                                       " parked polls, " + std::to_string(topics_.pending_syncs()) +
                                       " pending syncs");
  fetcher_.CompleteAllEmpty();
  if (group_service_ != nullptr) group_service_->CompleteAllEmpty();
  if (replica_ != nullptr) replica_->Shutdown();
  shutdown_done_ = std::move(done);
  MaybeFinishShutdown();
}

// `done` runs from its own Clock task: it may destroy the broker, which must
// not happen inside a log callback or inside Shutdown().
void Broker::Impl::MaybeFinishShutdown() {
  CHECK(shutting_down_);
  if (!shutdown_done_ || shutdown_timer_ != kNoTimer || topics_.pending_syncs() > 0) return;
  CHECK_MSG(producer_.in_flight() == 0, "no produce waits without a pending sync");
  CHECK(fetcher_.parked() == 0);
  if (group_service_ != nullptr && !group_service_->idle()) {
    // Offset commits still wait for their fsync: answer them before going.
    shutdown_timer_ = env_.clock.After(1, [this] {
      shutdown_timer_ = kNoTimer;
      MaybeFinishShutdown();
    });
    return;
  }
  shutdown_timer_ = env_.clock.After(0, [this] {
    shutdown_timer_ = kNoTimer;
    auto done = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    done();
  });
}

// ---- Broker ----------------------------------------------------------------

Broker::Broker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Broker::~Broker() = default;

Result<std::unique_ptr<Broker>> Broker::Open(Env& env, BrokerConfig config) {
  return Open(env, std::move(config), nullptr);
}

Result<Epoch> Broker::Promote(const std::string& advertised_address, bool force) {
  return impl_->Promote(advertised_address, force);
}

Result<std::unique_ptr<Broker>> Broker::Open(Env& env, BrokerConfig config, Transport* transport) {
  if (config.max_waiters == 0 || config.index_interval_bytes == 0) {
    return InvalidArgument("broker config: max_waiters and index_interval_bytes must be positive");
  }
  auto impl = std::make_unique<Impl>(env, std::move(config));
  GAFKA_RETURN_IF_ERROR(impl->Open(transport));
  return std::unique_ptr<Broker>(new Broker(std::move(impl)));
}

void Broker::Execute(ApiRequest request, std::function<void(ApiResponse)> done) {
  impl_->Execute(std::move(request), std::move(done));
}

void Broker::Shutdown(std::function<void()> done) { impl_->Shutdown(std::move(done)); }

void Broker::SetGroupHandler(std::unique_ptr<GroupRequestHandler> handler) {
  impl_->SetGroupHandler(std::move(handler));
}

const BrokerConfig& Broker::config() const { return impl_->config(); }

size_t Broker::parked_waiters() const { return impl_->parked_waiters(); }

}  // namespace gafka
