// Errors are values inside core/: Status for "did it work", Result<T> for
// "a T or why not". No exceptions cross a core/ function boundary.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/base/check.h"

namespace gafka {

// One error code space for the whole core. Each module uses the subset that
// fits; the HTTP layer maps codes to status codes in one place
// (core/protocol/errors.h).
enum class Code {
  kOk = 0,
  kInvalidArgument,    // bad input from a client
  kNotFound,           // unknown topic / partition / group / member / file
  kAlreadyExists,      // topic exists, file exists
  kOutOfRange,         // offset outside [log start, log end]
  kTooLarge,           // value or request over a limit
  kConflict,           // not the owner, stale generation, not the leader, poll in flight
  kCorruption,         // CRC failure before the tail; data refused
  kIoError,            // EIO from the disk, failed fsync (permanent for the file)
  kNoSpace,            // ENOSPC
  kUnavailable,        // not enough in-sync replicas, shutting down, log failed
  kTimeout,            // deadline passed
  kInternal,           // a bug that was caught without aborting
};

const char* CodeName(Code code);

// Optional refinement of a Code, so the HTTP layer can pick the precise
// error_code (status*100 + detail; docs/api.md). 0 means "no refinement".
// The meaning of a detail depends on its Code: pass the constant named for
// the Code you return, e.g. NotFound("no topic x", kDetailTopicNotFound).
// Values are kept in 1..99.
// kNotFound
inline constexpr int kDetailTopicNotFound = 1;      // 40401
inline constexpr int kDetailPartitionNotFound = 2;  // 40402
inline constexpr int kDetailGroupNotFound = 3;      // 40403
inline constexpr int kDetailMemberNotFound = 4;     // 40404
// kConflict
inline constexpr int kDetailNotOwner = 1;           // 40901 partition not owned in this generation
inline constexpr int kDetailStaleGeneration = 2;    // 40902
inline constexpr int kDetailNotLeader = 3;          // 40903 (set ApiError::leader_hint too)
inline constexpr int kDetailPollInFlight = 4;       // 40904 a second long poll of one member
inline constexpr int kDetailAlreadyExists = 5;      // 40905 (the default for kAlreadyExists)
// kUnavailable
inline constexpr int kDetailNotEnoughReplicas = 1;  // 50301 fewer in-sync replicas than required
inline constexpr int kDetailShuttingDown = 2;       // 50302
inline constexpr int kDetailPartitionFailed = 3;    // 50303 log refused service (disk, fenced)
// kTooLarge
inline constexpr int kDetailMessageTooLarge = 1;    // 41301 one message over max.message.bytes
inline constexpr int kDetailRequestTooLarge = 2;    // 41302 a request body over the cap

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(Code code, std::string message, int detail)
      : code_(code), message_(std::move(message)), detail_(detail) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The refinement of code() (kDetail* above), 0 when none.
  int detail() const { return detail_; }
  std::string ToString() const;

  // Marks a status as deliberately ignored.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
  int detail_ = 0;
};

inline Status InvalidArgument(std::string m, int detail = 0) {
  return Status(Code::kInvalidArgument, std::move(m), detail);
}
inline Status NotFound(std::string m, int detail = 0) {
  return Status(Code::kNotFound, std::move(m), detail);
}
inline Status AlreadyExists(std::string m, int detail = 0) {
  return Status(Code::kAlreadyExists, std::move(m), detail);
}
inline Status OutOfRange(std::string m, int detail = 0) {
  return Status(Code::kOutOfRange, std::move(m), detail);
}
inline Status TooLarge(std::string m, int detail = 0) {
  return Status(Code::kTooLarge, std::move(m), detail);
}
inline Status Conflict(std::string m, int detail = 0) {
  return Status(Code::kConflict, std::move(m), detail);
}
inline Status Corruption(std::string m, int detail = 0) {
  return Status(Code::kCorruption, std::move(m), detail);
}
inline Status IoError(std::string m, int detail = 0) {
  return Status(Code::kIoError, std::move(m), detail);
}
inline Status NoSpace(std::string m, int detail = 0) {
  return Status(Code::kNoSpace, std::move(m), detail);
}
inline Status Unavailable(std::string m, int detail = 0) {
  return Status(Code::kUnavailable, std::move(m), detail);
}
inline Status Timeout(std::string m, int detail = 0) {
  return Status(Code::kTimeout, std::move(m), detail);
}
inline Status Internal(std::string m, int detail = 0) {
  return Status(Code::kInternal, std::move(m), detail);
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    CHECK_MSG(!std::get<Status>(v_).ok(), "a Result built from a Status must carry an error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    CHECK_MSG(ok(), "value() of a failed Result");
    return std::get<T>(v_);
  }
  const T& value() const& {
    CHECK_MSG(ok(), "value() of a failed Result");
    return std::get<T>(v_);
  }
  T&& value() && {
    CHECK_MSG(ok(), "value() of a failed Result");
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace gafka

#define GAFKA_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::gafka::Status _st = (expr);          \
    if (!_st.ok()) return _st;             \
  } while (0)

#define GAFKA_CONCAT_INNER(a, b) a##b
#define GAFKA_CONCAT(a, b) GAFKA_CONCAT_INNER(a, b)
#define GAFKA_ASSIGN_OR_RETURN(lhs, expr) \
  GAFKA_ASSIGN_OR_RETURN_IMPL(GAFKA_CONCAT(_result_, __LINE__), lhs, expr)
#define GAFKA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
