#include "core/protocol/produce_decoder.h"

#include <gtest/gtest.h>

#include "core/protocol/errors.h"
#include "tests/core/protocol/codec_test_util.h"

namespace gafka {
namespace {

using testing::DecodeAs;
using testing::Post;

HttpRequest Produce(std::string body, std::map<std::string, std::string> query = {}) {
  return Post("/api/v1/produce", std::move(body), std::move(query));
}

TEST(ProduceDecoder, SingleFormFromTheSpec) {
  const auto request =
      DecodeAs<ProduceRequest>(Produce(R"({"topic":"t","key":"user123","value":"Hello World"})"));
  EXPECT_EQ(request.topic, "t");
  EXPECT_FALSE(request.batch_form);
  EXPECT_EQ(request.acks, Acks::kLeader);
  ASSERT_EQ(request.messages.size(), 1u);
  EXPECT_EQ(request.messages[0].key, "user123");
  EXPECT_EQ(request.messages[0].value, "Hello World");
  EXPECT_FALSE(request.messages[0].partition.has_value());
  EXPECT_FALSE(request.messages[0].timestamp_ms.has_value());
  EXPECT_TRUE(request.messages[0].headers.empty());
}

TEST(ProduceDecoder, SingleFormOptionalFields) {
  const auto request = DecodeAs<ProduceRequest>(Produce(
      R"({"topic":"t","value":"v","partition":2,"timestamp":1700000000000,
          "headers":{"b":"2","a":"1"},"acks":"all","unknown":{"x":[1,2]}})"));
  const ProduceMessage& m = request.messages[0];
  EXPECT_FALSE(m.key.has_value());
  EXPECT_EQ(m.partition, PartitionId(2));
  EXPECT_EQ(m.timestamp_ms, 1700000000000);
  // The object form is stored in key order.
  EXPECT_EQ(m.headers, (std::vector<RecordHeader>{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(request.acks, Acks::kAll);
}

TEST(ProduceDecoder, NullKeyIsNoKey) {
  const auto request = DecodeAs<ProduceRequest>(Produce(R"({"topic":"t","key":null,"value":""})"));
  EXPECT_FALSE(request.messages[0].key.has_value());
  EXPECT_EQ(request.messages[0].value, "");
}

TEST(ProduceDecoder, HeaderArrayKeepsOrderAndRepeats) {
  const auto request = DecodeAs<ProduceRequest>(Produce(
      R"({"topic":"t","value":"v","headers":[{"key":"z","value":"1"},{"key":"z","value":"2"}]})"));
  EXPECT_EQ(request.messages[0].headers, (std::vector<RecordHeader>{{"z", "1"}, {"z", "2"}}));
}

TEST(ProduceDecoder, Base64DecodesKeyValueAndHeaderValues) {
  const auto request = DecodeAs<ProduceRequest>(Produce(
      R"({"topic":"t","encoding":"base64","key":"AAE=","value":"/w==","headers":{"h":"aGk="}})"));
  const ProduceMessage& m = request.messages[0];
  EXPECT_EQ(m.key, std::string("\x00\x01", 2));
  EXPECT_EQ(m.value, "\xff");
  EXPECT_EQ(m.headers, (std::vector<RecordHeader>{{"h", "hi"}}));
}

TEST(ProduceDecoder, BatchFormWithDefaultsAndPerMessageOverrides) {
  const auto request = DecodeAs<ProduceRequest>(Produce(
      R"({"topic":"t","acks":0,"partition":1,"encoding":"base64","messages":[
            {"value":"YQ=="},
            {"key":"k","value":"b","partition":0,"encoding":"utf8","timestamp":5}]})"));
  EXPECT_TRUE(request.batch_form);
  EXPECT_EQ(request.acks, Acks::kNone);
  ASSERT_EQ(request.messages.size(), 2u);
  EXPECT_EQ(request.messages[0].value, "a");
  EXPECT_EQ(request.messages[0].partition, PartitionId(1));
  EXPECT_EQ(request.messages[1].key, "k");
  EXPECT_EQ(request.messages[1].value, "b");
  EXPECT_EQ(request.messages[1].partition, PartitionId(0));
  EXPECT_EQ(request.messages[1].timestamp_ms, 5);
}

TEST(ProduceDecoder, AcksFromQueryOrBody) {
  EXPECT_EQ(
      DecodeAs<ProduceRequest>(Produce(R"({"topic":"t","value":"v"})", {{"acks", "all"}})).acks,
      Acks::kAll);
  EXPECT_EQ(
      DecodeAs<ProduceRequest>(Produce(R"({"topic":"t","value":"v"})", {{"acks", "-1"}})).acks,
      Acks::kAll);
  EXPECT_EQ(DecodeAs<ProduceRequest>(Produce(R"({"topic":"t","value":"v","acks":-1})")).acks,
            Acks::kAll);
  EXPECT_EQ(DecodeAs<ProduceRequest>(Produce(R"({"topic":"t","value":"v","acks":"0"})")).acks,
            Acks::kNone);
  EXPECT_EQ(
      DecodeAs<ProduceRequest>(Produce(R"({"topic":"t","value":"v","acks":1})", {{"acks", "1"}}))
          .acks,
      Acks::kLeader);
}

TEST(ProduceDecoder, MalformedOrWrongBodies) {
  EXPECT_API_ERROR(Produce(""), api_errors::kMalformedJson, "empty");
  EXPECT_API_ERROR(Produce("{\"topic\":"), api_errors::kMalformedJson, "not valid JSON");
  EXPECT_API_ERROR(Produce("[1,2]"), api_errors::kWrongType, "must be a JSON object, got array");
  EXPECT_API_ERROR(Produce("\"text\""), api_errors::kWrongType, "got string");
  // Invalid UTF-8 inside a JSON string is malformed JSON.
  EXPECT_API_ERROR(Produce("{\"topic\":\"t\",\"value\":\"\xff\"}"), api_errors::kMalformedJson,
                   "not valid JSON");
}

TEST(ProduceDecoder, MissingAndMistypedFields) {
  EXPECT_API_ERROR(Produce(R"({"value":"v"})"), api_errors::kMissingField, "topic");
  EXPECT_API_ERROR(Produce(R"({"topic":"t"})"), api_errors::kMissingField, "value");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":null})"), api_errors::kMissingField, "value");
  EXPECT_API_ERROR(Produce(R"({"topic":7,"value":"v"})"), api_errors::kWrongType,
                   "topic must be a string, got number");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":{"a":1}})"), api_errors::kWrongType,
                   "value must be a string, got object");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","key":5,"value":"v"})"), api_errors::kWrongType,
                   "key must be a string");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","partition":"1"})"), api_errors::kWrongType,
                   "partition must be an integer");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","partition":1.5})"), api_errors::kWrongType,
                   "partition must be an integer");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","headers":"x"})"), api_errors::kWrongType,
                   "headers must be an object or an array");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","headers":{"a":1}})"),
                   api_errors::kWrongType, "headers.a must be a string");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","headers":[{"key":"a"}]})"),
                   api_errors::kMissingField, "headers[0].value");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","headers":[1]})"), api_errors::kWrongType,
                   "headers[0] must be an object");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","timestamp":"now"})"),
                   api_errors::kWrongType, "timestamp must be an integer");
}

