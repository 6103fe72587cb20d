#include "core/broker/topic_manager.h"

#include "core/base/check.h"
#include "core/broker/layout.h"

namespace gafka {

namespace {

// Partition directories hold segment and index files only; anything deeper
// than this is not ours to walk.
constexpr int kMaxRemoveDepth = 4;

}  // namespace

Partition* Topic::Find(PartitionId id) const {
  if (id.value() < 0 || id.value() >= static_cast<int64_t>(partitions.size())) return nullptr;
  Partition* partition = partitions[static_cast<size_t>(id.value())].get();
  CHECK(partition != nullptr && partition->id() == id);
  return partition;
}

TopicManager::TopicManager(Env& env, std::string data_dir, uint64_t index_interval_bytes,
                           Partition::DurableListener listener)
    : env_(env),
      data_dir_(std::move(data_dir)),
      index_interval_bytes_(index_interval_bytes),
      listener_(std::move(listener)),
      registry_(env.disk, data_dir_) {
  CHECK(listener_ != nullptr);
  CHECK(index_interval_bytes_ > 0);
}

TopicManager::~TopicManager() {
  if (reap_timer_ != kNoTimer) env_.clock.Cancel(reap_timer_);
}

LogConfig TopicManager::LogConfigFor(const TopicInfo& info) const {
  LogConfig config;
  config.segment_bytes = static_cast<uint64_t>(info.config.segment_bytes);
  config.index_interval_bytes = index_interval_bytes_;
  config.retention_bytes = info.config.retention_bytes;
  config.retention_ms = info.config.retention_ms;
  return config;
}

Status TopicManager::Open() {
  CHECK_MSG(topics_.empty() && retiring_.empty(), "Open() runs once");
  GAFKA_RETURN_IF_ERROR(MakeDirsDurably(env_.disk, data_dir_));
  GAFKA_RETURN_IF_ERROR(registry_.Load());
  GAFKA_RETURN_IF_ERROR(RemoveOrphans());
  for (const auto& [name, info] : registry_.topics()) {
    auto topic = std::make_unique<Topic>();
    topic->info = info;
    for (int32_t p = 0; p < info.partitions; ++p) {
      GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<Partition> partition,
                             OpenPartition(info, PartitionId(p)));
      const auto& report = partition->log().recovery_report();
      env_.logger.Log(partition->log().failed().ok() ? LogLevel::kInfo : LogLevel::kError,
                      "recovered " + partition->dir() + ": " + report.detail +
                          (partition->log().failed().ok()
                               ? std::string()
                               : "; refusing service: " + partition->log().failed().ToString()));
      topic->partitions.push_back(std::move(partition));
    }
    topics_.emplace(name, std::move(topic));
  }
  CHECK(topics_.size() == registry_.topics().size());
  // A partition directory recreated above (its entry never made it to disk)
  // must not vanish again.
  return env_.disk.SyncDir(data_dir_);
}

Result<std::unique_ptr<Partition>> TopicManager::OpenPartition(const TopicInfo& info,
                                                               PartitionId id) {
  CHECK(id.value() >= 0 && id.value() < info.partitions);
  std::string dir = JoinPath(data_dir_, PartitionDirName(info.name, id));
  GAFKA_RETURN_IF_ERROR(env_.disk.MakeDirs(dir));
  auto log = PartitionLog::Open(env_, dir, LogConfigFor(info));
  if (!log.ok()) {
    return Status(log.status().code(), "opening " + dir + ": " + log.status().message());
  }
  auto partition =
      std::make_unique<Partition>(info.name, id, std::move(dir), std::move(log).value(), listener_);
  CHECK(partition->pending_syncs() == 0);
  return partition;
}

Status TopicManager::RemoveOrphans() {
  GAFKA_ASSIGN_OR_RETURN(std::vector<std::string> names, env_.disk.List(data_dir_));
  bool removed = false;
  for (const std::string& name : names) {  // sorted by the Disk: deterministic
    auto parsed = ParsePartitionDirName(name);
    if (!parsed) continue;
    const TopicInfo* info = registry_.Find(parsed->topic);
    if (info != nullptr && parsed->partition.value() < info->partitions) continue;
    env_.logger.Log(LogLevel::kWarn, "removing orphan partition directory " + name +
                                         " (not in the topic registry: a crash mid-create or "
                                         "mid-delete)");
    GAFKA_RETURN_IF_ERROR(RemoveTree(JoinPath(data_dir_, name)));
    removed = true;
  }
  if (removed) GAFKA_RETURN_IF_ERROR(env_.disk.SyncDir(data_dir_));
  return Status::Ok();
}

Status TopicManager::RemoveTree(const std::string& path, int depth) {
  CHECK_MSG(depth <= kMaxRemoveDepth, "partition directories are shallow");
  CHECK(!path.empty() && path != data_dir_);
  auto children = env_.disk.List(path);
  if (children.ok()) {  // a directory: empty it first
    for (const std::string& child : *children) {
      if (depth == kMaxRemoveDepth) return Internal("unexpected nesting under " + path);
      GAFKA_RETURN_IF_ERROR(RemoveTree(JoinPath(path, child), depth + 1));
    }
  }
  return env_.disk.Remove(path);
}

