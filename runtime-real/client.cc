#include "runtime-real/client.h"

#include <httplib.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "core/protocol/base64.h"
#include "core/protocol/json_writer.h"

namespace gafka {
namespace {

// ordered_json: record headers arrive as an object whose order matters.
using Json = nlohmann::ordered_json;

constexpr int kDefaultPort = 9001;

Code CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return Code::kInvalidArgument;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kConflict;
    case 413:
      return Code::kTooLarge;
    case 503:
      return Code::kUnavailable;
    case 504:
      return Code::kTimeout;
    default:
      return status >= 500 || status == 0 ? Code::kUnavailable : Code::kInvalidArgument;
  }
}

gafka::Status MakeClientError(int http_status, int error_code, const std::string& message) {
  return gafka::Status(CodeForHttpStatus(http_status), "HTTP " + std::to_string(http_status) +
                                                           " error " + std::to_string(error_code) +
                                                           ": " + message);
}

gafka::Status BadAnswer(const std::string& what, const std::string& body) {
  return Internal("unexpected answer from the broker (" + what + "): " + body.substr(0, 200));
}

std::string DescribeTransportError(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (is the broker running?)";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::Read:
      return "no response (read failed or timed out)";
    case httplib::Error::Write:
      return "sending the request failed";
    default:
      return "transport error " + httplib::to_string(error);
  }
}

void SetTimeout(httplib::Client& http, Millis timeout_ms) {
  const time_t sec = static_cast<time_t>(timeout_ms / 1000);
  const time_t usec = static_cast<time_t>((timeout_ms % 1000) * 1000);
  http.set_read_timeout(sec, usec);
  http.set_write_timeout(sec, usec);
}

std::string AcksText(Acks acks) {
  switch (acks) {
    case Acks::kNone:
      return "0";
    case Acks::kLeader:
      return "1";
    case Acks::kAll:
      return "all";
  }
  return "1";
}

