// Where the broker keeps things under BrokerConfig::data_dir (Kafka's layout):
//
//   <data_dir>/topics.json          the topic registry (topic_registry.h)
//   <data_dir>/topics.json.tmp      its next version while being written
//   <data_dir>/<topic>-<partition>/ one directory per partition log
//
// The broker owns every entry of data_dir named `<valid topic>-<digits>`:
// one that the registry does not list is an orphan of a crash mid-create or
// mid-delete and is removed on Open. Other components that keep state under
// data_dir must use names of another form (e.g. a `groups/` directory).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/env/durable_files.h"  // MakeDirsDurably, ReplaceFileDurably
#include "core/env/env.h"

namespace gafka {

inline constexpr std::string_view kRegistryFileName = "topics.json";
inline constexpr std::string_view kRegistryTempFileName = "topics.json.tmp";

// "dir/name", or just "name" when dir is empty (the Disk's root).
std::string JoinPath(std::string_view dir, std::string_view name);

// "<topic>-<partition>".
std::string PartitionDirName(std::string_view topic, PartitionId partition);

struct ParsedPartitionDir {
  std::string topic;
  PartitionId partition;
};
// Inverse of PartitionDirName: splits at the last '-'; nullopt unless the
// topic part is a valid topic name and the rest a partition number.
std::optional<ParsedPartitionDir> ParsePartitionDirName(std::string_view name);

// SPEC §1: 1..max_length chars of [A-Za-z0-9._-], not "." or "..".
Status ValidateTopicName(std::string_view name, size_t max_length = 255);

}  // namespace gafka
