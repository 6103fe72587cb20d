#include "core/protocol/admin_decoder.h"

#include <gtest/gtest.h>

#include "core/protocol/errors.h"
#include "tests/core/protocol/codec_test_util.h"

namespace gafka {
namespace {

using testing::DecodeAs;
using testing::Get;
using testing::Post;
using testing::Request;

HttpRequest CreateTopic(std::string body) { return Post("/api/v1/topics", std::move(body)); }

TEST(TopicDecoder, CreateWithDefaults) {
  const auto request = DecodeAs<CreateTopicRequest>(CreateTopic(R"({"name":"orders"})"));
  EXPECT_EQ(request.name, "orders");
  EXPECT_EQ(request.partitions, 1);
  EXPECT_EQ(request.replication_factor, 1);
  EXPECT_FALSE(request.overrides.retention_ms.has_value());
  EXPECT_EQ(request.config.retention_ms, TopicConfig{}.retention_ms);
}

TEST(TopicDecoder, CreateWithDottedAndSnakeConfigs) {
  const auto request = DecodeAs<CreateTopicRequest>(CreateTopic(
      R"({"name":"orders","partitions":2,"replication_factor":2,
          "configs":{"retention.ms":"60000","retention_bytes":-1,"segment.bytes":1048576,
                     "max_message_bytes":"1000"}})"));
  EXPECT_EQ(request.partitions, 2);
  EXPECT_EQ(request.replication_factor, 2);
  EXPECT_EQ(request.overrides.retention_ms, 60000);
  EXPECT_EQ(request.overrides.retention_bytes, -1);
  EXPECT_EQ(request.overrides.segment_bytes, 1048576);
  EXPECT_EQ(request.overrides.max_message_bytes, 1000);
  EXPECT_EQ(request.config.retention_ms, 60000);
  EXPECT_EQ(request.config.max_message_bytes, 1000);
  TopicConfig base;
  base.retention_ms = 1;
  base.segment_bytes = 7;
  const TopicConfig applied =
      TopicConfigOverrides{std::nullopt, 5, std::nullopt, std::nullopt}.ApplyTo(base);
  EXPECT_EQ(applied.retention_ms, 1);
  EXPECT_EQ(applied.retention_bytes, 5);
  EXPECT_EQ(applied.segment_bytes, 7);
}

TEST(TopicDecoder, CreateErrors) {
  EXPECT_API_ERROR(CreateTopic(""), api_errors::kMalformedJson, "empty");
  EXPECT_API_ERROR(CreateTopic("{"), api_errors::kMalformedJson, "JSON");
  EXPECT_API_ERROR(CreateTopic(R"({"partitions":1})"), api_errors::kMissingField, "name");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"."})"), api_errors::kBadTopicName, "name '.'");
  EXPECT_API_ERROR(CreateTopic(R"({"name":")" + std::string(256, 'a') + R"("})"),
                   api_errors::kBadTopicName, "1-255");
  DecodeAs<CreateTopicRequest>(CreateTopic(R"({"name":")" + std::string(255, 'a') + R"("})"));
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","partitions":0})"), api_errors::kBadPartition,
                   "partitions must be 1..max_partitions");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","partitions":101})"), api_errors::kBadPartition,
                   "partitions");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","partitions":"2"})"), api_errors::kWrongType,
                   "partitions must be an integer");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","replication_factor":0})"), api_errors::kBadValue,
                   "replication_factor");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","configs":[]})"), api_errors::kWrongType,
                   "configs must be an object");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","configs":{"cleanup.policy":"compact"}})"),
                   api_errors::kBadValue, "cleanup.policy");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","configs":{"retention.ms":-2}})"),
                   api_errors::kBadValue, "configs.retention.ms");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","configs":{"segment.bytes":"1k"}})"),
                   api_errors::kBadValue, "configs.segment.bytes");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","configs":{"max.message.bytes":2000000}})"),
                   api_errors::kBadValue, "max.message.bytes");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","configs":{"retention.ms":true}})"),
                   api_errors::kWrongType, "configs.retention.ms");
  EXPECT_API_ERROR(CreateTopic(R"({"name":"t","configs":{"retention.ms":1,"retention_ms":2}})"),
                   api_errors::kBadValue, "twice");
}