// A produce message as JSON. Text fields go as they are; if any byte string
// is not UTF-8 the whole message is sent base64 ("encoding": "base64").
Json MessageJson(const ProduceMessage& message) {
  bool text = IsValidUtf8(message.value) && (!message.key || IsValidUtf8(*message.key));
  for (const RecordHeader& h : message.headers)
    text = text && IsValidUtf8(h.key) && IsValidUtf8(h.value);
  auto field = [text](const std::string& bytes) {
    if (text) return bytes;
    std::string encoded;
    Base64Encode(bytes, &encoded);
    return encoded;
  };
  Json j = Json::object();
  if (!text) j["encoding"] = "base64";
  if (message.key) j["key"] = field(*message.key);
  j["value"] = field(message.value);
  if (message.partition) j["partition"] = message.partition->value();
  if (message.timestamp_ms) j["timestamp"] = *message.timestamp_ms;
  if (!message.headers.empty()) {
    Json headers = Json::array();
    for (const RecordHeader& h : message.headers) {
      // Header keys travel as text (the server repairs invalid UTF-8).
      headers.push_back({{"key", h.key}, {"value", field(h.value)}});
    }
    j["headers"] = std::move(headers);
  }
  return j;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Parsers of the broker's JSON (docs/api.md). They throw nlohmann exceptions
// on a wrong shape; ParseBody turns those into a failed Result.
PartitionInfo ParsePartitionInfo(const Json& j) {
  PartitionInfo info;
  info.partition = PartitionId(j.at("partition").get<int32_t>());
  info.log_start_offset = Offset(j.at("earliest_offset").get<int64_t>());
  info.log_end_offset = Offset(j.at("latest_offset").get<int64_t>());
  info.high_watermark = Offset(j.at("high_watermark").get<int64_t>());
  info.size_bytes = j.value("size_bytes", uint64_t{0});
  info.status = j.value("status", std::string("ok"));
  info.leader = NodeId(j.value("leader", 0));
  info.leader_epoch = Epoch(j.value("leader_epoch", 0));
  return info;
}

TopicInfo ParseTopicInfo(const Json& j) {
  TopicInfo topic;
  topic.name = j.at("name").get<std::string>();
  topic.partitions = j.at("partitions").get<int32_t>();
  topic.replication_factor = j.value("replication_factor", 1);
  if (auto it = j.find("configs"); it != j.end() && it->is_object()) {
    topic.config.retention_ms = it->value("retention.ms", topic.config.retention_ms);
    topic.config.retention_bytes = it->value("retention.bytes", topic.config.retention_bytes);
    topic.config.segment_bytes = it->value("segment.bytes", topic.config.segment_bytes);
    topic.config.max_message_bytes = it->value("max.message.bytes", topic.config.max_message_bytes);
  }
  if (auto it = j.find("partition_info"); it != j.end()) {
    for (const Json& p : *it) topic.partition_info.push_back(ParsePartitionInfo(p));
  }
  return topic;
}

ProduceResult ParseProduceResult(const Json& j) {
  ProduceResult result;
  result.partition = PartitionId(j.value("partition", -1));
  if (j.contains("error_code")) {
    ApiError error;
    error.error_code = j.at("error_code").get<int>();
    error.http_status = error.error_code / 100;
    error.message = j.value("message", std::string());
    error.leader_hint = j.value("leader", std::string());
    result.error = std::move(error);
  } else {
    result.offset = Offset(j.at("offset").get<int64_t>());
    result.timestamp_ms = j.value("timestamp", int64_t{0});
  }
  return result;
}

std::string DecodeBytes(const Json& j, bool base64) {
  std::string text = j.get<std::string>();
  if (!base64) return text;
  std::string bytes;
  if (!Base64Decode(text, &bytes)) throw std::runtime_error("a base64 field does not decode");
  return bytes;
}

ConsumedRecord ParseRecord(const Json& j) {
  ConsumedRecord consumed;
  const bool base64 = j.value("encoding", std::string()) == "base64";
  consumed.topic = j.at("topic").get<std::string>();
  consumed.partition = PartitionId(j.at("partition").get<int32_t>());
  Record& r = consumed.record;
  r.offset = Offset(j.at("offset").get<int64_t>());
  r.timestamp_ms = j.value("timestamp", int64_t{0});
  if (const Json& key = j.at("key"); !key.is_null()) r.key = DecodeBytes(key, base64);
  r.value = DecodeBytes(j.at("value"), base64);
  if (auto it = j.find("headers"); it != j.end()) {
    if (it->is_object()) {
      for (auto h = it->begin(); h != it->end(); ++h) {
        r.headers.push_back(RecordHeader{h.key(), DecodeBytes(*h, base64)});
      }
    } else if (it->is_array()) {
      for (const Json& h : *it) {
        r.headers.push_back(
            RecordHeader{h.at("key").get<std::string>(), DecodeBytes(h.at("value"), base64)});
      }
    }
  }
  return consumed;
}

FetchResponse ParseFetch(const Json& j) {
  FetchResponse response;
  response.topic = j.value("topic", std::string());
  for (const Json& r : j.at("records")) response.records.push_back(ParseRecord(r));
  response.partition = PartitionId(j.value("partition", 0));
  response.next_offset = Offset(j.value("next_offset", int64_t{0}));
  response.high_watermark = Offset(j.value("high_watermark", int64_t{0}));
  response.log_start_offset = Offset(j.value("log_start_offset", int64_t{0}));
  if (j.contains("generation")) response.generation = Generation(j.at("generation").get<int32_t>());
  if (j.contains("session_expires_in_ms")) {
    response.session_expires_in_ms = j.at("session_expires_in_ms").get<int64_t>();
  }
  if (auto it = j.find("assigned_partitions"); it != j.end()) {
    for (const Json& p : *it) response.assigned.push_back(PartitionId(p.get<int32_t>()));
  }
  return response;
}

template <typename T, typename Fn>
Result<T> ParseBody(const RawResponse& raw, const char* what, Fn parse) {
  Json j = Json::parse(raw.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return BadAnswer(std::string(what) + ": not JSON", raw.body);
  try {
    return parse(j);
  } catch (const std::exception& e) {
    return BadAnswer(std::string(what) + ": " + e.what(), raw.body);
  }
}

}  // namespace

// ---- free functions -----------------------------------------------------------

bool ParseBrokerAddress(const std::string& address, std::string* host, int* port) {
  std::string rest = address;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty()) return false;
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos) {
    *host = rest;
    *port = kDefaultPort;
    return true;
  }
  *host = rest.substr(0, colon);
  const std::string digits = rest.substr(colon + 1);
  if (host->empty() || digits.empty() || digits.size() > 5) return false;
  int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return false;
  *port = value;
  return true;
}

