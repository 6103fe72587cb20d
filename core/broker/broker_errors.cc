#include "core/broker/broker_errors.h"

#include "core/base/check.h"
#include "core/protocol/codec.h"
#include "core/protocol/errors.h"

namespace gafka::broker_error {

ApiError UnknownTopic(const std::string& topic) {
  return MakeApiError(api_errors::kTopicNotFound, "topic '" + topic + "' does not exist");
}

ApiError UnknownPartition(const std::string& topic, PartitionId partition, int32_t partitions) {
  return MakeApiError(api_errors::kPartitionNotFound, "topic '" + topic + "' has no partition " +
                                                          std::to_string(partition.value()) +
                                                          " (it has " + std::to_string(partitions) +
                                                          ")");
}

ApiError NotImplemented(const std::string& what) {
  return MakeApiError(kNotImplemented, what + " is not implemented yet on this broker");
}

ApiError PartitionUnavailable(const Status& why) {
  CHECK_MSG(!why.ok(), "an unavailable partition has a reason");
  return MakeApiError(api_errors::kPartitionFailed, why.message());
}

ApiError ShuttingDown() {
  return MakeApiError(api_errors::kShuttingDown, "the broker is shutting down");
}

ApiError TooManyWaiters(size_t max_waiters) {
  return MakeApiError(api_errors::kUnavailable,
                      "too many parked long polls (" + std::to_string(max_waiters) +
                          "); retry later or poll with a shorter timeout");
}

ApiError FromStatus(const Status& status) {
  CHECK_MSG(!status.ok(), "an error response needs an error");
  ApiError error = ErrorFromStatus(status);
  CHECK(error.http_status >= 400 && error.error_code / 100 == error.http_status);
  return error;
}

}  // namespace gafka::broker_error
