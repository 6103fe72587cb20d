// TopicRegistry: the durable list of topics and their configuration, one JSON
// file under the broker's data_dir (layout.h). Owned by TopicManager; used
// only from the core loop.
//
// Invariants
// - topics() is exactly what the file on disk says, as of the last call that
//   returned ok: every change is written to a temporary file, synced, renamed
//   over the old file and the directory synced before memory changes. A
//   change that fails leaves memory as it was (the disk may or may not hold
//   it after a crash; the next successful change rewrites the whole file).
// - a crash at any point leaves either the old or the new file, never a mix.
// - the stored TopicInfo values have empty partition_info.
#pragma once

#include <map>
#include <string>

#include "core/base/status.h"
#include "core/env/env.h"
#include "core/protocol/codec.h"
#include "core/protocol/messages.h"

namespace gafka {

// The topic a create request asks for. Each config key comes from, in order:
// the request's overrides; else request.config where it differs from
// TopicConfig{} (callers that build the struct directly, e.g. the simulator);
// else the broker's `defaults`.
TopicInfo TopicFromRequest(const CreateTopicRequest& request, const TopicConfig& defaults);

// Everything a new topic must satisfy (SPEC §1 and the broker's limits).
Status ValidateNewTopic(const TopicInfo& topic, const ApiLimits& limits);

// The registry file's bytes and back. Decode rejects anything malformed with
// kCorruption naming the problem; it never throws.
std::string EncodeTopicRegistry(const std::map<std::string, TopicInfo>& topics);
Result<std::map<std::string, TopicInfo>> DecodeTopicRegistry(std::string_view bytes);

class TopicRegistry {
 public:
  TopicRegistry(Disk& disk, std::string data_dir);

  // Reads the registry file; no file means no topics. Removes a leftover
  // temporary file of an interrupted write.
  Status Load();

  const std::map<std::string, TopicInfo>& topics() const { return topics_; }
  const TopicInfo* Find(const std::string& name) const;

  // Durably adds a topic; kAlreadyExists if the name is taken.
  Status Add(const TopicInfo& topic);
  // Durably removes a topic; kNotFound if absent.
  Status Remove(const std::string& name);

 private:
  Status Persist(const std::map<std::string, TopicInfo>& next);

  Disk& disk_;
  std::string data_dir_;
  std::map<std::string, TopicInfo> topics_;
};

}  // namespace gafka