std::string UrlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

namespace {

// Reads the decimal number at *pos (advancing it); false if there is none.
bool ReadNumber(const std::string& text, size_t* pos, int* out) {
  size_t end = *pos;
  int value = 0;
  while (end < text.size() && end - *pos < 9 && text[end] >= '0' && text[end] <= '9') {
    value = value * 10 + (text[end++] - '0');
  }
  if (end == *pos) return false;
  *pos = end;
  *out = value;
  return true;
}

bool ReadLiteral(const std::string& text, size_t* pos, std::string_view literal) {
  if (text.compare(*pos, literal.size(), literal) != 0) return false;
  *pos += literal.size();
  return true;
}

}  // namespace

ApiError ErrorOf(const gafka::Status& status) {
  // "HTTP <status> error <error_code>: <message>", as MakeClientError writes it.
  const std::string& text = status.message();
  ApiError error;
  size_t pos = 0;
  if (ReadLiteral(text, &pos, "HTTP ") && ReadNumber(text, &pos, &error.http_status) &&
      ReadLiteral(text, &pos, " error ") && ReadNumber(text, &pos, &error.error_code) &&
      ReadLiteral(text, &pos, ": ")) {
    error.message = text.substr(pos);
    return error;
  }
  error.http_status = 0;
  error.error_code = 0;
  error.message = text;
  return error;
}

gafka::Status StatusFromHttp(const RawResponse& response) {
  Json j = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  int error_code = response.status * 100;
  std::string message = response.body.substr(0, 500);
  if (j.is_object() && j.contains("error_code") && j["error_code"].is_number_integer()) {
    error_code = j["error_code"].get<int>();
    if (j.contains("message") && j["message"].is_string())
      message = j["message"].get<std::string>();
  }
  return MakeClientError(response.status, error_code, message);
}

// ---- Client -------------------------------------------------------------------

Client::Client(const std::string& broker, ClientOptions options) : options_(options) {
  std::string host = "127.0.0.1";
  int port = kDefaultPort;
  // An unparsable address makes every call fail with a clear message.
  if (!ParseBrokerAddress(broker, &host, &port)) host = broker;
  std::lock_guard<std::mutex> lock(mu_);
  ConnectLocked(host, port);
}

Client::~Client() = default;

std::string Client::broker() const {
  std::lock_guard<std::mutex> lock(mu_);
  return host_ + ":" + std::to_string(port_);
}

void Client::ConnectLocked(const std::string& host, int port) {
  host_ = host;
  port_ = port;
  http_ = std::make_unique<httplib::Client>(host, port);
  http_->set_keep_alive(true);
  http_->set_tcp_nodelay(true);  // else small requests wait ~40 ms for delayed ACKs
  const Millis c = options_.connect_timeout_ms;
  http_->set_connection_timeout(static_cast<time_t>(c / 1000),
                                static_cast<time_t>((c % 1000) * 1000));
}

Result<RawResponse> Client::Call(const std::string& method, const std::string& path_and_query,
                                 const std::string& body, Millis timeout_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return CallLocked(method, path_and_query, body, timeout_ms);
}

