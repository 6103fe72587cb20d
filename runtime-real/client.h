// Client: a C++ client of the gafka HTTP/JSON API (docs/api.md) over
// cpp-httplib, used by the CLI tools, the benchmark and the end-to-end tests.
//
// - One keep-alive connection with TCP_NODELAY, connect/read/write timeouts;
//   a long poll's read timeout is its own timeout plus a margin.
// - Typed calls return Result<T>. A failure's Status carries the HTTP status
//   (as a Code: 400 kInvalidArgument, 404 kNotFound, 409 kConflict, 413
//   kTooLarge, 503 kUnavailable, 504 kTimeout) and a message
//   "HTTP <status> error <error_code>: <message>"; ErrorOf() parses it back
//   into an ApiError. No answer at all (connection refused, timeout) is
//   kUnavailable with http_status 0 in ErrorOf().
// - A 409 with an X-Gafka-Leader header is retried once at that leader, and
//   later calls go there too.
// - Consumer-group calls are thin passthroughs returning the JSON body.
//
// Thread-safety: calls on one Client are serialised by a mutex (one
// connection); use one Client per thread for parallel requests.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/protocol/messages.h"

namespace httplib {
class Client;
}

namespace gafka {

struct ClientOptions {
  Millis connect_timeout_ms = 5'000;
  Millis request_timeout_ms = 30'000;  // read/write timeout of ordinary calls
  Millis poll_margin_ms = 15'000;      // added to a long poll's own timeout
  bool follow_leader_hint = true;
};

// An HTTP answer as it came (for tests and passthroughs).
struct RawResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string leader_hint;  // X-Gafka-Leader
};

// Per-call produce options.
struct ProduceOptions {
  Acks acks = Acks::kLeader;
};

class Client {
 public:
  // `broker`: "host:port", "host" (port 9001) or "http://host:port".
  explicit Client(const std::string& broker, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // "host:port" of the broker the client talks to (changes on a leader hint).
  std::string broker() const;

  // ---- topics --------------------------------------------------------------
  Result<TopicInfo> CreateTopic(const CreateTopicRequest& request);
  Status DeleteTopic(const std::string& name);
  Result<std::vector<TopicInfo>> ListTopics();
  Result<TopicInfo> DescribeTopic(const std::string& name);
  Result<PartitionInfo> PartitionOffsets(const std::string& topic, PartitionId partition);

  // ---- produce -------------------------------------------------------------
  // The single-message form; the result's error is never set (a failure is
  // the Result's status).
  Result<ProduceResult> Produce(const std::string& topic, const ProduceMessage& message,
                                ProduceOptions options = {});
  // The batch form; one result per message, in order, each with its own error.
  Result<std::vector<ProduceResult>> ProduceBatch(const std::string& topic,
                                                  const std::vector<ProduceMessage>& messages,
                                                  ProduceOptions options = {});

  // ---- consume -------------------------------------------------------------
  // Direct read (topic, partition, offset), waiting up to timeout_ms for data.
  Result<FetchResponse> Fetch(const FetchRequest& request);

  // ---- broker --------------------------------------------------------------
  Result<HealthResponse> Health();
  // GET /api/v1/status, parsed where the structs fit; json_extra holds the
  // whole body.
  Result<StatusResponse> BrokerStatus();
  Result<std::string> Metrics();

  // ---- consumer groups (JSON passthroughs) ----------------------------------
  Result<std::string> JoinGroup(const std::string& group, const std::string& consumer,
                                const std::string& topic, Millis session_timeout_ms = 10'000);
  // session_timeout_ms <= 0: the broker's default.
  Result<std::string> LeaveGroup(const std::string& group, const std::string& consumer);
  Result<std::string> Heartbeat(const std::string& group, const std::string& consumer);
  // `body_json`: {"consumer_id":..,"generation":..,"offsets":[{"topic","partition","offset"}]}
  Result<std::string> CommitOffsets(const std::string& group, const std::string& body_json);
  Result<std::string> FetchOffsets(const std::string& group);
  Result<std::string> GroupPoll(const GroupPollRequest& request);
  // The same group poll, parsed (records, generation, session_expires_in_ms,
  // assigned partitions).
  Result<FetchResponse> GroupConsume(const GroupPollRequest& request);
  Result<std::string> GroupStatus(const std::string& group);
  Result<std::string> ListGroups();
  // `body_json`: {"topic":..,"to":"earliest"|"latest"|"offset"|"timestamp",...}
  Result<std::string> ResetOffsets(const std::string& group, const std::string& body_json);

  // ---- raw -----------------------------------------------------------------
  // Any request; `path_and_query` starts with '/', already URL-encoded. An
  // HTTP error status is a RawResponse, not a failure; only a transport
  // failure (no answer within `timeout_ms`, default request_timeout_ms) fails.
  Result<RawResponse> Call(const std::string& method, const std::string& path_and_query,
                           const std::string& body = "", Millis timeout_ms = 0);

 private:
  // Call() plus: HTTP errors become a failed Result, a leader hint is followed once.
  Result<RawResponse> CallOk(const std::string& method, const std::string& path_and_query,
                             const std::string& body = "", Millis timeout_ms = 0);
  Result<RawResponse> CallLocked(const std::string& method, const std::string& path_and_query,
                                 const std::string& body, Millis timeout_ms);
  void ConnectLocked(const std::string& host, int port);

  const ClientOptions options_;
  mutable std::mutex mu_;
  std::string host_;
  int port_ = 9001;
  std::unique_ptr<httplib::Client> http_;
};

// "host:port" / "host" / "http://host:port" -> host and port (default 9001).
bool ParseBrokerAddress(const std::string& address, std::string* host, int* port);

// Percent-encodes a query parameter value or path segment.
std::string UrlEncode(const std::string& text);

// The ApiError inside a Status made by Client (http_status 0: no answer).
ApiError ErrorOf(const Status& status);

// Status for an HTTP error answer: code from the HTTP status, message from
// the JSON envelope (or the raw body when it is not one).
gafka::Status StatusFromHttp(const RawResponse& response);

}  // namespace gafka
