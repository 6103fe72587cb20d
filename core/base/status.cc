#include "core/base/status.h"

namespace gafka {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kOutOfRange: return "out_of_range";
    case Code::kTooLarge: return "too_large";
    case Code::kConflict: return "conflict";
    case Code::kCorruption: return "corruption";
    case Code::kIoError: return "io_error";
    case Code::kNoSpace: return "no_space";
    case Code::kUnavailable: return "unavailable";
    case Code::kTimeout: return "timeout";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace gafka