TEST(TopicDecoder, PathTopicAndPartitionAreValidated) {
  EXPECT_API_ERROR(Get("/api/v1/topics/bad%20name"), api_errors::kBadTopicName, "topic");
  EXPECT_API_ERROR(Request("DELETE", "/api/v1/topics/.."), api_errors::kBadTopicName, "topic");
  EXPECT_API_ERROR(Get("/api/v1/topics/t/partitions/-1/offsets"), api_errors::kBadPartition,
                   "partition '-1'");
  EXPECT_API_ERROR(Get("/api/v1/topics/t/partitions/x/offsets"), api_errors::kBadPartition,
                   "partition 'x'");
}

TEST(GroupDecoder, JoinBodyIsOptional) {
  auto join = DecodeAs<JoinGroupRequest>(Post("/api/v1/consumer-groups/g/members/c/join", " \n"));
  EXPECT_EQ(join.topic, "");
  EXPECT_EQ(join.session_timeout_ms, std::nullopt);  // the broker's default
  join = DecodeAs<JoinGroupRequest>(Post("/api/v1/consumer-groups/g/members/c/join",
                                         R"({"topic":"orders","session_timeout_ms":20000})"));
  EXPECT_EQ(join.topic, "orders");
  EXPECT_EQ(join.session_timeout_ms, std::optional<Millis>(20000));
}

TEST(GroupDecoder, JoinErrors) {
  const std::string path = "/api/v1/consumer-groups/g/members/c/join";
  EXPECT_API_ERROR(Post(path, "nope"), api_errors::kMalformedJson, "JSON");
  EXPECT_API_ERROR(Post(path, R"({"topic":"a*"})"), api_errors::kBadTopicName, "topic");
  EXPECT_API_ERROR(Post(path, R"({"session_timeout_ms":10})"), api_errors::kBadValue,
                   "session_timeout_ms must be 1000..300000");
  EXPECT_API_ERROR(Post("/api/v1/consumer-groups/" + std::string(129, 'g') + "/members/c/join", ""),
                   api_errors::kBadId, "group_id");
  EXPECT_API_ERROR(
      Post("/api/v1/consumer-groups/g/members/" + std::string(129, 'c') + "/heartbeat", ""),
      api_errors::kBadId, "consumer_id");
}

TEST(GroupDecoder, CommitOffsets) {
  const auto commit = DecodeAs<CommitOffsetsRequest>(Post(
      "/api/v1/consumer-groups/g/offsets",
      R"({"consumer_id":"c1","generation":3,"offsets":[{"topic":"t","partition":1,"offset":42}]})"));
  EXPECT_EQ(commit.group_id, "g");
  EXPECT_EQ(commit.consumer_id, "c1");
  EXPECT_EQ(commit.generation, Generation(3));
  ASSERT_EQ(commit.offsets.size(), 1u);
  EXPECT_EQ(commit.offsets[0].topic, "t");
  EXPECT_EQ(commit.offsets[0].partition, PartitionId(1));
  EXPECT_EQ(commit.offsets[0].offset, Offset(42));
  const auto standalone = DecodeAs<CommitOffsetsRequest>(
      Post("/api/v1/consumer-groups/g/offsets",
           R"({"generation":-1,"offsets":[{"topic":"t","partition":0,"offset":0}]})"));
  EXPECT_EQ(standalone.consumer_id, "");
  EXPECT_FALSE(standalone.generation.has_value());
}

