#include "core/protocol/json_reader.h"

#include <limits>
#include <utility>

#include "core/protocol/errors.h"

namespace gafka {

std::variant<Json, ApiError> ParseJsonObject(std::string_view body) {
  if (body.empty()) {
    return MakeApiError(api_errors::kMalformedJson,
                        "request body is empty; expected a JSON object");
  }
  // allow_exceptions = false: a parse error yields a "discarded" value.
  Json parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return MakeApiError(api_errors::kMalformedJson, "request body is not valid JSON");
  }
  if (!parsed.is_object()) {
    return MakeApiError(
        api_errors::kWrongType,
        std::string("request body must be a JSON object, got ") + parsed.type_name());
  }
  return parsed;
}

IntRead ReadInt64(const Json& value, int64_t* out) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return IntRead::kOverflow;
    *out = static_cast<int64_t>(u);
    return IntRead::kOk;
  }
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return IntRead::kOk;
  }
  return IntRead::kWrongType;
}

FieldReader::FieldReader(Json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {
  CHECK(object_.is_object());
}

Json* FieldReader::Find(std::string_view name) {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string FieldReader::FieldName(std::string_view name) const {
  std::string field = prefix_;
  field.append(name);
  return field;
}

bool FieldReader::Fail(int error_code, std::string message) {
  if (!error_) error_ = MakeApiError(error_code, std::move(message));
  return false;
}

bool FieldReader::FailWrongType(std::string_view name, const char* expected, const Json& got) {
  return Fail(api_errors::kWrongType,
              FieldName(name) + " must be " + expected + ", got " + got.type_name());
}

bool FieldReader::FailMissing(std::string_view name) {
  return Fail(api_errors::kMissingField, "missing required field " + FieldName(name));
}

bool FieldReader::Adopt(FieldReader& inner) {
  CHECK_MSG(!inner.ok(), "Adopt of a reader without an error");
  ApiError error = inner.TakeError();
  return Fail(error.error_code, std::move(error.message));
}

ApiError FieldReader::TakeError() {
  CHECK_MSG(error_.has_value(), "TakeError without an error");
  return std::move(*error_);
}

bool FieldReader::OptionalString(std::string_view name, std::optional<std::string>* out) {
  if (!ok()) return false;
  Json* value = Find(name);
  if (value == nullptr) return true;
  if (!value->is_string()) return FailWrongType(name, "a string", *value);
  *out = std::move(value->get_ref<std::string&>());
  return true;
}

bool FieldReader::RequiredString(std::string_view name, std::string* out) {
  if (!ok()) return false;
  Json* value = Find(name);
  if (value == nullptr) return FailMissing(name);
  if (!value->is_string()) return FailWrongType(name, "a string", *value);
  *out = std::move(value->get_ref<std::string&>());
  return true;
}

bool FieldReader::OptionalInt(std::string_view name, const IntRange& range,
                              std::optional<int64_t>* out) {
  if (!ok()) return false;
  Json* value = Find(name);
  if (value == nullptr) return true;
  int64_t v = 0;
  const IntRead read = ReadInt64(*value, &v);
  if (read == IntRead::kWrongType) return FailWrongType(name, "an integer", *value);
  if (read == IntRead::kOverflow || v < range.min || v > range.max) {
    return Fail(range.range_code, FieldName(name) + " must be " + range.range_text);
  }
  *out = v;
  return true;
}

bool FieldReader::RequiredInt(std::string_view name, const IntRange& range, int64_t* out) {
  if (!ok()) return false;
  if (Find(name) == nullptr) return FailMissing(name);
  std::optional<int64_t> v;
  if (!OptionalInt(name, range, &v)) return false;
  *out = *v;
  return true;
}

bool FieldReader::OptionalBool(std::string_view name, std::optional<bool>* out) {
  if (!ok()) return false;
  Json* value = Find(name);
  if (value == nullptr) return true;
  if (!value->is_boolean()) return FailWrongType(name, "a boolean", *value);
  *out = value->get<bool>();
  return true;
}

}  // namespace gafka