Result<RawResponse> Client::CallLocked(const std::string& method, const std::string& path_and_query,
                                       const std::string& body, Millis timeout_ms) {
  SetTimeout(*http_, timeout_ms > 0 ? timeout_ms : options_.request_timeout_ms);
  httplib::Result res(nullptr, httplib::Error::Unknown);
  const char* json = "application/json";
  if (method == "GET") {
    res = http_->Get(path_and_query.c_str());
  } else if (method == "POST") {
    res = http_->Post(path_and_query.c_str(), body, json);
  } else if (method == "PUT") {
    res = http_->Put(path_and_query.c_str(), body, json);
  } else if (method == "DELETE") {
    res = body.empty() ? http_->Delete(path_and_query.c_str())
                       : http_->Delete(path_and_query.c_str(), body, json);
  } else {
    return InvalidArgument("unsupported HTTP method " + method);
  }
  if (!res) {
    // No HTTP answer: no "HTTP <status>" prefix, so ErrorOf() reports status 0.
    return Unavailable("no answer from " + host_ + ":" + std::to_string(port_) + ": " +
                       DescribeTransportError(res.error()));
  }
  RawResponse raw;
  raw.status = res->status;
  raw.body = std::move(res->body);
  raw.content_type = res->get_header_value("Content-Type");
  raw.leader_hint = res->get_header_value("X-Gafka-Leader");
  return raw;
}

Result<RawResponse> Client::CallOk(const std::string& method, const std::string& path_and_query,
                                   const std::string& body, Millis timeout_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Result<RawResponse> raw = CallLocked(method, path_and_query, body, timeout_ms);
  if (!raw.ok()) return raw;
  if (raw->status == 409 && !raw->leader_hint.empty() && options_.follow_leader_hint) {
    std::string host;
    int port = 0;
    if (ParseBrokerAddress(raw->leader_hint, &host, &port) && (host != host_ || port != port_)) {
      ConnectLocked(host, port);
      raw = CallLocked(method, path_and_query, body, timeout_ms);
      if (!raw.ok()) return raw;
    }
  }
  if (raw->status >= 400) return StatusFromHttp(*raw);
  return raw;
}

Result<TopicInfo> Client::CreateTopic(const CreateTopicRequest& request) {
  Json body = {{"name", request.name},
               {"partitions", request.partitions},
               {"replication_factor", request.replication_factor}};
  const TopicConfig defaults;
  Json configs = Json::object();
  if (request.config.retention_ms != defaults.retention_ms) {
    configs["retention.ms"] = request.config.retention_ms;
  }
  if (request.config.retention_bytes != defaults.retention_bytes) {
    configs["retention.bytes"] = request.config.retention_bytes;
  }
  if (request.config.segment_bytes != defaults.segment_bytes) {
    configs["segment.bytes"] = request.config.segment_bytes;
  }
  if (request.config.max_message_bytes != defaults.max_message_bytes) {
    configs["max.message.bytes"] = request.config.max_message_bytes;
  }
  if (!configs.empty()) body["configs"] = std::move(configs);
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, CallOk("POST", "/api/v1/topics", Dump(body)));
  return ParseBody<TopicInfo>(raw, "create topic", ParseTopicInfo);
}

gafka::Status Client::DeleteTopic(const std::string& name) {
  return CallOk("DELETE", "/api/v1/topics/" + UrlEncode(name)).status();
}

Result<std::vector<TopicInfo>> Client::ListTopics() {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, CallOk("GET", "/api/v1/topics"));
  return ParseBody<std::vector<TopicInfo>>(raw, "list topics", [](const Json& j) {
    std::vector<TopicInfo> topics;
    for (const Json& t : j.at("topics")) topics.push_back(ParseTopicInfo(t));
    return topics;
  });
}

Result<TopicInfo> Client::DescribeTopic(const std::string& name) {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, CallOk("GET", "/api/v1/topics/" + UrlEncode(name)));
  return ParseBody<TopicInfo>(raw, "describe topic", ParseTopicInfo);
}

