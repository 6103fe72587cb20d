// Throughput of the hot paths, for core/protocol/README.md. Disabled by
// default (timings are not pass/fail); run with
//   gafka_core_tests --gtest_also_run_disabled_tests --gtest_filter='CodecBenchmark.*'
// Times are process CPU time, so a loaded machine slows the numbers less
// than wall time would (cache effects remain).
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/protocol/codec.h"
#include "core/protocol/fetch_encoder.h"

namespace gafka {
namespace {

template <typename Fn>
double SecondsFor(int iterations, Fn fn) {
  const std::clock_t start = std::clock();
  for (int i = 0; i < iterations; ++i) fn(i);
  return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
}

HttpRequest ProduceBody(int messages, size_t value_bytes) {
  HttpRequest http;
  http.method = "POST";
  http.path = "/api/v1/produce";
  const std::string value(value_bytes, 'a');
  if (messages == 0) {
    http.body = R"({"topic":"test-topic","key":"test-123","value":")" + value + "\"}";
    return http;
  }
  http.body = R"({"topic":"test-topic","messages":[)";
  for (int i = 0; i < messages; ++i) {
    if (i > 0) http.body += ",";
    http.body += R"({"key":"test-)" + std::to_string(i) + R"(","value":")" + value + "\"}";
  }
  http.body += "]}";
  return http;
}

void BenchDecode(const char* name, int messages, size_t value_bytes, int iterations) {
  const HttpRequest http = ProduceBody(messages, value_bytes);
  const ApiLimits limits;
  size_t decoded = 0;
  const double seconds = SecondsFor(iterations, [&](int) {
    auto result = DecodeRequest(http, limits);
    decoded += std::get<ProduceRequest>(std::get<ApiRequest>(result)).messages.size();
  });
  std::printf("%-40s %10.0f msg/s  %8.1f MB/s of JSON\n", name, decoded / seconds,
              http.body.size() * iterations / seconds / 1e6);
}

FetchResponse MakeFetch(int records, size_t value_bytes) {
  FetchResponse response;
  response.topic = "test-topic";
  for (int i = 0; i < records; ++i) {
    Record r;
    r.offset = Offset(i);
    r.timestamp_ms = 1700000000000 + i;
    r.key = "test-" + std::to_string(i);
    r.value = std::string(value_bytes, 'a');
    r.headers = {{"trace", "abc"}};
    response.records.push_back({"test-topic", PartitionId(0), std::move(r)});
  }
  return response;
}

// The same document built as an nlohmann tree, for comparison.
std::string EncodeWithNlohmann(const FetchResponse& response) {
  nlohmann::json records = nlohmann::json::array();
  for (const ConsumedRecord& c : response.records) {
    nlohmann::json headers = nlohmann::json::array();
    for (const RecordHeader& h : c.record.headers)
      headers.push_back({{"key", h.key}, {"value", h.value}});
    records.push_back({{"topic", c.topic},
                       {"partition", c.partition.value()},
                       {"offset", c.record.offset.value()},
                       {"timestamp", c.record.timestamp_ms},
                       {"key", c.record.key ? nlohmann::json(*c.record.key) : nlohmann::json()},
                       {"value", c.record.value},
                       {"headers", headers}});
  }
  nlohmann::json body = {{"topic", response.topic}, {"records", records}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(CodecBenchmark, DISABLED_ProduceDecode) {
  BenchDecode("decode single 1 KiB (wrk body)", 0, 1024, 200000);
  BenchDecode("decode batch 100 x 1 KiB", 100, 1024, 2000);
  BenchDecode("decode batch 1000 x 100 B", 1000, 100, 200);
}

TEST(CodecBenchmark, DISABLED_FetchEncode) {
  for (size_t value_bytes : {100u, 1024u}) {
    const FetchResponse response = MakeFetch(1000, value_bytes);
    size_t bytes = 0;
    const int iterations = 200;
    double seconds =
        SecondsFor(iterations, [&](int) { bytes += EncodeResponse(response).body.size(); });
    std::printf("encode fetch 1000 x %4zu B, by hand      %10.0f rec/s  %8.1f MB/s\n", value_bytes,
                1000 * iterations / seconds, bytes / seconds / 1e6);
    bytes = 0;
    seconds = SecondsFor(iterations, [&](int) { bytes += EncodeWithNlohmann(response).size(); });
    std::printf("encode fetch 1000 x %4zu B, nlohmann tree %10.0f rec/s  %8.1f MB/s\n", value_bytes,
                1000 * iterations / seconds, bytes / seconds / 1e6);
  }
  FetchResponse binary = MakeFetch(1000, 1024);
  for (ConsumedRecord& c : binary.records) c.record.value[0] = '\xff';
  size_t bytes = 0;
  const double seconds = SecondsFor(200, [&](int) { bytes += EncodeResponse(binary).body.size(); });
  std::printf("encode fetch 1000 x 1024 B, non-UTF-8    %10.0f rec/s  %8.1f MB/s\n",
              1000 * 200 / seconds, bytes / seconds / 1e6);
}

}  // namespace
}  // namespace gafka