TEST(GroupDecoder, CommitErrors) {
  const std::string path = "/api/v1/consumer-groups/g/offsets";
  EXPECT_API_ERROR(Post(path, "{}"), api_errors::kMissingField, "offsets");
  EXPECT_API_ERROR(Post(path, R"({"offsets":{}})"), api_errors::kWrongType,
                   "offsets must be an array");
  EXPECT_API_ERROR(Post(path, R"({"offsets":[]})"), api_errors::kBadBatch, "0 entries");
  EXPECT_API_ERROR(Post(path, R"({"offsets":[7]})"), api_errors::kWrongType,
                   "offsets[0] must be an object");
  EXPECT_API_ERROR(Post(path, R"({"offsets":[{"partition":0,"offset":1}]})"),
                   api_errors::kMissingField, "offsets[0].topic");
  EXPECT_API_ERROR(Post(path, R"({"offsets":[{"topic":"t","partition":0,"offset":-1}]})"),
                   api_errors::kBadOffset, "offsets[0].offset");
  EXPECT_API_ERROR(Post(path, R"({"offsets":[{"topic":"t","partition":0,"offset":1e20}]})"),
                   api_errors::kWrongType, "offsets[0].offset must be an integer");
  EXPECT_API_ERROR(
      Post(path, R"({"offsets":[{"topic":"t","partition":0,"offset":18446744073709551615}]})"),
      api_errors::kBadOffset, "offsets[0].offset");
  EXPECT_API_ERROR(
      Post(path, R"({"offsets":[{"topic":"t","partition":0,"offset":9007199254740992}]})"),
      api_errors::kBadOffset, "offsets[0].offset");
  EXPECT_API_ERROR(Post(path, R"({"offsets":[{"topic":"t","partition":-3,"offset":1}]})"),
                   api_errors::kBadPartition, "offsets[0].partition");
  EXPECT_API_ERROR(Post(path, R"({"offsets":[{"topic":"t t","partition":0,"offset":1}]})"),
                   api_errors::kBadTopicName, "offsets[0].topic");
  EXPECT_API_ERROR(
      Post(path, R"({"consumer_id":"","offsets":[{"topic":"t","partition":0,"offset":1}]})"),
      api_errors::kBadId, "consumer_id");
  EXPECT_API_ERROR(
      Post(path, R"({"generation":"1","offsets":[{"topic":"t","partition":0,"offset":1}]})"),
      api_errors::kWrongType, "generation");
  EXPECT_API_ERROR(
      Post(path, R"({"generation":-2,"offsets":[{"topic":"t","partition":0,"offset":1}]})"),
      api_errors::kBadValue, "generation");
}

TEST(GroupDecoder, ResetOffsets) {
  const std::string path = "/api/v1/consumer-groups/g/reset-offsets";
  auto reset =
      DecodeAs<ResetOffsetsRequest>(Post(path, R"({"topic":"t","to":"latest","force":true})"));
  EXPECT_EQ(reset.group_id, "g");
  EXPECT_EQ(reset.to, OffsetSpec::kLatest);
  EXPECT_TRUE(reset.force);
  reset = DecodeAs<ResetOffsetsRequest>(Post(path, R"({"topic":"t","to":"offset","offset":7})"));
  EXPECT_EQ(reset.to, OffsetSpec::kExplicit);
  EXPECT_EQ(reset.offset, Offset(7));
  EXPECT_FALSE(reset.timestamp_ms.has_value());
  EXPECT_FALSE(reset.force);
  reset = DecodeAs<ResetOffsetsRequest>(
      Post(path, R"({"topic":"t","to":"timestamp","timestamp":1234})"));
  EXPECT_EQ(reset.to, OffsetSpec::kExplicit);
  EXPECT_EQ(reset.timestamp_ms, 1234);
  EXPECT_FALSE(reset.offset.has_value());
}

TEST(GroupDecoder, ResetErrors) {
  const std::string path = "/api/v1/consumer-groups/g/reset-offsets";
  EXPECT_API_ERROR(Post(path, R"({"to":"latest"})"), api_errors::kMissingField, "topic");
  EXPECT_API_ERROR(Post(path, R"({"topic":"t"})"), api_errors::kMissingField, "to");
  EXPECT_API_ERROR(Post(path, R"({"topic":"t","to":"middle"})"), api_errors::kBadValue, "'middle'");
  EXPECT_API_ERROR(Post(path, R"({"topic":"t","to":"offset"})"), api_errors::kMissingField,
                   "offset");
  EXPECT_API_ERROR(Post(path, R"({"topic":"t","to":"offset","offset":-4})"), api_errors::kBadOffset,
                   "offset");
  EXPECT_API_ERROR(Post(path, R"({"topic":"t","to":"timestamp"})"), api_errors::kMissingField,
                   "timestamp");
  EXPECT_API_ERROR(Post(path, R"({"topic":"t","to":"latest","force":"yes"})"),
                   api_errors::kWrongType, "force must be a boolean");
}

}  // namespace
}  // namespace gafka
