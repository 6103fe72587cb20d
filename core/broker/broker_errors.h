// The error envelopes the broker answers with. Codes come from the API's
// table (core/protocol/errors.h, docs/api.md); generic failures go through
// the codec's ErrorFromStatus so the whole API maps a Status one way.
#pragma once

#include <string>

#include "core/base/status.h"
#include "core/protocol/messages.h"

namespace gafka::broker_error {

// Not in the shared table yet: group requests before core/group exists.
inline constexpr int kNotImplemented = 50101;

ApiError UnknownTopic(const std::string& topic);  // 40401
ApiError UnknownPartition(const std::string& topic, PartitionId partition,
                          int32_t partitions);     // 40402
ApiError NotImplemented(const std::string& what);  // 50101
// `why`: the Partition::Serviceable() status or the failed sync.
ApiError PartitionUnavailable(const Status& why);  // 50303
ApiError ShuttingDown();                           // 50302
ApiError TooManyWaiters(size_t max_waiters);       // 50300
// Any other Status, through the codec's mapping.
ApiError FromStatus(const Status& status);

}  // namespace gafka::broker_error
