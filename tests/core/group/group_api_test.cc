// GroupApi + group_json: client requests in, GroupResponse JSON out.
#include "core/group/group_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/group/group_json.h"
#include "tests/core/group/group_test_util.h"

namespace gafka::testing {
namespace {

using nlohmann::json;

class GroupApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.topics().AddTopic("t", 2, 100);
    world_.OpenOrDie();
    api_ = std::make_unique<GroupApi>(world_.coordinator());
  }
  void TearDown() override { api_.reset(); }

  // Executes and returns {http status, parsed body}.
  std::pair<int, json> Call(ApiRequest request) {
    EXPECT_TRUE(GroupApi::Handles(request));
    std::optional<GroupResponse> answer;
    api_->Handle(request, [&](GroupResponse r) {
      EXPECT_FALSE(answer.has_value());
      answer = std::move(r);
    });
    world_.clock().RunUntilCondition([&] { return answer.has_value(); }, 100'000);
    if (!answer) return {0, json()};
    json body = json::parse(answer->json, nullptr, false);
    EXPECT_FALSE(body.is_discarded()) << answer->json;
    return {answer->http_status, body};
  }
  GroupWorld world_;
  std::unique_ptr<GroupApi> api_;
};

TEST_F(GroupApiTest, JoinAnswersWithTheMembershipFacts) {
  auto [status, body] = Call(JoinGroupRequest{"g", "c1", "t", 15'000});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["group_id"], "g");
  EXPECT_EQ(body["consumer_id"], "c1");
  EXPECT_EQ(body["generation"], 1);
  EXPECT_EQ(body["state"], "stable");
  EXPECT_EQ(body["joined"], true);
  EXPECT_EQ(body["session_timeout_ms"], 15'000);
  EXPECT_EQ(body["session_expires_in_ms"], 15'000);
  EXPECT_EQ(body["heartbeat_interval_ms"], 3'000);
  EXPECT_EQ(body["topics"], json::array({"t"}));
  EXPECT_EQ(body["assignment"], json::parse(R"([{"topic":"t","partitions":[0,1]}])"));
}

TEST_F(GroupApiTest, HeartbeatOfAStrangerIs404WithHowToJoin) {
  auto [status, body] = Call(HeartbeatRequest{"g", "c1"});
  EXPECT_EQ(status, 404);
  EXPECT_EQ(body["error_code"], 40403);
  EXPECT_NE(body["message"].get<std::string>().find("join"), std::string::npos);
  Call(JoinGroupRequest{"g", "c2", "t", 10'000});
  auto [member_status, member_body] = Call(HeartbeatRequest{"g", "c1"});
  EXPECT_EQ(member_status, 404);
  EXPECT_EQ(member_body["error_code"], 40404);
  world_.Advance(1'000);
  auto [ok_status, ok_body] = Call(HeartbeatRequest{"g", "c2"});
  EXPECT_EQ(ok_status, 200);
  EXPECT_EQ(ok_body["session_expires_in_ms"], 10'000);
  EXPECT_EQ(ok_body["joined"], false);
}

TEST_F(GroupApiTest, CommitFetchAndTheFencingCodes) {
  Call(JoinGroupRequest{"g", "c1", "t", 10'000});
  CommitOffsetsRequest commit{"g", "c1", Generation(1), {{"t", PartitionId(0), Offset(7)}}};
  auto [status, body] = Call(commit);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["offsets"][0]["committed_offset"], 7);
  EXPECT_EQ(body["offsets"][0]["applied"], true);
  EXPECT_EQ(body["generation"], 1);
  EXPECT_TRUE(body.contains("session_expires_in_ms"));

  Call(JoinGroupRequest{"g", "c2", "t", 10'000});
  auto [stale_status, stale] = Call(commit);
  EXPECT_EQ(stale_status, 409);
  EXPECT_EQ(stale["error_code"], 40902);
  EXPECT_EQ(stale["generation"], 2);  // the member's facts ride along
  EXPECT_TRUE(stale.contains("session_expires_in_ms"));

  CommitOffsetsRequest not_owner{"g", "c1", Generation(2), {{"t", PartitionId(1), Offset(3)}}};
  auto [owner_status, owner] = Call(not_owner);
  EXPECT_EQ(owner_status, 409);
  EXPECT_EQ(owner["error_code"], 40901);

  auto [fetch_status, fetched] = Call(FetchOffsetsRequest{"g"});
  EXPECT_EQ(fetch_status, 200);
  ASSERT_EQ(fetched["offsets"].size(), 1u);
  EXPECT_EQ(fetched["offsets"][0]["offset"], 7);
  EXPECT_EQ(fetched["offsets"][0]["partition"], 0);

  CommitOffsetsRequest past_end{"g", "c1", Generation(2), {{"t", PartitionId(0), Offset(101)}}};
  EXPECT_EQ(Call(past_end).second["error_code"], 40013);
}

TEST_F(GroupApiTest, StatusListLeaveAndReset) {
  Call(JoinGroupRequest{"g", "c1", "t", 10'000});
  auto [status, body] = Call(GroupStatusRequest{"g"});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["state"], "stable");
  EXPECT_EQ(body["assignor"], "round-robin");
  ASSERT_EQ(body["members"].size(), 1u);
  EXPECT_EQ(body["members"][0]["consumer_id"], "c1");
  ASSERT_EQ(body["partitions"].size(), 2u);
  EXPECT_TRUE(body["partitions"][0]["committed_offset"].is_null());
  EXPECT_EQ(body["partitions"][0]["log_end_offset"], 100);
  EXPECT_TRUE(body["partitions"][0]["lag"].is_null());
  EXPECT_EQ(body["partitions"][0]["consumer_id"], "c1");

  ResetOffsetsRequest reset;
  reset.group_id = "g";
  reset.topic = "t";
  reset.to = OffsetSpec::kLatest;
  auto [refused_status, refused] = Call(reset);
  EXPECT_EQ(refused_status, 409);
  EXPECT_EQ(refused["error_code"], 40900);

  auto [leave_status, left] = Call(LeaveGroupRequest{"g", "c1"});
  EXPECT_EQ(leave_status, 200);
  EXPECT_EQ(left["left"], true);
  EXPECT_EQ(left["generation"], 2);
  EXPECT_EQ(Call(LeaveGroupRequest{"g", "c1"}).first, 404);

  auto [reset_status, done] = Call(reset);
  EXPECT_EQ(reset_status, 200);
  EXPECT_EQ(done["offsets"],
            json::parse(R"([{"partition":0,"offset":100},{"partition":1,"offset":100}])"));

  auto [after_status, after] = Call(GroupStatusRequest{"g"});
  EXPECT_EQ(after["state"], "empty");
  EXPECT_EQ(after["partitions"][1]["lag"], 0);
  EXPECT_EQ(after["total_lag"], 0);

  auto [list_status, list] = Call(ListGroupsRequest{});
  EXPECT_EQ(list_status, 200);
  EXPECT_EQ(list["groups"],
            json::parse(R"([{"group_id":"g","state":"empty","generation":2,"members":0}])"));
  EXPECT_EQ(Call(GroupStatusRequest{"nobody"}).second["error_code"], 40403);
}

TEST_F(GroupApiTest, PollsAreNotHandledHere) {
  EXPECT_FALSE(GroupApi::Handles(GroupPollRequest{}));
  EXPECT_FALSE(GroupApi::Handles(HealthRequest{}));
}

TEST(GroupJson, ErrorsMapThroughTheSharedTable) {
  GroupResponse in_flight = EncodeGroupError(Conflict("busy", kDetailPollInFlight));
  EXPECT_EQ(in_flight.http_status, 409);
  json body = json::parse(in_flight.json);
  EXPECT_EQ(body["error_code"], 40904);
  EXPECT_EQ(body["message"], "busy");
  EXPECT_EQ(EncodeGroupError(IoError("disk")).http_status, 503);
}

TEST(GroupJson, UserTextIsEscaped) {
  MemberView m;
  m.group_id = "g\"1";
  m.consumer_id = "c\n2";
  json body = json::parse(EncodeMember(m).json, nullptr, false);
  ASSERT_FALSE(body.is_discarded());
  EXPECT_EQ(body["group_id"], "g\"1");
  EXPECT_EQ(body["consumer_id"], "c\n2");
}

TEST(GroupJson, PartitionsOfTopicPicksOneTopic) {
  MemberView m;
  m.assignment = {TP("a", 1), TP("b", 0), TP("b", 2)};
  EXPECT_EQ(PartitionsOfTopic(m, "b"), (std::vector<PartitionId>{PartitionId(0), PartitionId(2)}));
}

}  // namespace
}  // namespace gafka::testing
