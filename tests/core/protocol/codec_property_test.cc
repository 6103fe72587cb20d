// Properties over arbitrary input: DecodeRequest never throws or crashes and
// always answers with a request or a well-formed error; what a client sends
// comes out of the decoder, and what the broker serves comes out of the
// encoder, byte for byte.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include "core/protocol/base64.h"
#include "core/protocol/codec.h"

namespace gafka {
namespace {

using nlohmann::json;

const std::vector<std::string> kPaths = {"/api/v1/produce",
                                         "/api/v1/consume",
                                         "/api/v1/topics",
                                         "/api/v1/topics/t",
                                         "/api/v1/topics/t/partitions/0/offsets",
                                         "/api/v1/topics/x/partitions/-1/offsets",
                                         "/healthz",
                                         "/api/v1/status",
                                         "/metrics",
                                         "/api/v1/consumer-groups",
                                         "/api/v1/consumer-groups/g/members/c/join",
                                         "/api/v1/consumer-groups/g/members/c/leave",
                                         "/api/v1/consumer-groups/g/members/c",
                                         "/api/v1/consumer-groups/g/members/c/heartbeat",
                                         "/api/v1/consumer-groups/g/offsets",
                                         "/api/v1/consumer-groups/g/status",
                                         "/api/v1/consumer-groups/g/reset-offsets",
                                         "/",
                                         "",
                                         "/api/v1/",
                                         "//"};
const std::vector<std::string> kFieldNames = {
    "topic",       "key",          "value",         "messages",
    "partition",   "headers",      "timestamp",     "encoding",
    "acks",        "name",         "partitions",    "replication_factor",
    "configs",     "retention.ms", "segment_bytes", "session_timeout_ms",
    "consumer_id", "generation",   "offsets",       "offset",
    "to",          "force"};
const std::vector<std::string> kQueryNames = {
    "topic",       "partition",         "offset",      "count", "timeout", "max_bytes", "group_id",
    "consumer_id", "auto_offset_reset", "auto_commit", "acks"};

using Members = std::vector<std::pair<std::string, json>>;

// Members as pairs: a map generator gives up when names run out. Nested
// containers are kept to ~8 entries so depth 3 stays small.
rc::Gen<Members> GenMembers(rc::Gen<json> values) {
  return rc::gen::mapcat(rc::gen::inRange<size_t>(0, 8), [values](size_t n) {
    return rc::gen::container<Members>(n, rc::gen::pair(rc::gen::elementOf(kFieldNames), values));
  });
}

json ToObject(const Members& members) {
  json object = json::object();
  for (const auto& [name, value] : members) object[name] = value;
  return object;
}

// Random JSON that uses the API's field names, so decoding gets deep.
rc::Gen<json> GenJson(int depth) {
  auto scalar = rc::gen::oneOf(
      rc::gen::just(json(nullptr)),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool b) { return json(b); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t v) { return json(v); }),
      rc::gen::map(rc::gen::inRange<int64_t>(-3, 200), [](int64_t v) { return json(v); }),
      rc::gen::map(rc::gen::arbitrary<double>(),
                   [](double v) { return std::isfinite(v) ? json(v) : json(0.5); }),
      rc::gen::map(rc::gen::elementOf(kFieldNames), [](std::string s) { return json(s); }),
      rc::gen::map(rc::gen::elementOf(std::vector<std::string>{"", "t", "earliest", "all", "base64",
                                                               "YQ==", "offset", "-1", "1"}),
                   [](std::string s) { return json(s); }));
  if (depth <= 0) return scalar;
  auto object = rc::gen::map(GenMembers(GenJson(depth - 1)),
                             [](const Members& members) { return ToObject(members); });
  auto array = rc::gen::map(rc::gen::mapcat(rc::gen::inRange<size_t>(0, 8),
                                            [depth](size_t n) {
                                              return rc::gen::container<std::vector<json>>(
                                                  n, GenJson(depth - 1));
                                            }),
                            [](std::vector<json> v) { return json(v); });
  return rc::gen::oneOf(scalar, object, array);
}

rc::Gen<std::string> GenBody() {
  return rc::gen::oneOf(rc::gen::arbitrary<std::string>(),
                        rc::gen::map(GenJson(3), [](const json& j) { return j.dump(); }),
                        rc::gen::map(GenMembers(GenJson(2)), [](const Members& members) {
                          return ToObject(members).dump();
                        }));
}

rc::Gen<std::optional<std::string>> GenOptionalString() {
  return rc::gen::oneOf(rc::gen::just(std::optional<std::string>()),
                        rc::gen::map(rc::gen::arbitrary<std::string>(), [](std::string s) {
                          return std::optional<std::string>(std::move(s));
                        }));
}

void CheckAnswer(const std::variant<ApiRequest, ApiError>& decoded) {
  if (const auto* error = std::get_if<ApiError>(&decoded)) {
    RC_ASSERT(error->http_status >= 400);
    RC_ASSERT(error->http_status < 600);
    RC_ASSERT(error->error_code / 100 == error->http_status);
    RC_ASSERT(!error->message.empty());
    // The error must encode to valid JSON whatever the input was.
    const HttpResponse http = EncodeResponse(*error);
    RC_ASSERT(!json::parse(http.body, nullptr, false).is_discarded());
  }
}

