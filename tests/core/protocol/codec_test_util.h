// Helpers for the protocol tests: build HttpRequests, decode expecting a
// request type or an error.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <variant>

#include "core/protocol/codec.h"

namespace gafka::testing {

inline HttpRequest Request(std::string method, std::string path, std::string body = "",
                           std::map<std::string, std::string> query = {}) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.body = std::move(body);
  request.query = std::move(query);
  return request;
}

inline HttpRequest Post(std::string path, std::string body,
                        std::map<std::string, std::string> query = {}) {
  return Request("POST", std::move(path), std::move(body), std::move(query));
}

inline HttpRequest Get(std::string path, std::map<std::string, std::string> query = {}) {
  return Request("GET", std::move(path), "", std::move(query));
}

// Decodes, expecting a request of type T.
template <typename T>
T DecodeAs(const HttpRequest& http, const ApiLimits& limits = ApiLimits{}) {
  auto decoded = DecodeRequest(http, limits);
  if (auto* error = std::get_if<ApiError>(&decoded)) {
    ADD_FAILURE() << http.method << " " << http.path << " failed: " << error->error_code << " "
                  << error->message;
    return T{};
  }
  const ApiRequest& request = std::get<ApiRequest>(decoded);
  if (!std::holds_alternative<T>(request)) {
    ADD_FAILURE() << http.method << " " << http.path << " decoded to variant index "
                  << request.index();
    return T{};
  }
  return std::get<T>(request);
}

// Decodes, expecting an error.
inline ApiError DecodeError(const HttpRequest& http, const ApiLimits& limits = ApiLimits{}) {
  auto decoded = DecodeRequest(http, limits);
  if (!std::holds_alternative<ApiError>(decoded)) {
    ADD_FAILURE() << http.method << " " << http.path << " body " << http.body
                  << " decoded without error";
    return ApiError{};
  }
  return std::get<ApiError>(decoded);
}

}  // namespace gafka::testing

// Expects an error with this code whose message contains `needle`.
#define EXPECT_API_ERROR(http, code, needle)                            \
  do {                                                                  \
    const ::gafka::ApiError _e = ::gafka::testing::DecodeError(http);   \
    EXPECT_EQ(_e.error_code, (code)) << _e.message;                     \
    EXPECT_EQ(_e.http_status, (code) / 100);                            \
    EXPECT_NE(_e.message.find(needle), std::string::npos)               \
        << "message '" << _e.message << "' lacks '" << (needle) << "'"; \
  } while (0)
