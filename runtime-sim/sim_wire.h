// What travels over SimNetwork between simulated clients and nodes: an
// envelope (kind tag, request id, payload) around an HttpRequest or
// HttpResponse, in a small length-prefixed binary form. The JSON inside
// (bodies) is produced and parsed by the production codec (core/protocol),
// so the simulator exercises it on every request.
//
// Byte 0 of every message is its MessageKind: SimNetwork's drop filters
// classify packets by it without decoding the rest.
//
// Layout (little-endian):
//   envelope  = kind:u8 request_id:u64 payload
//   request   = method:str path:str query_count:u32 (key:str value:str)* body:str
//   response  = status:u32 content_type:str leader_hint:str body:str
//   str       = length:u32 bytes
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/types.h"
#include "core/protocol/http.h"
#include "core/protocol/messages.h"
#include "runtime-sim/sim_network.h"

namespace gafka::sim {

enum class MessageKind : uint8_t {
  kProduceRequest = 1,
  kFetchRequest = 2,
  kAdminRequest = 3,      // topics, offsets, status
  kGroupRequest = 4,      // consumer-group calls (joins later)
  kHeartbeatRequest = 5,  // group heartbeats (joins later)
  kResponse = 16,
  kReplication = 32,  // broker-to-broker (joins later)
};

// "produce", "fetch", "admin", "group", "heartbeat", "response", "replication".
const char* MessageKindName(MessageKind kind);
std::optional<MessageKind> MessageKindFromName(std::string_view name);
// The kind a request for this HTTP route travels as.
MessageKind KindForRoute(const HttpRequest& request);

struct Envelope {
  MessageKind kind = MessageKind::kResponse;
  uint64_t request_id = 0;
  Bytes payload;
};

Bytes EncodeEnvelope(const Envelope& envelope);
std::optional<Envelope> DecodeEnvelope(ByteView message);

// The same without copying the payload: a view into `message`.
struct EnvelopeView {
  MessageKind kind = MessageKind::kResponse;
  uint64_t request_id = 0;
  ByteView payload;
};
std::optional<EnvelopeView> PeekEnvelope(ByteView message);

// Whole packets in one buffer (the hot path: no intermediate copies).
Bytes EncodeRequestPacket(uint64_t request_id, const HttpRequest& request);  // kind by route
Bytes EncodeResponsePacket(uint64_t request_id, const HttpResponse& response);

// The codec-free path: a share of the simulated clients' produce and fetch
// calls (workload.json) skips the HTTP/JSON codec. The packet is an envelope
// with an empty payload (same kind byte and request id, so drop filters,
// loss, latency and the trace treat it like any other); the request or the
// response rides with it as a SimNetwork attachment and goes to
// Broker::Execute as is.
struct TypedRequest final : PacketAttachment {
  explicit TypedRequest(ApiRequest r) : request(std::move(r)) {}
  ApiRequest request;
};
struct TypedResponse final : PacketAttachment {
  explicit TypedResponse(ApiResponse r) : response(std::move(r)) {}
  ApiResponse response;
};
Bytes EncodeTypedPacket(MessageKind kind, uint64_t request_id);

Bytes EncodeHttpRequest(const HttpRequest& request);
void AppendHttpRequest(const HttpRequest& request, Bytes* out);
std::optional<HttpRequest> DecodeHttpRequest(ByteView bytes);

Bytes EncodeHttpResponse(const HttpResponse& response);
void AppendHttpResponse(const HttpResponse& response, Bytes* out);
std::optional<HttpResponse> DecodeHttpResponse(ByteView bytes);

}  // namespace gafka::sim
