// The HTTP boundary, as plain data. runtime-real converts cpp-httplib
// requests to HttpRequest and HttpResponse back; the simulator sends the same
// structs over SimNetwork. Everything between is core code:
//
//   HttpRequest --Decode (any thread, pure)--> ApiRequest
//   ApiRequest  --Broker::Execute (loop)-----> ApiResponse
//   ApiResponse --Encode (any thread, pure)--> HttpResponse
//
// Decode/Encode are pure functions so the HTTP threads can run them in
// parallel while the loop thread only executes.
#pragma once

#include <map>
#include <string>

namespace gafka {

struct HttpRequest {
  std::string method;                        // "GET", "POST", "DELETE", ...
  std::string path;                          // "/api/v1/produce" (no query string)
  std::map<std::string, std::string> query;  // decoded query parameters
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Set on 409 "not the leader" answers: where the leader is (host:port).
  std::string leader_hint;
};

}  // namespace gafka