Result<PartitionInfo> Client::PartitionOffsets(const std::string& topic, PartitionId partition) {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw,
                         CallOk("GET", "/api/v1/topics/" + UrlEncode(topic) + "/partitions/" +
                                           std::to_string(partition.value()) + "/offsets"));
  return ParseBody<PartitionInfo>(raw, "partition offsets", [](const Json& j) {
    PartitionInfo info;
    info.partition = PartitionId(j.at("partition").get<int32_t>());
    info.log_start_offset = Offset(j.at("earliest").get<int64_t>());
    info.log_end_offset = Offset(j.at("latest").get<int64_t>());
    info.high_watermark = Offset(j.at("high_watermark").get<int64_t>());
    return info;
  });
}

Result<ProduceResult> Client::Produce(const std::string& topic, const ProduceMessage& message,
                                      ProduceOptions options) {
  Json body = MessageJson(message);
  body["topic"] = topic;
  body["acks"] = AcksText(options.acks);
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, CallOk("POST", "/api/v1/produce", Dump(body)));
  return ParseBody<ProduceResult>(raw, "produce", [](const Json& j) {
    ProduceResult result = ParseProduceResult(j);
    if (result.error) throw std::runtime_error("an error inside a 2xx answer");
    return result;
  });
}

Result<std::vector<ProduceResult>> Client::ProduceBatch(const std::string& topic,
                                                        const std::vector<ProduceMessage>& messages,
                                                        ProduceOptions options) {
  Json list = Json::array();
  for (const ProduceMessage& m : messages) list.push_back(MessageJson(m));
  Json body = {{"topic", topic}, {"acks", AcksText(options.acks)}, {"messages", std::move(list)}};
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, CallOk("POST", "/api/v1/produce", Dump(body)));
  const size_t expected = messages.size();
  return ParseBody<std::vector<ProduceResult>>(raw, "produce batch", [expected](const Json& j) {
    std::vector<ProduceResult> results;
    for (const Json& r : j.at("offsets")) results.push_back(ParseProduceResult(r));
    if (results.size() != expected) throw std::runtime_error("one result per message expected");
    return results;
  });
}

Result<FetchResponse> Client::Fetch(const FetchRequest& request) {
  std::string offset;
  switch (request.offset_spec) {
    case OffsetSpec::kEarliest:
      offset = "earliest";
      break;
    case OffsetSpec::kLatest:
      offset = "latest";
      break;
    case OffsetSpec::kExplicit:
      offset = std::to_string(request.offset.value());
      break;
  }
  const std::string path = "/api/v1/consume?topic=" + UrlEncode(request.topic) +
                           "&partition=" + std::to_string(request.partition.value()) +
                           "&offset=" + offset + "&count=" + std::to_string(request.max_count) +
                           "&max_bytes=" + std::to_string(request.max_bytes) +
                           "&timeout=" + std::to_string(request.timeout_ms) + "ms";
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw,
                         CallOk("GET", path, "", request.timeout_ms + options_.poll_margin_ms));
  return ParseBody<FetchResponse>(raw, "fetch", ParseFetch);
}

Result<HealthResponse> Client::Health() {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, Call("GET", "/healthz"));
  if (raw.status != 200 && raw.status != 503) return StatusFromHttp(raw);
  return ParseBody<HealthResponse>(raw, "health", [](const Json& j) {
    HealthResponse health;
    health.ok = j.at("status").get<std::string>() == "ok";
    health.detail = j.value("detail", std::string());
    return health;
  });
}

Result<StatusResponse> Client::BrokerStatus() {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, CallOk("GET", "/api/v1/status"));
  return ParseBody<StatusResponse>(raw, "status", [&raw](const Json& j) {
    StatusResponse status;
    status.broker_id = NodeId(j.at("broker_id").get<int32_t>());
    status.role = j.value("role", std::string());
    status.uptime_ms = j.value("uptime_ms", int64_t{0});
    if (auto it = j.find("topics"); it != j.end()) {
      for (const Json& t : *it) status.topics.push_back(ParseTopicInfo(t));
    }
    status.json_extra = raw.body;
    return status;
  });
}

