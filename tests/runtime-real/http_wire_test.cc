// runtime-real/http_wire: parsing requests out of a connection's bytes, and
// writing responses.
#include "runtime-real/http_wire.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace gafka::real {
namespace {

ParseResult Parse(const std::string& data, HttpWireLimits limits = {}) {
  return ParseHttpRequest(data, limits);
}

TEST(HttpWire, ParsesARequestWithContentLength) {
  const std::string wire =
      "POST /api/v1/produce?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
      "Content-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n";
  ParseResult result = Parse(wire);
  ASSERT_EQ(result.state, ParseState::kComplete);
  EXPECT_EQ(result.request.method, "POST");
  EXPECT_EQ(result.request.path, "/api/v1/produce");
  EXPECT_EQ(result.request.query.at("x"), "1");
  EXPECT_EQ(result.request.body, "hello");
  EXPECT_EQ(result.request.Header("content-type"), "application/json");
  EXPECT_TRUE(result.request.keep_alive);
  // The pipelined request after it is not consumed.
  EXPECT_EQ(wire.substr(result.consumed), "GET / HTTP/1.1\r\n\r\n");
}

TEST(HttpWire, EveryPrefixOfARequestIsIncomplete) {
  const std::string wire = "POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_EQ(Parse(wire.substr(0, n)).state, ParseState::kIncomplete) << n;
  }
  EXPECT_EQ(Parse(wire).state, ParseState::kComplete);
}

TEST(HttpWire, QueryAndPathArePercentDecodedAndTheFirstRepeatWins) {
  ParseResult result = Parse("GET /a%2Fb?topic=my%2Dtopic&q=a+b&topic=other&flag HTTP/1.1\r\n\r\n");
  ASSERT_EQ(result.state, ParseState::kComplete);
  EXPECT_EQ(result.request.path, "/a/b");
  EXPECT_EQ(result.request.query.at("topic"), "my-topic");
  EXPECT_EQ(result.request.query.at("q"), "a b");
  EXPECT_EQ(result.request.query.at("flag"), "");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");  // malformed escapes stay
}

TEST(HttpWire, ChunkedBodyIsDecoded) {
  const std::string wire =
      "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
  ParseResult result = Parse(wire);
  ASSERT_EQ(result.state, ParseState::kComplete);
  EXPECT_EQ(result.request.body, "hello world");
  EXPECT_EQ(result.consumed, wire.size());
  EXPECT_EQ(Parse(wire.substr(0, wire.size() - 2)).state, ParseState::kIncomplete);
}

TEST(HttpWire, ConnectionSemanticsFollowTheVersion) {
  EXPECT_TRUE(Parse("GET / HTTP/1.1\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keep_alive);
}

TEST(HttpWire, ExpectContinueIsReportedOnceTheHeadIsIn) {
  ParseResult result =
      Parse("POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(result.state, ParseState::kIncomplete);
  EXPECT_TRUE(result.head_complete);
  EXPECT_TRUE(result.expect_continue);
}

TEST(HttpWire, BadRequestsGetPreciseStatuses) {
  EXPECT_EQ(Parse("garbage\r\n\r\n").error_status, 400);
  EXPECT_EQ(Parse("GET  / HTTP/1.1\r\n\r\n").error_status, 400);
  EXPECT_EQ(Parse("GET http://x/ HTTP/1.1\r\n\r\n").error_status, 400);
  EXPECT_EQ(Parse("GET / HTTP/2.0\r\n\r\n").error_status, 505);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nno colon\r\n\r\n").error_status, 400);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n").error_status, 400);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").error_status,
            400);
  EXPECT_EQ(
      Parse("GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").error_status,
      400);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").error_status, 501);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").error_status, 400);
  HttpWireLimits small;
  small.max_head_bytes = 64;
  small.max_body_bytes = 10;
  EXPECT_EQ(Parse("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n", small).error_status, 431);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", small).error_status, 413);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n", small).error_status,
            413);
  for (const char* bad : {"garbage\r\n\r\n", "GET / HTTP/2.0\r\n\r\n"}) {
    EXPECT_EQ(Parse(bad).state, ParseState::kError) << bad;
    EXPECT_FALSE(Parse(bad).error_message.empty()) << bad;
  }
}

TEST(HttpWire, ResponseCarriesLengthTypeHeadersAndClose) {
  std::string out;
  AppendHttpResponse(out, 409, "application/json", "{}", {{"X-Gafka-Leader", "h:1"}}, true);
  EXPECT_EQ(out,
            "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            "X-Gafka-Leader: h:1\r\nConnection: close\r\n\r\n{}");
  EXPECT_EQ(ReasonPhrase(599), "Unknown");
}

// However a stream of pipelined requests is cut into reads, feeding it read
// by read (as a connection does) yields the same requests.
RC_GTEST_PROP(HttpWire, SplitsOfAPipelinedStreamParseTheSame, ()) {
  const auto bodies = *rc::gen::container<std::vector<std::string>>(
      *rc::gen::inRange<size_t>(1, 5), rc::gen::container<std::string>(rc::gen::character<char>()));
  const bool chunked = *rc::gen::arbitrary<bool>();
  std::string wire;
  for (const std::string& body : bodies) {
    if (chunked) {
      wire += "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
      if (!body.empty()) {
        char size[32];
        std::snprintf(size, sizeof(size), "%zx", body.size());
        wire += std::string(size) + "\r\n" + body + "\r\n";
      }
      wire += "0\r\n\r\n";
    } else {
      wire += "POST /p HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
              body;
    }
  }
  const auto cuts = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, wire.size() + 1));
  std::vector<size_t> sorted = cuts;
  std::sort(sorted.begin(), sorted.end());
  sorted.push_back(wire.size());
  std::string buffer;
  std::vector<std::string> parsed;
  size_t fed = 0;
  for (size_t cut : sorted) {
    buffer += wire.substr(fed, cut - fed);
    fed = cut;
    for (;;) {
      ParseResult result = ParseHttpRequest(buffer, HttpWireLimits{});
      RC_ASSERT(result.state != ParseState::kError);
      if (result.state == ParseState::kIncomplete) break;
      parsed.push_back(result.request.body);
      buffer.erase(0, result.consumed);
    }
  }
  RC_ASSERT(parsed == bodies);
  RC_ASSERT(buffer.empty());
}

}  // namespace
}  // namespace gafka::real
