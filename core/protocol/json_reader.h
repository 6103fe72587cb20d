// Checked access to request bodies parsed with nlohmann::json. nlohmann
// throws on a get<> of the wrong type; core/ may not throw, so every read
// here checks the type first and turns a mismatch into an ApiError that
// names the field ("messages[3].value must be a string, got number").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/protocol/messages.h"

namespace gafka {

using Json = nlohmann::json;

// Parses `body` without exceptions. Empty or malformed -> 40001; valid JSON
// that is not an object -> 40002.
std::variant<Json, ApiError> ParseJsonObject(std::string_view body);

// Reads the fields of one JSON object. The first error is kept; every
// accessor returns false once there is one, so decoders read straight down
// and return reader.error() at the first false. Null counts as absent.
// Strings are moved out of the tree (the tree is scratch).
class FieldReader {
 public:
  // `object` must be a JSON object; `prefix` names it in messages: "" or
  // "messages[3]." or "configs.".
  FieldReader(Json& object, std::string prefix);

  // The field's value, or nullptr when absent or null.
  Json* Find(std::string_view name);

  bool OptionalString(std::string_view name, std::optional<std::string>* out);
  bool RequiredString(std::string_view name, std::string* out);

  // Integers only (5.0 is a wrong type). Outside [min, max] -> `range_code`
  // with "<field> must be <range_text>".
  struct IntRange {
    int64_t min;
    int64_t max;
    int range_code;
    const char* range_text;
  };
  bool OptionalInt(std::string_view name, const IntRange& range, std::optional<int64_t>* out);
  bool RequiredInt(std::string_view name, const IntRange& range, int64_t* out);
  bool OptionalBool(std::string_view name, std::optional<bool>* out);

  // Records an error (the first one wins) and returns false.
  bool Fail(int error_code, std::string message);
  bool FailWrongType(std::string_view name, const char* expected, const Json& got);
  bool FailMissing(std::string_view name);
  // Takes over the error of a reader of a nested object; returns false.
  bool Adopt(FieldReader& inner);

  std::string FieldName(std::string_view name) const;
  bool ok() const { return !error_.has_value(); }
  ApiError TakeError();

 private:
  Json& object_;
  std::string prefix_;
  std::optional<ApiError> error_;
};

// Integer check shared with array elements: kOk and *out set, kWrongType
// (not an integer), or kOverflow (an integer outside int64).
enum class IntRead { kOk, kWrongType, kOverflow };
IntRead ReadInt64(const Json& value, int64_t* out);

}  // namespace gafka
