// TopicManager: the topics of this broker — the durable registry, and for
// each topic its open Partition objects. Owns everything the broker keeps on
// the Disk (layout.h). Owned by the Broker; used only from the core loop.
//
// Lifecycle of a topic
// - Create: partition directories and logs first, then the registry entry
//   (the commit point). A crash before the commit leaves orphan directories,
//   removed by the next Open.
// - Delete: the registry entry goes first (durably), then the partitions are
//   retired: each is destroyed and its directory removed once its last
//   pending sync has completed (never from inside a log callback: a Clock
//   task reaps them). A crash before the files are gone leaves orphans, again
//   removed by the next Open. A topic name cannot be re-created while its old
//   partitions are still retiring (kUnavailable: retry).
// - Open: load the registry, remove orphans, recover every partition log.
//
// Invariants
// - topics() holds exactly the registry's topics, each with `partitions`
//   Partition objects, partition i at index i;
// - a Partition is destroyed only when its pending_syncs() is zero (or when
//   the manager itself is destroyed: process death).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/broker/partition.h"
#include "core/broker/topic_registry.h"
#include "core/env/env.h"

namespace gafka {

struct Topic {
  TopicInfo info;  // configuration; partition_info empty
  std::vector<std::unique_ptr<Partition>> partitions;
  uint64_t round_robin = 0;  // next partition for messages without a key

  // nullptr if the partition id is out of range.
  Partition* Find(PartitionId id) const;
};

class TopicManager {
 public:
  TopicManager(Env& env, std::string data_dir, uint64_t index_interval_bytes,
               Partition::DurableListener listener);
  ~TopicManager();
  TopicManager(const TopicManager&) = delete;
  TopicManager& operator=(const TopicManager&) = delete;

  // Loads the registry, removes orphan partition directories and recovers
  // every partition log. A log that opens failed (corruption) is kept and
  // refuses service; an error opening one fails the whole Open.
  Status Open();

  // Creates a validated topic. kAlreadyExists if it exists; kUnavailable
  // while a deleted topic of that name is still retiring.
  Result<Topic*> Create(const TopicInfo& info);

  // Durably removes the topic from the registry, then calls `on_removed`
  // for each of its partitions (to complete parked polls) and retires them.
  Status Delete(const std::string& name, const std::function<void(Partition&)>& on_removed);

  Topic* Find(const std::string& name) const;
  const std::map<std::string, std::unique_ptr<Topic>>& topics() const { return topics_; }

  // The broker's durable listener calls this after every durable callback:
  // a retiring partition whose last sync completed gets reaped.
  void OnSyncCompleted(const Partition& partition);

  // Appends not yet durable, over live and retiring partitions.
  size_t pending_syncs() const;
  size_t retiring_count() const { return retiring_.size(); }

 private:
  using PartitionKey = std::pair<std::string, int32_t>;

  LogConfig LogConfigFor(const TopicInfo& info) const;
  Result<std::unique_ptr<Partition>> OpenPartition(const TopicInfo& info, PartitionId id);
  Status RemoveOrphans();
  // Removes a file or a directory tree (partition directories are one level
  // deep; `depth` bounds the recursion anyway).
  Status RemoveTree(const std::string& path, int depth = 0);
  void Retire(std::unique_ptr<Partition> partition);
  void ScheduleReap();
  void Reap();

  Env& env_;
  std::string data_dir_;
  uint64_t index_interval_bytes_;
  Partition::DurableListener listener_;
  TopicRegistry registry_;
  std::map<std::string, std::unique_ptr<Topic>> topics_;
  std::map<PartitionKey, std::unique_ptr<Partition>> retiring_;
  TimerId reap_timer_ = kNoTimer;
};

}  // namespace gafka
