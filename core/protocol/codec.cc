// DecodeRequest routes and validates; EncodeResponse dispatches on the
// response type. The per-endpoint work lives in produce_decoder,
// consume_decoder, admin_decoder, fetch_encoder and response_encoder;
// ErrorFromStatus lives in errors.cc next to the error_code table.
#include "core/protocol/codec.h"

#include <string>
#include <type_traits>

#include "core/protocol/admin_decoder.h"
#include "core/protocol/consume_decoder.h"
#include "core/protocol/errors.h"
#include "core/protocol/fetch_encoder.h"
#include "core/protocol/produce_decoder.h"
#include "core/protocol/response_encoder.h"
#include "core/protocol/routes.h"

namespace gafka {
namespace {

std::variant<ApiRequest, ApiError> DecodeRoute(const RouteMatch& route, const HttpRequest& http,
                                               const ApiLimits& limits) {
  switch (route.endpoint) {
    case Endpoint::kProduce:
      return DecodeProduce(http, limits);
    case Endpoint::kConsume:
      return DecodeConsume(http, limits);
    case Endpoint::kListTopics:
      return ApiRequest(ListTopicsRequest{});
    case Endpoint::kHealth:
      return ApiRequest(HealthRequest{});
    case Endpoint::kStatus:
      return ApiRequest(StatusRequest{});
    case Endpoint::kMetrics:
      return ApiRequest(MetricsRequest{});
    case Endpoint::kListGroups:
      return ApiRequest(ListGroupsRequest{});
    case Endpoint::kCreateTopic:
    case Endpoint::kDescribeTopic:
    case Endpoint::kDeleteTopic:
    case Endpoint::kPartitionOffsets:
      return DecodeTopicEndpoint(route, http, limits);
    case Endpoint::kJoinGroup:
    case Endpoint::kLeaveGroup:
    case Endpoint::kHeartbeat:
    case Endpoint::kCommitOffsets:
    case Endpoint::kFetchOffsets:
    case Endpoint::kGroupStatus:
    case Endpoint::kResetOffsets:
      return DecodeGroupEndpoint(route, http, limits);
  }
  return MakeApiError(api_errors::kInternal, "internal: endpoint without a decoder");
}

}  // namespace

std::variant<ApiRequest, ApiError> DecodeRequest(const HttpRequest& request,
                                                 const ApiLimits& limits) {
  std::variant<RouteMatch, ApiError> route = MatchRoute(request.method, request.path);
  if (auto* error = std::get_if<ApiError>(&route)) return std::move(*error);
  if (request.body.size() > limits.max_request_bytes) {
    return MakeApiError(api_errors::kRequestTooLarge,
                        "request body is " + std::to_string(request.body.size()) +
                            " bytes; the limit is " + std::to_string(limits.max_request_bytes));
  }
  return DecodeRoute(std::get<RouteMatch>(route), request, limits);
}

HttpResponse EncodeResponse(const ApiResponse& response) {
  return std::visit(
      [](const auto& r) -> HttpResponse {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, ApiError>) {
          return EncodeError(r);
        } else if constexpr (std::is_same_v<T, ProduceResponse>) {
          return EncodeProduce(r);
        } else if constexpr (std::is_same_v<T, FetchResponse>) {
          HttpResponse http;
          http.body = EncodeFetchBody(r);
          return http;
        } else if constexpr (std::is_same_v<T, TopicResponse>) {
          return EncodeTopic(r);
        } else if constexpr (std::is_same_v<T, TopicListResponse>) {
          return EncodeTopicList(r);
        } else if constexpr (std::is_same_v<T, PartitionOffsetsResponse>) {
          return EncodePartitionOffsets(r);
        } else if constexpr (std::is_same_v<T, DeletedResponse>) {
          return EncodeDeleted(r);
        } else if constexpr (std::is_same_v<T, HealthResponse>) {
          return EncodeHealth(r);
        } else if constexpr (std::is_same_v<T, StatusResponse>) {
          return EncodeStatus(r);
        } else if constexpr (std::is_same_v<T, MetricsResponse>) {
          return EncodeMetrics(r);
        } else {
          static_assert(std::is_same_v<T, GroupResponse>, "an ApiResponse type without an encoder");
          return EncodeGroup(r);
        }
      },
      response);
}

}  // namespace gafka
