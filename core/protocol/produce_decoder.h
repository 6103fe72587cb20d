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

// The two implementations behind DecodeProduce, with the same rules and
// messages. nlohmann is always there; simdjson (about 20x faster) is used
// when the build defines GAFKA_WITH_SIMDJSON and links simdjson, for bodies
// up to kSimdjsonMaxBodyBytes (its buffers take ~14x the body).
std::variant<ApiRequest, ApiError> DecodeProduceNlohmann(const HttpRequest& request,
                                                         const ApiLimits& limits);
#ifdef GAFKA_WITH_SIMDJSON
inline constexpr size_t kSimdjsonMaxBodyBytes = 4u << 20;
std::variant<ApiRequest, ApiError> DecodeProduceSimdjson(const HttpRequest& request,
                                                         const ApiLimits& limits);
#endif

}  // namespace gafka
