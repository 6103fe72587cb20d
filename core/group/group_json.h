// JSON bodies of consumer-group answers (GroupResponse: an http status and
// pre-built JSON). Pure functions of the coordinator's result structs, so
// the broker, the simulator and tests encode the same bytes. Shapes:
// core/group/README.md, "Responses".
//
// Every answer addressed to a member carries its membership facts:
// generation, assignment, session_timeout_ms, session_expires_in_ms and
// heartbeat_interval_ms — errors too, when the member is known.
#pragma once

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/group/group_coordinator.h"
#include "core/protocol/messages.h"

namespace gafka {

// Join (200; "joined" says whether this call added the member) and heartbeat.
GroupResponse EncodeMember(const MemberView& member);
GroupResponse EncodeLeave(const std::string& group_id, const std::string& consumer_id,
                          Generation generation);
GroupResponse EncodeCommit(const CommitOutcome& outcome);
GroupResponse EncodeOffsets(const GroupOffsets& offsets);
GroupResponse EncodeReset(const ResetOutcome& outcome);
GroupResponse EncodeStatus(const GroupStatus& status);
GroupResponse EncodeGroupList(const std::vector<GroupSummary>& groups);
// The error envelope {"error_code", "message"} with the status's http code
// (ErrorFromStatus), plus the member's facts when `member` is given.
GroupResponse EncodeGroupError(const Status& status, const MemberView* member = nullptr);

// The member's partitions of one topic, for a group poll's FetchResponse.
std::vector<PartitionId> PartitionsOfTopic(const MemberView& member, const std::string& topic);

}  // namespace gafka
