#include "core/broker/group_requests.h"

#include <variant>

#include "core/base/check.h"
#include "core/broker/broker_errors.h"

namespace gafka {

bool IsGroupRequest(const ApiRequest& request) {
  return std::visit([](const auto& r) { return kIsGroupRequest<std::decay_t<decltype(r)>>; },
                    request);
}

void UnimplementedGroupHandler::Handle(ApiRequest request, std::function<void(ApiResponse)> done) {
  CHECK(done != nullptr);
  CHECK_MSG(IsGroupRequest(request), "only group requests are routed here");
  done(broker_error::NotImplemented(
      "consumer groups (group poll, join, leave, heartbeat, offset commit/fetch, group status)"
      "; use a direct fetch by topic, partition and offset meanwhile"));
}

}  // namespace gafka