TEST(ProduceDecoder, FieldValuesOutOfRange) {
  EXPECT_API_ERROR(Produce(R"({"topic":"a b","value":"v"})"), api_errors::kBadTopicName, "'a b'");
  EXPECT_API_ERROR(Produce(R"({"topic":"..","value":"v"})"), api_errors::kBadTopicName, "topic");
  EXPECT_API_ERROR(Produce(R"({"topic":"","value":"v"})"), api_errors::kBadTopicName, "topic");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","partition":-1})"),
                   api_errors::kBadPartition, "partition");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","partition":100})"),
                   api_errors::kBadPartition, "partition");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","partition":1e30})"), api_errors::kWrongType,
                   "partition must be an integer");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","partition":18446744073709551615})"),
                   api_errors::kBadPartition, "partition");
  // Beyond uint64: a type error for nlohmann, unparsable for simdjson.
  EXPECT_EQ(
      testing::DecodeError(Produce(R"({"topic":"t","value":"v","partition":99999999999999999999})"))
          .http_status,
      400);
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","timestamp":-5})"), api_errors::kBadValue,
                   "timestamp");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","encoding":"hex"})"), api_errors::kBadValue,
                   "encoding 'hex'");
}

TEST(ProduceDecoder, BadAcks) {
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","acks":2})"), api_errors::kBadAcks,
                   "acks '2'");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","acks":"most"})"), api_errors::kBadAcks,
                   "'most'");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","acks":true})"), api_errors::kBadAcks,
                   "acks");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v"})", {{"acks", "x"}}), api_errors::kBadAcks,
                   "query parameter acks");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","acks":0})", {{"acks", "all"}}),
                   api_errors::kBadAcks, "different values");
}

