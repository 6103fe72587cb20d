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

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Marks a status as deliberately ignored.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
inline Status OutOfRange(std::string m) { return Status(Code::kOutOfRange, std::move(m)); }
inline Status TooLarge(std::string m) { return Status(Code::kTooLarge, std::move(m)); }
inline Status Conflict(std::string m) { return Status(Code::kConflict, std::move(m)); }
inline Status Corruption(std::string m) { return Status(Code::kCorruption, std::move(m)); }
inline Status IoError(std::string m) { return Status(Code::kIoError, std::move(m)); }
inline Status NoSpace(std::string m) { return Status(Code::kNoSpace, std::move(m)); }
inline Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
inline Status Timeout(std::string m) { return Status(Code::kTimeout, std::move(m)); }
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

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
