// GET /api/v1/consume: the direct form (?topic&partition&offset) ->
// FetchRequest, the group form (?topic&group_id&consumer_id) ->
// GroupPollRequest. Query parameters only; the body is ignored.
#pragma once

#include <variant>

#include "core/protocol/codec.h"

namespace gafka {

std::variant<ApiRequest, ApiError> DecodeConsume(const HttpRequest& request,
                                                 const ApiLimits& limits);

}  // namespace gafka
