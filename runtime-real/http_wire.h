// HTTP/1.1 on the wire, for the broker's own server (runtime-real/http_server):
// parsing requests out of a connection's input bytes, and writing responses.
// Pure functions of their arguments: no sockets, no threads.
//
// What is accepted (RFC 9112, the subset a broker's clients use):
// - request line "METHOD SP origin-form SP HTTP/1.0|HTTP/1.1" CRLF; header
//   lines "name: value" CRLF; an empty line;
// - a body framed by Content-Length, or by "Transfer-Encoding: chunked"
//   (chunk extensions and trailers are skipped); no body otherwise;
// - keep-alive by default on HTTP/1.1 ("Connection: close" ends it), off by
//   default on HTTP/1.0 ("Connection: keep-alive" keeps it);
// - "Expect: 100-continue" is reported, so the server can answer 100 before
//   the body is sent.
// Anything else is an error with the status to answer (400, 413, 431, 501,
// 505), after which the server closes the connection: its framing is lost.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gafka::real {

struct HttpWireLimits {
  size_t max_head_bytes = 64 * 1024;  // request line + headers (431 past it)
  size_t max_body_bytes = 2 << 20;    // decoded body (413 past it)
};

struct ParsedHttpRequest {
  std::string method;
  std::string path;  // percent-decoded, without the query
  // Percent-decoded ("+" is a space); a repeated name keeps its first value.
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
  bool expect_continue = false;

  // The first value of a header (name lower-case), or "".
  std::string_view Header(std::string_view name) const;
};

enum class ParseState {
  kIncomplete,  // need more bytes; `head_complete` says whether the head is in
  kComplete,    // `request` is set; `consumed` bytes belong to it
  kError,       // answer `error_status` with `error_message`, then close
};

struct ParseResult {
  ParseState state = ParseState::kIncomplete;
  size_t consumed = 0;
  bool head_complete = false;  // with kIncomplete: waiting for the body only
  bool expect_continue = false;
  int error_status = 0;
  std::string error_message;
  ParsedHttpRequest request;
};

// Parses the first request in `data` (a connection's unconsumed input).
// Idempotent: call again with more bytes appended until it is not
// kIncomplete. Cost is linear in the bytes of the request.
ParseResult ParseHttpRequest(std::string_view data, const HttpWireLimits& limits);

// "%41+b" -> "A b" when `plus_is_space`; a malformed escape stays as is.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// The reason phrase of a status code ("OK", "Not Found", ...).
std::string_view ReasonPhrase(int status);

// Appends a whole response to `out`: status line, Content-Type,
// Content-Length, `extra_headers` (each "Name: value"), "Connection: close"
// when `close`, and the body.
void AppendHttpResponse(std::string& out, int status, std::string_view content_type,
                        std::string_view body,
                        const std::vector<std::pair<std::string, std::string>>& extra_headers,
                        bool close);

}  // namespace gafka::real
