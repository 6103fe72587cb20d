#include "core/broker/topic_registry.h"

#include <nlohmann/json.hpp>

#include "core/base/check.h"
#include "core/broker/layout.h"
#include "core/protocol/errors.h"

namespace gafka {

using nlohmann::json;

namespace {

constexpr int kRegistryVersion = 1;
// Sanity bound when reading the file back: limits may have been lowered
// since a topic was created, so decoding does not apply ApiLimits.
constexpr int64_t kMaxStoredPartitions = 1'000'000;
constexpr int64_t kMaxStoredReplicationFactor = 1'000;

constexpr int kBadPartitionDetail = api_errors::kBadPartition % 100;
constexpr int kBadValueDetail = api_errors::kBadValue % 100;

int64_t Pick(const std::optional<int64_t>& override_value, int64_t request_value,
             int64_t struct_default, int64_t broker_default) {
  if (override_value) return *override_value;
  if (request_value != struct_default) return request_value;
  return broker_default;
}

Status ValidateTopicConfig(const TopicConfig& config, const ApiLimits& limits) {
  if (config.max_message_bytes < 1 || config.max_message_bytes > limits.max_message_bytes) {
    return InvalidArgument(
        "max_message_bytes must be in [1, " + std::to_string(limits.max_message_bytes) + "]",
        kBadValueDetail);
  }
  if (config.segment_bytes < 1) {
    return InvalidArgument("segment_bytes must be positive", kBadValueDetail);
  }
  if (config.retention_ms != -1 && config.retention_ms < 1) {
    return InvalidArgument("retention_ms must be -1 (forever) or positive", kBadValueDetail);
  }
  if (config.retention_bytes != -1 && config.retention_bytes < 1) {
    return InvalidArgument("retention_bytes must be -1 (unlimited) or positive", kBadValueDetail);
  }
  return Status::Ok();
}

json TopicToJson(const TopicInfo& topic) {
  return json{{"name", topic.name},
              {"partitions", topic.partitions},
              {"replication_factor", topic.replication_factor},
              {"retention_ms", topic.config.retention_ms},
              {"retention_bytes", topic.config.retention_bytes},
              {"segment_bytes", topic.config.segment_bytes},
              {"max_message_bytes", topic.config.max_message_bytes}};
}

// Reads an integer field; kCorruption when missing or not an integer.
Status GetInt(const json& object, const char* field, int64_t* out) {
  auto it = object.find(field);
  if (it == object.end() || !it->is_number_integer()) {
    return Corruption(std::string("topic registry: field '") + field +
                      "' missing or not an integer");
  }
  *out = it->get<int64_t>();
  return Status::Ok();
}

Result<TopicInfo> TopicFromJson(const json& object) {
  if (!object.is_object()) return Corruption("topic registry: a topic entry is not an object");
  auto name = object.find("name");
  if (name == object.end() || !name->is_string()) {
    return Corruption("topic registry: a topic entry has no name");
  }
  TopicInfo topic;
  topic.name = name->get<std::string>();
  if (!ValidateTopicName(topic.name).ok()) {
    return Corruption("topic registry: invalid topic name");
  }
  int64_t partitions = 0, replication_factor = 0;
  GAFKA_RETURN_IF_ERROR(GetInt(object, "partitions", &partitions));
  GAFKA_RETURN_IF_ERROR(GetInt(object, "replication_factor", &replication_factor));
  GAFKA_RETURN_IF_ERROR(GetInt(object, "retention_ms", &topic.config.retention_ms));
  GAFKA_RETURN_IF_ERROR(GetInt(object, "retention_bytes", &topic.config.retention_bytes));
  GAFKA_RETURN_IF_ERROR(GetInt(object, "segment_bytes", &topic.config.segment_bytes));
  GAFKA_RETURN_IF_ERROR(GetInt(object, "max_message_bytes", &topic.config.max_message_bytes));
  if (partitions < 1 || partitions > kMaxStoredPartitions || replication_factor < 1 ||
      replication_factor > kMaxStoredReplicationFactor) {
    return Corruption("topic registry: topic '" + topic.name + "' has impossible counts");
  }
  topic.partitions = static_cast<int32_t>(partitions);
  topic.replication_factor = static_cast<int32_t>(replication_factor);
  return topic;
}

}  // namespace

TopicInfo TopicFromRequest(const CreateTopicRequest& request, const TopicConfig& defaults) {
  const TopicConfig plain;
  TopicInfo topic;
  topic.name = request.name;
  topic.partitions = request.partitions;
  topic.replication_factor = request.replication_factor;
  const TopicConfigOverrides& o = request.overrides;
  const TopicConfig& r = request.config;
  topic.config.retention_ms =
      Pick(o.retention_ms, r.retention_ms, plain.retention_ms, defaults.retention_ms);
  topic.config.retention_bytes =
      Pick(o.retention_bytes, r.retention_bytes, plain.retention_bytes, defaults.retention_bytes);
  topic.config.segment_bytes =
      Pick(o.segment_bytes, r.segment_bytes, plain.segment_bytes, defaults.segment_bytes);
  topic.config.max_message_bytes = Pick(o.max_message_bytes, r.max_message_bytes,
                                        plain.max_message_bytes, defaults.max_message_bytes);
  CHECK(topic.partition_info.empty());
  return topic;
}

Status ValidateNewTopic(const TopicInfo& topic, const ApiLimits& limits) {
  GAFKA_RETURN_IF_ERROR(ValidateTopicName(topic.name, limits.max_name_length));
  if (topic.partitions < 1 || topic.partitions > limits.max_partitions) {
    return InvalidArgument(
        "partitions must be in [1, " + std::to_string(limits.max_partitions) + "]",
        kBadPartitionDetail);
  }
  if (topic.replication_factor < 1 || topic.replication_factor > limits.max_replication_factor) {
    return InvalidArgument(
        "replication_factor must be in [1, " + std::to_string(limits.max_replication_factor) + "]",
        kBadValueDetail);
  }
  return ValidateTopicConfig(topic.config, limits);
}

std::string EncodeTopicRegistry(const std::map<std::string, TopicInfo>& topics) {
  json list = json::array();
  for (const auto& [name, topic] : topics) {  // std::map: sorted, so the bytes are stable
    CHECK(name == topic.name);
    CHECK_MSG(topic.partition_info.empty(), "the registry stores configuration only");
    list.push_back(TopicToJson(topic));
  }
  json document{{"version", kRegistryVersion}, {"topics", std::move(list)}};
  // Names are validated ASCII; `replace` only guards against a bug throwing.
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<std::map<std::string, TopicInfo>> DecodeTopicRegistry(std::string_view bytes) {
  json document = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return Corruption("topic registry: not a JSON object");
  }
  auto version = document.find("version");
  if (version == document.end() || !version->is_number_integer() ||
      version->get<int64_t>() != kRegistryVersion) {
    return Corruption("topic registry: unknown version");
  }
  auto list = document.find("topics");
  if (list == document.end() || !list->is_array()) {
    return Corruption("topic registry: 'topics' is not an array");
  }
  std::map<std::string, TopicInfo> topics;
  for (const json& entry : *list) {
    GAFKA_ASSIGN_OR_RETURN(TopicInfo topic, TopicFromJson(entry));
    std::string name = topic.name;
    if (!topics.emplace(name, std::move(topic)).second) {
      return Corruption("topic registry: topic '" + name + "' listed twice");
    }
  }
  CHECK(topics.size() == list->size());
  return topics;
}

TopicRegistry::TopicRegistry(Disk& disk, std::string data_dir)
    : disk_(disk), data_dir_(std::move(data_dir)) {}

Status TopicRegistry::Load() {
  CHECK_MSG(topics_.empty(), "Load() runs once, on an empty registry");
  const std::string temp_path = JoinPath(data_dir_, kRegistryTempFileName);
  if (disk_.Exists(temp_path)) {
    // A write that crashed before its rename: the old file is still whole.
    GAFKA_RETURN_IF_ERROR(disk_.Remove(temp_path));
  }
  const std::string path = JoinPath(data_dir_, kRegistryFileName);
  if (!disk_.Exists(path)) return Status::Ok();
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, disk_.Open(path, OpenMode::kOpenExisting));
  std::string bytes;
  GAFKA_RETURN_IF_ERROR(file->Read(0, file->Size(), &bytes));
  CHECK(bytes.size() <= file->Size());
  auto decoded = DecodeTopicRegistry(bytes);
  if (!decoded.ok()) {
    return Corruption(path + ": " + decoded.status().message());
  }
  topics_ = std::move(decoded).value();
  return Status::Ok();
}

