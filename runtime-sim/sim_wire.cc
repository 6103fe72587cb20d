#include "runtime-sim/sim_wire.h"

#include "core/base/check.h"
#include "core/base/coding.h"

namespace gafka::sim {
namespace {

constexpr size_t kEnvelopeHeader = 1 + 8;

void PutString(std::string* dst, std::string_view s) {
  PutFixed32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s.data(), s.size());
}

// Reads length-prefixed fields from a byte view; any short read poisons it.
class Reader {
 public:
  explicit Reader(ByteView bytes) : rest_(bytes) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && rest_.empty(); }

  uint32_t U32() {
    if (rest_.size() < 4) return Fail();
    const uint32_t v = DecodeFixed32(rest_.data());
    rest_.remove_prefix(4);
    return v;
  }
  std::string String() {
    const uint32_t n = U32();
    if (!ok_ || rest_.size() < n) {
      Fail();
      return {};
    }
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }

 private:
  uint32_t Fail() {
    ok_ = false;
    rest_ = {};
    return 0;
  }
  ByteView rest_;
  bool ok_ = true;
};

}  // namespace

const char* MessageKindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kProduceRequest:
      return "produce";
    case MessageKind::kFetchRequest:
      return "fetch";
    case MessageKind::kAdminRequest:
      return "admin";
    case MessageKind::kGroupRequest:
      return "group";
    case MessageKind::kHeartbeatRequest:
      return "heartbeat";
    case MessageKind::kResponse:
      return "response";
    case MessageKind::kReplication:
      return "replication";
  }
  return "?";
}

std::optional<MessageKind> MessageKindFromName(std::string_view name) {
  for (MessageKind kind :
       {MessageKind::kProduceRequest, MessageKind::kFetchRequest, MessageKind::kAdminRequest,
        MessageKind::kGroupRequest, MessageKind::kHeartbeatRequest, MessageKind::kResponse,
        MessageKind::kReplication}) {
    if (name == MessageKindName(kind)) return kind;
  }
  return std::nullopt;
}

MessageKind KindForRoute(const HttpRequest& request) {
  const std::string& path = request.path;
  if (path == "/api/v1/produce") return MessageKind::kProduceRequest;
  if (path == "/api/v1/consume") {
    // A direct read names a partition; a group poll names a group.
    return request.query.count("group_id") ? MessageKind::kGroupRequest
                                           : MessageKind::kFetchRequest;
  }
  if (path.find("/heartbeat") != std::string::npos) return MessageKind::kHeartbeatRequest;
  if (path.rfind("/api/v1/consumer-groups", 0) == 0) return MessageKind::kGroupRequest;
  return MessageKind::kAdminRequest;
}

Bytes EncodeEnvelope(const Envelope& envelope) {
  Bytes out;
  out.reserve(kEnvelopeHeader + envelope.payload.size());
  PutFixed8(&out, static_cast<uint8_t>(envelope.kind));
  PutFixed64(&out, envelope.request_id);
  out.append(envelope.payload);
  CHECK(out.size() == kEnvelopeHeader + envelope.payload.size());
  return out;
}

Bytes EncodeTypedPacket(MessageKind kind, uint64_t request_id) {
  Bytes out;
  out.reserve(kEnvelopeHeader);
  PutFixed8(&out, static_cast<uint8_t>(kind));
  PutFixed64(&out, request_id);
  return out;
}

std::optional<EnvelopeView> PeekEnvelope(ByteView message) {
  if (message.size() < kEnvelopeHeader) return std::nullopt;
  return EnvelopeView{static_cast<MessageKind>(static_cast<uint8_t>(message[0])),
                      DecodeFixed64(message.data() + 1), message.substr(kEnvelopeHeader)};
}

Bytes EncodeRequestPacket(uint64_t request_id, const HttpRequest& request) {
  Bytes out;
  out.reserve(kEnvelopeHeader + 64 + request.path.size() + request.body.size());
  PutFixed8(&out, static_cast<uint8_t>(KindForRoute(request)));
  PutFixed64(&out, request_id);
  AppendHttpRequest(request, &out);
  return out;
}

Bytes EncodeResponsePacket(uint64_t request_id, const HttpResponse& response) {
  Bytes out;
  out.reserve(kEnvelopeHeader + 32 + response.body.size());
  PutFixed8(&out, static_cast<uint8_t>(MessageKind::kResponse));
  PutFixed64(&out, request_id);
  AppendHttpResponse(response, &out);
  return out;
}

std::optional<Envelope> DecodeEnvelope(ByteView message) {
  if (message.size() < kEnvelopeHeader) return std::nullopt;
  Envelope envelope;
  envelope.kind = static_cast<MessageKind>(static_cast<uint8_t>(message[0]));
  envelope.request_id = DecodeFixed64(message.data() + 1);
  envelope.payload.assign(message.substr(kEnvelopeHeader));
  return envelope;
}

void AppendHttpRequest(const HttpRequest& request, Bytes* out) {
  PutString(out, request.method);
  PutString(out, request.path);
  PutFixed32(out, static_cast<uint32_t>(request.query.size()));
  for (const auto& [key, value] : request.query) {
    PutString(out, key);
    PutString(out, value);
  }
  PutString(out, request.body);
}

Bytes EncodeHttpRequest(const HttpRequest& request) {
  Bytes out;
  out.reserve(64 + request.path.size() + request.body.size());
  AppendHttpRequest(request, &out);
  return out;
}

std::optional<HttpRequest> DecodeHttpRequest(ByteView bytes) {
  Reader reader(bytes);
  HttpRequest request;
  request.method = reader.String();
  request.path = reader.String();
  const uint32_t count = reader.U32();
  // Each pair needs at least 8 bytes, so `count` cannot make us loop long.
  for (uint32_t i = 0; i < count && reader.ok(); ++i) {
    std::string key = reader.String();
    std::string value = reader.String();
    request.query[std::move(key)] = std::move(value);
  }
  request.body = reader.String();
  if (!reader.done()) return std::nullopt;
  return request;
}

void AppendHttpResponse(const HttpResponse& response, Bytes* out) {
  PutFixed32(out, static_cast<uint32_t>(response.status));
  PutString(out, response.content_type);
  PutString(out, response.leader_hint);
  PutString(out, response.body);
}

Bytes EncodeHttpResponse(const HttpResponse& response) {
  Bytes out;
  out.reserve(32 + response.body.size());
  AppendHttpResponse(response, &out);
  return out;
}

std::optional<HttpResponse> DecodeHttpResponse(ByteView bytes) {
  Reader reader(bytes);
  HttpResponse response;
  response.status = static_cast<int>(reader.U32());
  response.content_type = reader.String();
  response.leader_hint = reader.String();
  response.body = reader.String();
  if (!reader.done()) return std::nullopt;
  return response;
}

}  // namespace gafka::sim
