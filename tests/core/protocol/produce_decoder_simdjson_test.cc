// Differential test: the simdjson produce decoder must agree with the
// nlohmann one on every input — same request, or same error code and message.
// Built only when the build links simdjson (GAFKA_WITH_SIMDJSON).
#ifdef GAFKA_WITH_SIMDJSON

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include "core/protocol/produce_decoder.h"

namespace gafka {
namespace {

using nlohmann::json;

const std::vector<std::string> kNames = {"topic",     "key",     "value",     "messages",
                                         "partition", "headers", "timestamp", "encoding",
                                         "acks",      "x"};

using Members = std::vector<std::pair<std::string, json>>;

// Members as pairs: a map generator gives up when names run out. Nested
// containers are kept to ~8 entries so depth 3 stays small.
rc::Gen<Members> GenMembers(rc::Gen<json> values) {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(0, 8), [values](size_t n) {
    return rc::gen::container<Members>(n, rc::gen::pair(rc::gen::elementOf(kNames), values));
  });
}

json ToObject(const Members& members) {
  json object = json::object();
  for (const auto& [name, value] : members) object[name] = value;
  return object;
}

rc::Gen<json> GenValue(int depth) {
  auto scalar = rc::gen::oneOf(
      rc::gen::just(json(nullptr)),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return json(b); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t v) { return json(v); }),
      rc::gen::map(rc::gen::arbitrary<uint64_t>(), [](uint64_t v) { return json(v); }),
      rc::gen::map(rc::gen::inRange<int64_t>(-2, 101), [](int64_t v) { return json(v); }),
      rc::gen::just(json(1.5)),
      rc::gen::map(rc::gen::arbitrary<std::string>(),
                   [](std::string s) {
                     return json(json(s).dump(-1, ' ', false, json::error_handler_t::replace));
                   }),
      rc::gen::map(rc::gen::elementOf(std::vector<std::string>{
                       "t", "", "base64", "utf8", "all", "0", "-1", "YQ==", "a b", "Zm9v", "!"}),
                   [](std::string s) { return json(s); }));
  if (depth <= 0) return scalar;
  auto object = rc::gen::map(GenMembers(GenValue(depth - 1)),
                             [](const Members& members) { return ToObject(members); });
  auto array = rc::gen::map(rc::gen::mapcat(rc::gen::inRange<size_t>(0, 8),
                                            [depth](size_t n) {
                                              return rc::gen::container<std::vector<json>>(
                                                  n, GenValue(depth - 1));
                                            }),
                            [](std::vector<json> v) { return json(v); });
  return rc::gen::oneOf(scalar, scalar, object, array);
}

void ExpectSame(const ProduceRequest& a, const ProduceRequest& b) {
  RC_ASSERT(a.topic == b.topic);
  RC_ASSERT(a.acks == b.acks);
  RC_ASSERT(a.batch_form == b.batch_form);
  RC_ASSERT(a.messages.size() == b.messages.size());
  for (size_t i = 0; i < a.messages.size(); ++i) {
    RC_ASSERT(a.messages[i].key == b.messages[i].key);
    RC_ASSERT(a.messages[i].value == b.messages[i].value);
    RC_ASSERT(a.messages[i].headers == b.messages[i].headers);
    RC_ASSERT(a.messages[i].partition == b.messages[i].partition);
    RC_ASSERT(a.messages[i].timestamp_ms == b.messages[i].timestamp_ms);
  }
}

void ExpectAgree(const HttpRequest& http) {
  ApiLimits limits;
  limits.max_message_bytes = 64;
  const auto slow = DecodeProduceNlohmann(http, limits);
  const auto fast = DecodeProduceSimdjson(http, limits);
  RC_ASSERT(slow.index() == fast.index());
  if (const auto* error = std::get_if<ApiError>(&slow)) {
    RC_ASSERT(error->error_code == std::get<ApiError>(fast).error_code);
    RC_ASSERT(error->message == std::get<ApiError>(fast).message);
  } else {
    ExpectSame(std::get<ProduceRequest>(std::get<ApiRequest>(slow)),
               std::get<ProduceRequest>(std::get<ApiRequest>(fast)));
  }
}

RC_GTEST_PROP(ProduceDecoderSimdjson, AgreesWithNlohmannOnStructuredBodies, ()) {
  json body = *rc::gen::map(GenMembers(GenValue(3)),
                            [](const Members& members) { return ToObject(members); });
  if (*rc::gen::arbitrary<bool>()) body["topic"] = "t";
  HttpRequest http;
  http.body = body.dump();
  if (*rc::gen::arbitrary<bool>())
    http.query["acks"] = *rc::gen::elementOf(std::vector<std::string>{"0", "1", "all", "x"});
  ExpectAgree(http);
}