const TopicInfo* TopicRegistry::Find(const std::string& name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : &it->second;
}

Status TopicRegistry::Add(const TopicInfo& topic) {
  CHECK_MSG(ValidateTopicName(topic.name).ok(), "callers validate before adding");
  CHECK(topic.partitions >= 1);
  if (topics_.count(topic.name) != 0) {
    return AlreadyExists("topic '" + topic.name + "' already exists");
  }
  std::map<std::string, TopicInfo> next = topics_;
  TopicInfo stored = topic;
  stored.partition_info.clear();
  next.emplace(topic.name, std::move(stored));
  GAFKA_RETURN_IF_ERROR(Persist(next));
  topics_ = std::move(next);
  return Status::Ok();
}

Status TopicRegistry::Remove(const std::string& name) {
  if (topics_.count(name) == 0) return NotFound("topic '" + name + "' does not exist");
  std::map<std::string, TopicInfo> next = topics_;
  next.erase(name);
  GAFKA_RETURN_IF_ERROR(Persist(next));
  topics_ = std::move(next);
  CHECK(topics_.count(name) == 0);
  return Status::Ok();
}

// The registry is replaced atomically (ReplaceFileDurably): the rename makes
// the new version visible, the directory sync makes it survive a power loss.
Status TopicRegistry::Persist(const std::map<std::string, TopicInfo>& next) {
  return ReplaceFileDurably(disk_, data_dir_, kRegistryFileName, EncodeTopicRegistry(next));
}

}  // namespace gafka
