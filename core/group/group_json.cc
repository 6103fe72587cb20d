#include "core/group/group_json.h"

#include <utility>

#include "core/base/check.h"
#include "core/protocol/codec.h"
#include "core/protocol/json_writer.h"

namespace gafka {
namespace {

GroupResponse Done(int http_status, std::string json) {
  GroupResponse response;
  response.http_status = http_status;
  response.json = std::move(json);
  return response;
}

void Field(JsonWriter& w, std::string_view key, std::string_view value) {
  w.Key(key);
  w.String(value);
}

void Field(JsonWriter& w, std::string_view key, int64_t value) {
  w.Key(key);
  w.Int(value);
}

template <typename T>
void OptionalField(JsonWriter& w, std::string_view key, const std::optional<T>& value) {
  w.Key(key);
  if (value) {
    w.Int(static_cast<int64_t>(*value));
  } else {
    w.Null();
  }
}

// [{"topic":"t","partitions":[0,1]}]
void WriteAssignment(JsonWriter& w, const std::vector<TopicPartition>& assignment) {
  w.BeginArray();
  for (const TopicAssignment& ta : GroupByTopic(assignment)) {
    w.BeginObject();
    Field(w, "topic", ta.topic);
    w.Key("partitions");
    w.BeginArray();
    for (PartitionId p : ta.partitions) w.Int(p.value());
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

void WriteStrings(JsonWriter& w, const std::vector<std::string>& items) {
  w.BeginArray();
  for (const std::string& s : items) w.String(s);
  w.EndArray();
}

// The membership facts, inside an object the caller opened.
void WriteMemberFields(JsonWriter& w, const MemberView& m) {
  Field(w, "group_id", m.group_id);
  Field(w, "consumer_id", m.consumer_id);
  Field(w, "generation", m.generation.value());
  Field(w, "state", GroupStateName(m.state));
  w.Key("topics");
  WriteStrings(w, m.topics);
  w.Key("assignment");
  WriteAssignment(w, m.assignment);
  Field(w, "session_timeout_ms", m.session_timeout_ms);
  Field(w, "session_expires_in_ms", m.session_expires_in_ms);
  Field(w, "heartbeat_interval_ms", m.heartbeat_interval_ms);
}

}  // namespace

GroupResponse EncodeMember(const MemberView& member) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  WriteMemberFields(w, member);
  w.Key("joined");
  w.Bool(member.joined);
  w.EndObject();
  CHECK(w.done());
  return Done(200, std::move(out));
}

GroupResponse EncodeLeave(const std::string& group_id, const std::string& consumer_id,
                          Generation generation) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  Field(w, "group_id", group_id);
  Field(w, "consumer_id", consumer_id);
  w.Key("left");
  w.Bool(true);
  Field(w, "generation", generation.value());
  w.EndObject();
  CHECK(w.done());
  return Done(200, std::move(out));
}

GroupResponse EncodeCommit(const CommitOutcome& outcome) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  if (outcome.member) {
    WriteMemberFields(w, *outcome.member);
  } else {
    Field(w, "group_id", outcome.group_id);
    Field(w, "generation", outcome.generation.value());
  }
  w.Key("offsets");
  w.BeginArray();
  for (const CommitEntryResult& e : outcome.entries) {
    w.BeginObject();
    Field(w, "topic", e.tp.topic);
    Field(w, "partition", e.tp.partition.value());
    Field(w, "offset", e.requested.value());
    Field(w, "committed_offset", e.committed.value());
    w.Key("applied");
    w.Bool(e.applied);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  CHECK(w.done());
  return Done(200, std::move(out));
}

GroupResponse EncodeOffsets(const GroupOffsets& offsets) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  Field(w, "group_id", offsets.group_id);
  w.Key("offsets");
  w.BeginArray();
  for (const auto& [tp, committed] : offsets.offsets) {
    w.BeginObject();
    Field(w, "topic", tp.topic);
    Field(w, "partition", tp.partition.value());
    Field(w, "offset", committed.offset.value());
    Field(w, "metadata", committed.metadata);
    Field(w, "commit_timestamp_ms", committed.commit_timestamp_ms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  CHECK(w.done());
  return Done(200, std::move(out));
}

GroupResponse EncodeReset(const ResetOutcome& outcome) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  Field(w, "group_id", outcome.group_id);
  Field(w, "topic", outcome.topic);
  Field(w, "generation", outcome.generation.value());
  w.Key("rebalanced");
  w.Bool(outcome.rebalanced);
  w.Key("offsets");
  w.BeginArray();
  for (const auto& [partition, offset] : outcome.offsets) {
    w.BeginObject();
    Field(w, "partition", partition.value());
    Field(w, "offset", offset.value());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  CHECK(w.done());
  return Done(200, std::move(out));
}

GroupResponse EncodeStatus(const GroupStatus& status) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  Field(w, "group_id", status.group_id);
  Field(w, "state", GroupStateName(status.state));
  Field(w, "generation", status.generation.value());
  Field(w, "assignor", AssignorName(status.assignor));
  w.Key("members");
  w.BeginArray();
  for (const MemberStatus& m : status.members) {
    w.BeginObject();
    Field(w, "consumer_id", m.consumer_id);
    w.Key("topics");
    WriteStrings(w, m.topics);
    w.Key("assignment");
    WriteAssignment(w, m.assignment);
    Field(w, "session_timeout_ms", m.session_timeout_ms);
    Field(w, "session_expires_in_ms", m.session_expires_in_ms);
    w.Key("poll_in_flight");
    w.Bool(m.poll_in_flight);
    w.EndObject();
  }
  w.EndArray();
  w.Key("partitions");
  w.BeginArray();
  for (const PartitionStatus& p : status.partitions) {
    w.BeginObject();
    Field(w, "topic", p.tp.topic);
    Field(w, "partition", p.tp.partition.value());
    OptionalField(w, "committed_offset",
                  p.committed ? std::optional(p.committed->value()) : std::nullopt);
    OptionalField(w, "log_end_offset",
                  p.log_end ? std::optional(p.log_end->value()) : std::nullopt);
    OptionalField(w, "lag", p.lag);
    OptionalField(w, "position", p.position ? std::optional(p.position->value()) : std::nullopt);
    w.Key("consumer_id");
    if (p.owner.empty()) {
      w.Null();
    } else {
      w.String(p.owner);
    }
    w.EndObject();
  }
  w.EndArray();
  Field(w, "total_lag", status.total_lag);
  w.EndObject();
  CHECK(w.done());
  return Done(200, std::move(out));
}

GroupResponse EncodeGroupList(const std::vector<GroupSummary>& groups) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("groups");
  w.BeginArray();
  for (const GroupSummary& g : groups) {
    w.BeginObject();
    Field(w, "group_id", g.group_id);
    Field(w, "state", GroupStateName(g.state));
    Field(w, "generation", g.generation.value());
    Field(w, "members", static_cast<int64_t>(g.members));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  CHECK(w.done());
  return Done(200, std::move(out));
}

GroupResponse EncodeGroupError(const Status& status, const MemberView* member) {
  const ApiError error = ErrorFromStatus(status);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  Field(w, "error_code", error.error_code);
  Field(w, "message", error.message);
  if (member != nullptr) WriteMemberFields(w, *member);
  w.EndObject();
  CHECK(w.done());
  return Done(error.http_status, std::move(out));
}

std::vector<PartitionId> PartitionsOfTopic(const MemberView& member, const std::string& topic) {
  std::vector<PartitionId> out;
  for (const TopicPartition& tp : member.assignment) {
    if (tp.topic == topic) out.push_back(tp.partition);
  }
  return out;
}

}  // namespace gafka
