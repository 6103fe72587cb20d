#include "runtime-real/http_wire.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace gafka::real {
namespace {

constexpr std::string_view kCrlf = "\r\n";

ParseResult Error(int status, std::string message) {
  ParseResult result;
  result.state = ParseState::kError;
  result.error_status = status;
  result.error_message = std::move(message);
  return result;
}

// The head is in, the body is not (yet).
ParseResult AwaitingBody(bool expect_continue) {
  ParseResult result;
  result.head_complete = true;
  result.expect_continue = expect_continue;
  return result;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A comma-separated header value contains `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (Lower(Trim(value.substr(0, comma))) == token) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void ParseQuery(std::string_view query, std::map<std::string, std::string>& out) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      std::string name = PercentDecode(pair.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
      out.emplace(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

enum class ChunkedState { kIncomplete, kComplete, kError };

// Decodes a chunked body starting at data[0]; on kComplete `consumed` is its
// length on the wire (trailers included). The framing is walked first and
// the body copied only once it is all there: a connection calls this again
// at every read, so a large body sent in many reads costs one copy, not one
// per read.
ChunkedState DecodeChunked(std::string_view data, size_t max_body, std::string& body,
                           size_t& consumed, int& error_status, std::string& error) {
  std::vector<std::pair<size_t, size_t>> chunks;  // (position, size) of each chunk's data
  size_t pos = 0;
  size_t total = 0;
  for (;;) {
    const size_t line_end = data.find(kCrlf, pos);
    if (line_end == std::string_view::npos) {
      if (data.size() - pos > 1024) {
        error_status = 400;
        error = "chunk size line too long";
        return ChunkedState::kError;
      }
      return ChunkedState::kIncomplete;
    }
    std::string_view line = data.substr(pos, line_end - pos);
    line = line.substr(0, line.find(';'));  // chunk extensions
    line = Trim(line);
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || ec != std::errc() || end != line.data() + line.size()) {
      error_status = 400;
      error = "bad chunk size";
      return ChunkedState::kError;
    }
    pos = line_end + kCrlf.size();
    if (size == 0) {
      // Trailer fields, then an empty line.
      for (;;) {
        const size_t trailer_end = data.find(kCrlf, pos);
        if (trailer_end == std::string_view::npos) return ChunkedState::kIncomplete;
        const bool empty = trailer_end == pos;
        pos = trailer_end + kCrlf.size();
        if (empty) break;
      }
      body.clear();
      body.reserve(total);
      for (const auto& [at, length] : chunks) body.append(data.substr(at, length));
      consumed = pos;
      return ChunkedState::kComplete;
    }
    if (size > max_body || total + size > max_body) {
      error_status = 413;
      error = "request body too large";
      return ChunkedState::kError;
    }
    if (data.size() - pos < size + kCrlf.size()) return ChunkedState::kIncomplete;
    chunks.emplace_back(pos, static_cast<size_t>(size));
    total += static_cast<size_t>(size);
    pos += static_cast<size_t>(size);
    if (data.substr(pos, kCrlf.size()) != kCrlf) {
      error_status = 400;
      error = "chunk not followed by CRLF";
      return ChunkedState::kError;
    }
    pos += kCrlf.size();
  }
}

}  // namespace

std::string_view ParsedHttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

ParseResult ParseHttpRequest(std::string_view data, const HttpWireLimits& limits) {
  const size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (data.size() > limits.max_head_bytes) {
      return Error(431, "request head over " + std::to_string(limits.max_head_bytes) + " bytes");
    }
    return ParseResult{};
  }
  if (head_end + 4 > limits.max_head_bytes) {
    return Error(431, "request head over " + std::to_string(limits.max_head_bytes) + " bytes");
  }
  ParseResult result;
  ParsedHttpRequest& request = result.request;
  std::string_view head = data.substr(0, head_end);

  // Request line.
  const size_t line_end = head.find(kCrlf);
  std::string_view line = head.substr(0, line_end);
  head = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Error(400, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar)) {
    return Error(400, "malformed request method");
  }
  if (target.empty() || target.front() != '/') return Error(400, "request target must be a path");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    if (version.substr(0, 5) == "HTTP/") return Error(505, "HTTP version not supported");
    return Error(400, "malformed HTTP version");
  }
  request.method = std::string(method);
  const size_t question = target.find('?');
  request.path = PercentDecode(target.substr(0, question), false);
  if (question != std::string_view::npos) ParseQuery(target.substr(question + 1), request.query);

  // Header fields.
  while (!head.empty()) {
    const size_t end = head.find(kCrlf);
    std::string_view field = head.substr(0, end);
    head = end == std::string_view::npos ? std::string_view() : head.substr(end + 2);
    const size_t colon = field.find(':');
    if (colon == 0 || colon == std::string_view::npos) return Error(400, "malformed header line");
    const std::string_view name = field.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
      return Error(400, "malformed header name");
    }
    request.headers.emplace_back(Lower(name), std::string(Trim(field.substr(colon + 1))));
  }

  // Connection semantics.
  const std::string_view connection = request.Header("connection");
  if (version == "HTTP/1.1") {
    request.keep_alive = !HasToken(connection, "close");
  } else {
    request.keep_alive = HasToken(connection, "keep-alive");
  }
  request.expect_continue = Lower(request.Header("expect")) == "100-continue";
  result.expect_continue = request.expect_continue;

  // Body framing.
  const size_t body_start = head_end + 4;
  std::string_view transfer_encoding;
  bool has_length = false;
  uint64_t length = 0;
  for (const auto& [name, value] : request.headers) {
    if (name == "transfer-encoding") {
      if (!transfer_encoding.empty()) return Error(400, "repeated Transfer-Encoding");
      transfer_encoding = value;
    } else if (name == "content-length") {
      uint64_t this_length = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), this_length);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
        return Error(400, "malformed Content-Length");
      }
      if (has_length && this_length != length) return Error(400, "conflicting Content-Length");
      has_length = true;
      length = this_length;
    }
  }
  if (!transfer_encoding.empty()) {
    if (has_length) return Error(400, "both Content-Length and Transfer-Encoding");
    if (Lower(transfer_encoding) != "chunked") {
      return Error(501, "unsupported Transfer-Encoding: " + std::string(transfer_encoding));
    }
    size_t consumed = 0;
    int status = 0;
    std::string message;
    switch (DecodeChunked(data.substr(body_start), limits.max_body_bytes, request.body, consumed,
                          status, message)) {
      case ChunkedState::kIncomplete:
        return AwaitingBody(result.expect_continue);
      case ChunkedState::kError:
        return Error(status, std::move(message));
      case ChunkedState::kComplete:
        result.state = ParseState::kComplete;
        result.consumed = body_start + consumed;
        return result;
    }
  }
  if (length > limits.max_body_bytes) return Error(413, "request body too large");
  if (data.size() - body_start < length) {
    return AwaitingBody(result.expect_continue);
  }
  request.body = std::string(data.substr(body_start, length));
  result.state = ParseState::kComplete;
  result.consumed = body_start + length;
  return result;
}

std::string_view ReasonPhrase(int status) {
  static constexpr std::pair<int, std::string_view> kPhrases[] = {
      {100, "Continue"},
      {200, "OK"},
      {201, "Created"},
      {204, "No Content"},
      {400, "Bad Request"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {410, "Gone"},
      {413, "Payload Too Large"},
      {421, "Misdirected Request"},
      {422, "Unprocessable Entity"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {505, "HTTP Version Not Supported"},
      {507, "Insufficient Storage"},
  };
  for (const auto& [code, phrase] : kPhrases) {
    if (code == status) return phrase;
  }
  return "Unknown";
}

void AppendHttpResponse(std::string& out, int status, std::string_view content_type,
                        std::string_view body,
                        const std::vector<std::pair<std::string, std::string>>& extra_headers,
                        bool close) {
  out.reserve(out.size() + body.size() + 160);
  out.append("HTTP/1.1 ");
  out.append(std::to_string(status));
  out.push_back(' ');
  out.append(ReasonPhrase(status));
  out.append("\r\nContent-Type: ");
  out.append(content_type);
  out.append("\r\nContent-Length: ");
  out.append(std::to_string(body.size()));
  out.append(kCrlf);
  for (const auto& [name, value] : extra_headers) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append(kCrlf);
  }
  if (close) out.append("Connection: close\r\n");
  out.append(kCrlf);
  out.append(body);
}

}  // namespace gafka::real