RC_GTEST_PROP(ProduceDecoderSimdjson, AgreesWithNlohmannOnArbitraryBytes,
              (const std::string& body)) {
  HttpRequest http;
  http.body = body;
  ExpectAgree(http);
}

TEST(ProduceDecoderSimdjson, AgreesOnValidBatches) {
  HttpRequest http;
  http.body = R"({"topic":"t","acks":"all","encoding":"base64","partition":3,"messages":[
      {"key":"AAE=","value":"/w==","headers":{"b":"YQ==","a":"Yg=="}},
      {"value":"aGk=","encoding":"utf8","timestamp":17,"headers":[{"key":"z","value":"1"}]}]})";
  const auto fast = DecodeProduceSimdjson(http, ApiLimits{});
  ASSERT_TRUE(std::holds_alternative<ApiRequest>(fast));
  const auto& request = std::get<ProduceRequest>(std::get<ApiRequest>(fast));
  EXPECT_EQ(request.messages[0].headers, (std::vector<RecordHeader>{{"a", "b"}, {"b", "a"}}));
  EXPECT_EQ(request.messages[1].value, "aGk=");
  rc::check([&] { ExpectAgree(http); });
}

// Inputs where the parsers' models differ: the simdjson decoder must still
// answer exactly as the nlohmann one (by reading the same way, or by letting
// it answer).
TEST(ProduceDecoderSimdjson, AgreesWhereTheParsersDiffer) {
  const std::vector<std::string> bodies = {
      // A repeated member name means its last occurrence.
      R"({"topic":"t","value":"first","value":"last"})",
      R"({"topic":"t","value":"v","value":null})",
      R"({"topic":"t","messages":[{"value":"a","value":"b","key":1,"key":"k"}]})",
      R"({"topic":1,"topic":"t","value":"v","acks":"x","acks":0})",
      // Header objects: one member per name (the last), checked in name order.
      R"({"topic":"t","value":"v","headers":{"b":"1","a":"2","b":"3"}})",
      R"({"topic":"t","value":"v","headers":{"b":1,"a":2}})",
      R"({"topic":"t","value":"v","headers":{"b":1,"b":"ok"}})",
      R"({"topic":"t","value":"v","encoding":"base64","headers":{"z":"!","y":"!!"}})",
      // "-0" is an integer to nlohmann and a double to simdjson.
      R"({"topic":"t","value":"v","partition":-0})",
      R"({"topic":"t","value":"v","acks":-0})",
      R"({"topic":"t","value":"v","timestamp":-0.0})",
      R"({"topic":"t","value":"v","partition":1.0})",
      // Integers simdjson refuses and nlohmann reads as doubles.
      R"({"topic":"t","value":"v","partition":18446744073709551616})",
      R"({"topic":"t","value":"v","timestamp":-9223372036854775809})",
      R"({"topic":"t","value":"v","x":123456789012345678901234567890})",
      // Escapes, a byte-order mark, bad UTF-8, trailing bytes.
      R"({"topic":"t","value":"\ud800"})",
      R"({"topic":"t","value":"\ud83d\ude00 \u0000"})",
      "\xEF\xBB\xBF{\"topic\":\"t\",\"value\":\"v\"}",
      "{\"topic\":\"t\",\"value\":\"\xff\"}",
      R"({"topic":"t","value":"v"} x)",
  };
  for (const std::string& body : bodies) {
    HttpRequest http;
    http.body = body;
    SCOPED_TRACE(body);
    rc::check([&] { ExpectAgree(http); });
  }
  // Nesting deeper than simdjson's limit in an ignored member.
  HttpRequest deep;
  deep.body = R"({"topic":"t","value":"v","x":)" + std::string(5000, '[') +
              std::string(5000, ']') + "}";
  rc::check([&] { ExpectAgree(deep); });
  ASSERT_TRUE(std::holds_alternative<ApiRequest>(DecodeProduceSimdjson(deep, ApiLimits{})));

  HttpRequest last;
  last.body = R"({"topic":"t","value":"first","value":"last","headers":{"b":"1","a":"2","b":"3"}})";
  const auto fast = DecodeProduceSimdjson(last, ApiLimits{});
  ASSERT_TRUE(std::holds_alternative<ApiRequest>(fast));
  const auto& request = std::get<ProduceRequest>(std::get<ApiRequest>(fast));
  EXPECT_EQ(request.messages[0].value, "last");
  EXPECT_EQ(request.messages[0].headers, (std::vector<RecordHeader>{{"a", "2"}, {"b", "3"}}));
}

}  // namespace
}  // namespace gafka

#endif  // GAFKA_WITH_SIMDJSON