RC_GTEST_PROP(CodecProperty, DecodeNeverThrowsOnArbitraryInput, ()) {
  HttpRequest http;
  http.method = *rc::gen::elementOf(std::vector<std::string>{"GET", "POST", "DELETE", "PUT", ""});
  http.path = *rc::gen::oneOf(rc::gen::elementOf(kPaths), rc::gen::arbitrary<std::string>());
  http.body = *GenBody();
  const auto query_values = rc::gen::oneOf(rc::gen::arbitrary<std::string>(),
                                           rc::gen::elementOf(std::vector<std::string>{
                                               "0", "1", "t", "earliest", "latest", "30s", "500ms",
                                               "-1", "10001", "99999999999999999999", "true"}));
  http.query = *rc::gen::container<std::map<std::string, std::string>>(
      rc::gen::oneOf(rc::gen::elementOf(kQueryNames), rc::gen::arbitrary<std::string>()),
      query_values);
  std::variant<ApiRequest, ApiError> decoded;
  try {
    decoded = DecodeRequest(http, ApiLimits{});
  } catch (...) {
    RC_FAIL("DecodeRequest threw");
  }
  CheckAnswer(decoded);
}

RC_GTEST_PROP(CodecProperty, ProducedBytesSurviveDecoding, ()) {
  const auto key = *GenOptionalString();
  const auto value = *rc::gen::arbitrary<std::string>();
  const auto headers =
      *rc::gen::container<std::vector<std::pair<std::string, std::string>>>(rc::gen::pair(
          rc::gen::map(rc::gen::arbitrary<int>(), [](int i) { return "h" + std::to_string(i); }),
          rc::gen::arbitrary<std::string>()));
  auto b64 = [](const std::string& s) {
    std::string out;
    Base64Encode(s, &out);
    return out;
  };
  json message = {{"value", b64(value)}, {"encoding", "base64"}};
  if (key) message["key"] = b64(*key);
  json header_array = json::array();
  for (const auto& [k, v] : headers) header_array.push_back({{"key", k}, {"value", b64(v)}});
  message["headers"] = header_array;
  HttpRequest http;
  http.method = "POST";
  http.path = "/api/v1/produce";
  http.body = json({{"topic", "t"}, {"messages", json::array({message})}}).dump();
  const auto decoded = DecodeRequest(http, ApiLimits{});
  RC_ASSERT(std::holds_alternative<ApiRequest>(decoded));
  const auto& request = std::get<ProduceRequest>(std::get<ApiRequest>(decoded));
  RC_ASSERT(request.messages.size() == 1u);
  RC_ASSERT(request.messages[0].key == key);
  RC_ASSERT(request.messages[0].value == value);
  RC_ASSERT(request.messages[0].headers.size() == headers.size());
  for (size_t i = 0; i < headers.size(); ++i) {
    RC_ASSERT(request.messages[0].headers[i].key == headers[i].first);
    RC_ASSERT(request.messages[0].headers[i].value == headers[i].second);
  }
}

RC_GTEST_PROP(CodecProperty, ServedRecordsSurviveEncoding, ()) {
  FetchResponse response;
  response.topic = "t";
  const int n = *rc::gen::inRange(0, 8);
  for (int i = 0; i < n; ++i) {
    Record r;
    r.offset = Offset(i);
    r.timestamp_ms = *rc::gen::inRange<int64_t>(0, int64_t{1} << 50);
    r.key = *GenOptionalString();
    r.value = *rc::gen::arbitrary<std::string>();
    const int h = *rc::gen::inRange(0, 3);
    for (int j = 0; j < h; ++j) {
      // j % 2: three headers repeat a key, which must survive as it was stored.
      r.headers.push_back({"h" + std::to_string(j % 2), *rc::gen::arbitrary<std::string>()});
    }
    response.records.push_back({"t", PartitionId(0), std::move(r)});
  }
  const HttpResponse http = EncodeResponse(response);
  const json body = json::parse(http.body, nullptr, false);
  RC_ASSERT(!body.is_discarded());
  RC_ASSERT(body["records"].size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const json& got = body["records"][i];
    const Record& want = response.records[i].record;
    const bool base64 = got.contains("encoding");
    auto bytes = [&](const json& field) {
      std::string s = field.get<std::string>();
      if (!base64) return s;
      std::string decoded;
      RC_ASSERT(Base64Decode(s, &decoded));
      return decoded;
    };
    RC_ASSERT(got["offset"].get<int64_t>() == want.offset.value());
    RC_ASSERT(got["timestamp"].get<int64_t>() == want.timestamp_ms);
    RC_ASSERT(bytes(got["value"]) == want.value);
    RC_ASSERT(got["key"].is_null() == !want.key.has_value());
    if (want.key) RC_ASSERT(bytes(got["key"]) == *want.key);
    RC_ASSERT(got["headers"].is_array());
    RC_ASSERT(got["headers"].size() == want.headers.size());
    for (size_t k = 0; k < want.headers.size(); ++k) {
      RC_ASSERT(got["headers"][k]["key"].get<std::string>() == want.headers[k].key);
      RC_ASSERT(bytes(got["headers"][k]["value"]) == want.headers[k].value);
    }
  }
}

}  // namespace
}  // namespace gafka
