// gafka-bench restart on a small fill: the benchmark itself checks that a
// real broker, SIGKILLed while producers send, comes back serving the last
// acknowledged record of every partition. Asserts the run succeeded and
// reported its figures; it does not judge the timing (rule 6: performance is
// read from the benchmark's output, never asserted by a test).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/util/broker_process.h"

namespace gafka {
namespace {

using testing::ProcessResult;
using testing::RunTool;
using testing::TempDir;

std::string LastLine(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

TEST(RestartBench, KilledBrokerServesTheLastAcknowledgedRecordsAfterRestart) {
  TempDir dir;
  ProcessResult run = RunTool(
      "bench", {"restart", "--gib", "0.02", "--batch", "100", "--dir", dir.path()}, "", 120'000);
  ASSERT_FALSE(run.timed_out);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto json = nlohmann::json::parse(LastLine(run.out), nullptr, false);
  ASSERT_TRUE(json.is_object()) << run.out;
  EXPECT_EQ(json.value("bench", ""), "restart");
  EXPECT_GE(json.value("gib_acked", 0.0), 0.02);
  EXPECT_GT(json.value("messages_acked", 0), 0);
  EXPECT_GT(json.value("serving_ms", 0.0), 0.0);
  EXPECT_GE(json.value("serving_ms", 0.0), json.value("healthy_ms", 0.0));
}

}  // namespace
}  // namespace gafka