Result<Topic*> TopicManager::Create(const TopicInfo& info) {
  CHECK_MSG(ValidateTopicName(info.name).ok() && info.partitions >= 1, "callers validate");
  if (topics_.count(info.name) != 0) {
    return AlreadyExists("topic '" + info.name + "' already exists");
  }
  // Partition ids are >= 0, so this finds the name's first retiring partition.
  const auto retiring = retiring_.lower_bound({info.name, 0});
  if (retiring != retiring_.end() && retiring->first.first == info.name) {
    return Unavailable("topic '" + info.name +
                       "' was deleted and its files are still being removed; retry shortly");
  }
  auto topic = std::make_unique<Topic>();
  topic->info = info;
  topic->info.partition_info.clear();
  Status status;
  for (int32_t p = 0; p < info.partitions && status.ok(); ++p) {
    // A leftover of an earlier failed removal must not leak into the new topic.
    std::string dir = JoinPath(data_dir_, PartitionDirName(info.name, PartitionId(p)));
    if (env_.disk.Exists(dir)) status = RemoveTree(dir);
    if (!status.ok()) break;
    auto partition = OpenPartition(topic->info, PartitionId(p));
    if (!partition.ok()) {
      status = partition.status();
    } else {
      topic->partitions.push_back(std::move(partition).value());
    }
  }
  if (status.ok()) status = env_.disk.SyncDir(data_dir_);
  if (status.ok()) status = registry_.Add(topic->info);  // the commit point
  if (!status.ok()) {
    // Not committed: undo what exists (orphans are also cleaned on Open).
    for (const auto& partition : topic->partitions) CHECK(partition->pending_syncs() == 0);
    topic->partitions.clear();  // closes the logs before their files go
    for (int32_t p = 0; p < info.partitions; ++p) {
      std::string dir = JoinPath(data_dir_, PartitionDirName(info.name, PartitionId(p)));
      if (env_.disk.Exists(dir)) RemoveTree(dir).IgnoreError();
    }
    return status;
  }
  CHECK(static_cast<int32_t>(topic->partitions.size()) == info.partitions);
  Topic* created = topic.get();
  topics_.emplace(info.name, std::move(topic));
  return created;
}

Status TopicManager::Delete(const std::string& name,
                            const std::function<void(Partition&)>& on_removed) {
  auto it = topics_.find(name);
  if (it == topics_.end()) return NotFound("topic '" + name + "' does not exist");
  GAFKA_RETURN_IF_ERROR(registry_.Remove(name));  // durable: the delete happened
  std::unique_ptr<Topic> topic = std::move(it->second);
  topics_.erase(it);
  for (auto& partition : topic->partitions) {
    on_removed(*partition);
    CHECK_MSG(partition->waiter_ids().empty(), "on_removed completes parked polls");
    Retire(std::move(partition));
  }
  CHECK(topics_.count(name) == 0 && registry_.Find(name) == nullptr);
  return Status::Ok();
}

Topic* TopicManager::Find(const std::string& name) const {
  auto it = topics_.find(name);
  if (it == topics_.end()) return nullptr;
  CHECK(it->second != nullptr && it->second->info.name == name);
  return it->second.get();
}

void TopicManager::Retire(std::unique_ptr<Partition> partition) {
  CHECK(partition != nullptr);
  PartitionKey key{partition->topic(), partition->id().value()};
  CHECK_MSG(retiring_.count(key) == 0, "a partition retires once");
  retiring_.emplace(std::move(key), std::move(partition));
  ScheduleReap();
}

void TopicManager::OnSyncCompleted(const Partition& partition) {
  if (retiring_.empty()) return;
  auto it = retiring_.find({partition.topic(), partition.id().value()});
  if (it != retiring_.end() && it->second.get() == &partition && partition.pending_syncs() == 0) {
    ScheduleReap();
  }
}

// Reaping runs as its own Clock task, so a partition is never destroyed from
// inside one of its log's callbacks.
void TopicManager::ScheduleReap() {
  if (reap_timer_ != kNoTimer) return;
  reap_timer_ = env_.clock.After(0, [this] {
    reap_timer_ = kNoTimer;
    Reap();
  });
  CHECK(reap_timer_ != kNoTimer);
}

void TopicManager::Reap() {
  bool removed = false;
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    if (it->second->pending_syncs() != 0) {
      ++it;
      continue;
    }
    std::string dir = it->second->dir();
    it = retiring_.erase(it);  // destroys the Partition and closes its log
    Status status = RemoveTree(dir);
    if (!status.ok()) {
      env_.logger.Log(LogLevel::kWarn, "could not remove " + dir + " of a deleted topic (" +
                                           status.ToString() + "); it is removed on next start");
    }
    removed = true;
  }
  if (removed) {
    Status status = env_.disk.SyncDir(data_dir_);
    if (!status.ok())
      env_.logger.Log(LogLevel::kWarn, "SyncDir " + data_dir_ + ": " + status.ToString());
  }
}

size_t TopicManager::pending_syncs() const {
  size_t pending = 0;
  for (const auto& [name, topic] : topics_) {
    for (const auto& partition : topic->partitions) pending += partition->pending_syncs();
  }
  for (const auto& [key, partition] : retiring_) pending += partition->pending_syncs();
  return pending;
}

}  // namespace gafka