TEST(ProduceDecoder, BadBase64NamesTheField) {
  EXPECT_API_ERROR(Produce(R"({"topic":"t","encoding":"base64","value":"!!"})"),
                   api_errors::kBadBase64, "value is not valid base64");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","encoding":"base64","key":"a","value":"YQ=="})"),
                   api_errors::kBadBase64, "key is not valid base64");
  EXPECT_API_ERROR(
      Produce(R"({"topic":"t","messages":[{"value":"a"},{"encoding":"base64","value":"Y"}]})"),
      api_errors::kBadBase64, "messages[1].value");
  EXPECT_API_ERROR(
      Produce(
          R"({"topic":"t","encoding":"base64","value":"YQ==","headers":[{"key":"h","value":"%"}]})"),
      api_errors::kBadBase64, "headers[0].value");
}

TEST(ProduceDecoder, BatchErrors) {
  EXPECT_API_ERROR(Produce(R"({"topic":"t","messages":[]})"), api_errors::kBadBatch, "1..10000");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","messages":{}})"), api_errors::kWrongType,
                   "messages must be an array");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","messages":["v"]})"), api_errors::kWrongType,
                   "messages[0] must be an object, got string");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","messages":[{"value":"a"},{"key":"k"}]})"),
                   api_errors::kMissingField, "messages[1].value");
  EXPECT_API_ERROR(Produce(R"({"topic":"t","value":"v","messages":[{"value":"a"}]})"),
                   api_errors::kBadValue, "not both");
  ApiLimits limits;
  limits.max_batch_messages = 2;
  const ApiError error = testing::DecodeError(
      Produce(R"({"topic":"t","messages":[{"value":"a"},{"value":"b"},{"value":"c"}]})"), limits);
  EXPECT_EQ(error.error_code, api_errors::kBadBatch);
  EXPECT_NE(error.message.find("3 entries"), std::string::npos);
}

TEST(ProduceDecoder, ValueOverTheLimitIs413) {
  ApiLimits limits;
  limits.max_message_bytes = 4;
  EXPECT_EQ(DecodeAs<ProduceRequest>(Produce(R"({"topic":"t","value":"abcd"})"), limits)
                .messages[0]
                .value,
            "abcd");
  ApiError error = testing::DecodeError(Produce(R"({"topic":"t","value":"abcde"})"), limits);
  EXPECT_EQ(error.http_status, 413);
  EXPECT_EQ(error.error_code, api_errors::kMessageTooLarge);
  EXPECT_NE(error.message.find("value is 5 bytes; the limit is 4"), std::string::npos);
  // Measured after base64 decoding: 8 characters carry 5 bytes.
  error = testing::DecodeError(
      Produce(R"({"topic":"t","messages":[{"encoding":"base64","value":"YWJjZGU="}]})"), limits);
  EXPECT_EQ(error.error_code, api_errors::kMessageTooLarge);
  EXPECT_NE(error.message.find("messages[0].value"), std::string::npos);
  error = testing::DecodeError(
      Produce(R"({"topic":"t","key":"abc","value":"a","headers":{"h":"x"}})"), limits);
  EXPECT_EQ(error.error_code, api_errors::kMessageTooLarge);
}

TEST(ProduceDecoder, BodyOverTheCapIs413) {
  ApiLimits limits;
  limits.max_request_bytes = 16;
  const ApiError error =
      testing::DecodeError(Produce(R"({"topic":"t","value":"0123456789"})"), limits);
  EXPECT_EQ(error.http_status, 413);
  EXPECT_EQ(error.error_code, api_errors::kRequestTooLarge);
}

TEST(ProduceDecoder, ErrorsInsideMessagesAreFirstErrorWins) {
  // Two bad messages: the first one is reported.
  EXPECT_API_ERROR(Produce(R"({"topic":"t","messages":[{"value":1},{"value":2}]})"),
                   api_errors::kWrongType, "messages[0].value");
}

}  // namespace
}  // namespace gafka
