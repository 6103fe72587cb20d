#include "core/protocol/errors.h"

#include <utility>

#include "core/protocol/codec.h"

namespace gafka {
namespace {

struct Mapping {
  int http_status;
  int default_n;  // used when the Status carries no detail
};

Mapping MappingFor(Code code) {
  switch (code) {
    case Code::kOk:
      return {500, 1};
    case Code::kInvalidArgument:
      return {400, 0};
    case Code::kNotFound:
      return {404, 0};
    case Code::kAlreadyExists:
      return {409, kDetailAlreadyExists};
    // An offset outside [log start, log end] is a bad request, not a missing
    // resource: 400 keeps 404 meaning "no such topic/partition/group".
    case Code::kOutOfRange:
      return {400, 13};
    case Code::kTooLarge:
      return {413, 0};
    case Code::kConflict:
      return {409, 0};
    case Code::kCorruption:
      return {503, 4};
    case Code::kIoError:
      return {503, 5};
    case Code::kNoSpace:
      return {503, 5};
    case Code::kUnavailable:
      return {503, 0};
    // The broker waited on others (replicas) past a deadline: like a gateway.
    case Code::kTimeout:
      return {504, 1};
    case Code::kInternal:
      return {500, 1};
  }
  return {500, 1};
}

}  // namespace

ApiError MakeApiError(int error_code, std::string message) {
  CHECK_MSG(error_code >= 40000 && error_code < 60000, "error_code must be status*100+n");
  ApiError error;
  error.http_status = error_code / 100;
  error.error_code = error_code;
  error.message = std::move(message);
  return error;
}

ApiError ErrorFromStatus(const Status& status) {
  if (status.ok()) {
    return MakeApiError(api_errors::kInternal, "internal: an ok status was reported as an error");
  }
  const Mapping mapping = MappingFor(status.code());
  const int n =
      (status.detail() >= 1 && status.detail() <= 99) ? status.detail() : mapping.default_n;
  ApiError error;
  error.http_status = mapping.http_status;
  error.error_code = mapping.http_status * 100 + n;
  error.message = status.message().empty() ? CodeName(status.code()) : status.message();
  CHECK(error.error_code / 100 == error.http_status);
  return error;
}

}  // namespace gafka
