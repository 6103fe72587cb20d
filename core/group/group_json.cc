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

// A member's subscription, assignment and session (MemberView and
// MemberStatus both have them).
template <typename Member>
void WriteMemberSession(JsonWriter& w, const Member& m) {
  w.Key("topics");
  WriteStrings(w, m.topics);
  w.Key("assignment");
  WriteAssignment(w, m.assignment);
  Field(w, "session_timeout_ms", m.session_timeout_ms);
  Field(w, "session_expires_in_ms", m.session_expires_in_ms);
}

// The membership facts, inside an object the caller opened.
void WriteMemberFields(JsonWriter& w, const MemberView& m) {
  Field(w, "group_id", m.group_id);
  Field(w, "consumer_id", m.consumer_id);
  Field(w, "generation", m.generation.value());
  Field(w, "state", GroupStateName(m.state));
  WriteMemberSession(w, m);
  Field(w, "heartbeat_interval_ms", m.heartbeat_interval_ms);
}

// One JSON object as the answer: `fields` writes what goes between the braces.
template <typename Fn>
GroupResponse ObjectAnswer(int http_status, Fn&& fields) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  fields(w);
  w.EndObject();
  CHECK(w.done());
  return Done(http_status, std::move(out));
}

// "key": [{...}, ...]; `fields` writes each item's members.
template <typename Items, typename Fn>
void ObjectArrayField(JsonWriter& w, std::string_view key, const Items& items, Fn&& fields) {
  w.Key(key);
  w.BeginArray();
  for (const auto& item : items) {
    w.BeginObject();
    fields(item);
    w.EndObject();
  }
  w.EndArray();
}

void BoolField(JsonWriter& w, std::string_view key, bool value) {
  w.Key(key);
  w.Bool(value);
}

}  // namespace

GroupResponse EncodeMember(const MemberView& member) {
  return ObjectAnswer(200, [&](JsonWriter& w) {
    WriteMemberFields(w, member);
    BoolField(w, "joined", member.joined);
  });
}

GroupResponse EncodeLeave(const std::string& group_id, const std::string& consumer_id,
                          Generation generation) {
  return ObjectAnswer(200, [&](JsonWriter& w) {
    Field(w, "group_id", group_id);
    Field(w, "consumer_id", consumer_id);
    BoolField(w, "left", true);
    Field(w, "generation", generation.value());
  });
}

GroupResponse EncodeCommit(const CommitOutcome& outcome) {
  return ObjectAnswer(200, [&](JsonWriter& w) {
    if (outcome.member) {
      WriteMemberFields(w, *outcome.member);
    } else {
      Field(w, "group_id", outcome.group_id);
      Field(w, "generation", outcome.generation.value());
    }
    ObjectArrayField(w, "offsets", outcome.entries, [&](const CommitEntryResult& e) {
      Field(w, "topic", e.tp.topic);
      Field(w, "partition", e.tp.partition.value());
      Field(w, "offset", e.requested.value());
      Field(w, "committed_offset", e.committed.value());
      BoolField(w, "applied", e.applied);
    });
  });
}

GroupResponse EncodeOffsets(const GroupOffsets& offsets) {
  return ObjectAnswer(200, [&](JsonWriter& w) {
    Field(w, "group_id", offsets.group_id);
    ObjectArrayField(w, "offsets", offsets.offsets, [&](const auto& entry) {
      const auto& [tp, committed] = entry;
      Field(w, "topic", tp.topic);
      Field(w, "partition", tp.partition.value());
      Field(w, "offset", committed.offset.value());
      Field(w, "metadata", committed.metadata);
      Field(w, "commit_timestamp_ms", committed.commit_timestamp_ms);
    });
  });
}

GroupResponse EncodeReset(const ResetOutcome& outcome) {
  return ObjectAnswer(200, [&](JsonWriter& w) {
    Field(w, "group_id", outcome.group_id);
    Field(w, "topic", outcome.topic);
    Field(w, "generation", outcome.generation.value());
    BoolField(w, "rebalanced", outcome.rebalanced);
    ObjectArrayField(w, "offsets", outcome.offsets, [&](const auto& entry) {
      Field(w, "partition", entry.first.value());
      Field(w, "offset", entry.second.value());
    });
  });
}

GroupResponse EncodeStatus(const GroupStatus& status) {
  return ObjectAnswer(200, [&](JsonWriter& w) {
    Field(w, "group_id", status.group_id);
    Field(w, "state", GroupStateName(status.state));
    Field(w, "generation", status.generation.value());
    Field(w, "assignor", AssignorName(status.assignor));
    ObjectArrayField(w, "members", status.members, [&](const MemberStatus& m) {
      Field(w, "consumer_id", m.consumer_id);
      WriteMemberSession(w, m);
      BoolField(w, "poll_in_flight", m.poll_in_flight);
    });
    ObjectArrayField(w, "partitions", status.partitions, [&](const PartitionStatus& p) {
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
    });
    Field(w, "total_lag", status.total_lag);
  });
}

GroupResponse EncodeGroupList(const std::vector<GroupSummary>& groups) {
  return ObjectAnswer(200, [&](JsonWriter& w) {
    ObjectArrayField(w, "groups", groups, [&](const GroupSummary& g) {
      Field(w, "group_id", g.group_id);
      Field(w, "state", GroupStateName(g.state));
      Field(w, "generation", g.generation.value());
      Field(w, "members", static_cast<int64_t>(g.members));
    });
  });
}

GroupResponse EncodeGroupError(const Status& status, const MemberView* member) {
  const ApiError error = ErrorFromStatus(status);
  return ObjectAnswer(error.http_status, [&](JsonWriter& w) {
    Field(w, "error_code", error.error_code);
    Field(w, "message", error.message);
    if (member != nullptr) WriteMemberFields(w, *member);
  });
}

std::vector<PartitionId> PartitionsOfTopic(const MemberView& member, const std::string& topic) {
  std::vector<PartitionId> out;
  for (const TopicPartition& tp : member.assignment) {
    if (tp.topic == topic) out.push_back(tp.partition);
  }
  return out;
}

}  // namespace gafka