Result<std::string> Client::Metrics() {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, CallOk("GET", "/metrics"));
  return std::move(raw.body);
}

// ---- consumer groups ----------------------------------------------------------

namespace {
std::string MemberPath(const std::string& group, const std::string& consumer,
                       const std::string& action) {
  return "/api/v1/consumer-groups/" + UrlEncode(group) + "/members/" + UrlEncode(consumer) + "/" +
         action;
}
}  // namespace

Result<std::string> Client::JoinGroup(const std::string& group, const std::string& consumer,
                                      const std::string& topic, Millis session_timeout_ms) {
  Json body = {{"topic", topic}};
  if (session_timeout_ms > 0) body["session_timeout_ms"] = session_timeout_ms;
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw,
                         CallOk("POST", MemberPath(group, consumer, "join"), Dump(body)));
  return std::move(raw.body);
}

Result<std::string> Client::LeaveGroup(const std::string& group, const std::string& consumer) {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw,
                         CallOk("POST", MemberPath(group, consumer, "leave"), "{}"));
  return std::move(raw.body);
}

Result<std::string> Client::Heartbeat(const std::string& group, const std::string& consumer) {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw,
                         CallOk("POST", MemberPath(group, consumer, "heartbeat"), "{}"));
  return std::move(raw.body);
}

Result<std::string> Client::CommitOffsets(const std::string& group, const std::string& body_json) {
  GAFKA_ASSIGN_OR_RETURN(
      RawResponse raw,
      CallOk("POST", "/api/v1/consumer-groups/" + UrlEncode(group) + "/offsets", body_json));
  return std::move(raw.body);
}

Result<std::string> Client::FetchOffsets(const std::string& group) {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw,
                         CallOk("GET", "/api/v1/consumer-groups/" + UrlEncode(group) + "/offsets"));
  return std::move(raw.body);
}

Result<std::string> Client::GroupPoll(const GroupPollRequest& request) {
  const std::string path =
      "/api/v1/consume?topic=" + UrlEncode(request.topic) +
      "&group_id=" + UrlEncode(request.group_id) +
      "&consumer_id=" + UrlEncode(request.consumer_id) +
      "&count=" + std::to_string(request.max_count) +
      "&max_bytes=" + std::to_string(request.max_bytes) +
      "&timeout=" + std::to_string(request.timeout_ms) + "ms" + "&auto_offset_reset=" +
      (request.auto_offset_reset == OffsetSpec::kEarliest ? "earliest" : "latest") +
      "&auto_commit=" + (request.auto_commit ? "true" : "false");
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw,
                         CallOk("GET", path, "", request.timeout_ms + options_.poll_margin_ms));
  return std::move(raw.body);
}

Result<FetchResponse> Client::GroupConsume(const GroupPollRequest& request) {
  GAFKA_ASSIGN_OR_RETURN(std::string body, GroupPoll(request));
  RawResponse raw;
  raw.status = 200;
  raw.body = std::move(body);
  return ParseBody<FetchResponse>(raw, "group poll", ParseFetch);
}

Result<std::string> Client::GroupStatus(const std::string& group) {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw,
                         CallOk("GET", "/api/v1/consumer-groups/" + UrlEncode(group) + "/status"));
  return std::move(raw.body);
}

Result<std::string> Client::ListGroups() {
  GAFKA_ASSIGN_OR_RETURN(RawResponse raw, CallOk("GET", "/api/v1/consumer-groups"));
  return std::move(raw.body);
}

Result<std::string> Client::ResetOffsets(const std::string& group, const std::string& body_json) {
  GAFKA_ASSIGN_OR_RETURN(
      RawResponse raw,
      CallOk("POST", "/api/v1/consumer-groups/" + UrlEncode(group) + "/reset-offsets", body_json));
  return std::move(raw.body);
}

}  // namespace gafka
