// HwCheckpoint: the high watermark of every partition as this broker last
// knew it leading, durable in <data_dir>/replica.hw (Kafka's
// replication-offset-checkpoint). A leader restarted with followers starts
// each partition's HW from here, not from its durable log end: records past
// the old HW were never committed, and a follower promoted within its lease
// would truncate them — a reader shown them would have seen records that
// vanish. The file may lag the true HW (the ReplicaManager writes it at each
// ISR check and at shutdown): a stale value only hides committed records for
// a while, never shows uncommitted ones.
//
// Format (little-endian): magic u32 "GRHW", version u32 (1), count u32, then
// per entry: topic length u32, topic bytes, partition i32, HW i64; crc32c u32
// of everything before it. Replaced atomically (ReplaceFileDurably). A
// missing or corrupt file reads as empty (every HW then starts at the log
// start: safe, and the caller logs why). Owned by the ReplicaManager; loop
// only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/env/env.h"

namespace gafka {

class HwCheckpoint {
 public:
  using Key = std::pair<std::string, int32_t>;  // topic, partition
  using Entries = std::map<Key, Offset>;

  HwCheckpoint(Disk& disk, std::string data_dir);

  // Reads the file; its error (corrupt, unreadable) leaves the entries empty.
  Status Load();
  const Entries& entries() const { return entries_; }
  std::optional<Offset> Find(const std::string& topic, int32_t partition) const;
  // Makes `entries` durable unless they are what the file holds already.
  Status Store(Entries entries);
  // Drops `topic`'s entries (durably, when it had any): a topic re-created
  // under the same name must not inherit its predecessor's HW.
  Status Forget(const std::string& topic);

  static std::string Encode(const Entries& entries);
  static Result<Entries> Decode(std::string_view bytes);

 private:
  Disk& disk_;
  std::string data_dir_;
  Entries entries_;  // what the file holds
};

}  // namespace gafka
