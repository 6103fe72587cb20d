// POST /api/v1/produce: the single form {"topic","key","value",...} and the
// batch form {"topic","messages":[...]} -> ProduceRequest (docs/api.md).
// Runs on HTTP threads at up to ~300k messages/s: strings are moved out of
// the parsed tree, never copied.
#pragma once

#include <variant>

#include "core/protocol/codec.h"

namespace gafka {

std::variant<ApiRequest, ApiError> DecodeProduce(const HttpRequest& request,
                                                 const ApiLimits& limits);

}  // namespace gafka
