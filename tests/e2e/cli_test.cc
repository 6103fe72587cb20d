// End-to-end tests of the command-line tools (gafka-admin, -producer,
// -consumer, -broker) against a real broker, run as separate processes.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "runtime-real/client.h"
#include "tests/util/broker_process.h"

namespace gafka {
namespace {

using Json = nlohmann::json;
using testing::BrokerOptions;
using testing::BrokerProcess;
using testing::ProcessResult;
using testing::RunTool;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = BrokerProcess::Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    broker_ = std::move(started).value();
    flag_ = "--broker=" + broker_->address();
  }
  ProcessResult Tool(const std::string& tool, std::vector<std::string> args,
                     const std::string& input = "") {
    args.push_back(flag_);
    return RunTool(tool, args, input, 30'000);
  }
  std::unique_ptr<BrokerProcess> broker_;
  std::string flag_;
};

TEST_F(CliTest, SpecQuickStartCreateProduceConsume) {
  ProcessResult created = Tool("admin", {"create-topic", "--name=test-topic", "--partitions=2"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("created topic test-topic"), std::string::npos) << created.out;

  ProcessResult produced =
      Tool("producer", {"--topic=test-topic", "--message=Hello World", "--key=user123"});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  EXPECT_NE(produced.err.find("1 message acked"), std::string::npos) << produced.err;

  ProcessResult consumed = Tool(
      "consumer", {"--topic=test-topic", "--from-beginning", "--exit-at-end", "--format=json"});
  ASSERT_EQ(consumed.exit_code, 0) << consumed.err;
  auto lines = Lines(consumed.out);
  ASSERT_EQ(lines.size(), 1u) << consumed.out;
  Json record = Json::parse(lines[0]);
  EXPECT_EQ(record["topic"], "test-topic");
  EXPECT_EQ(record["key"], "user123");
  EXPECT_EQ(record["value"], "Hello World");
  EXPECT_EQ(record["offset"], 0);
  EXPECT_TRUE(record["timestamp"].is_number_integer());
  EXPECT_EQ(record["headers"], Json::array());

  ProcessResult value_only =
      Tool("consumer", {"--topic=test-topic", "--partition=" + record["partition"].dump(),
                        "--offset=0", "--exit-at-end"});
  ASSERT_EQ(value_only.exit_code, 0) << value_only.err;
  EXPECT_EQ(value_only.out, "Hello World\n");
}

TEST_F(CliTest, FlagsWorkWithSpaceSeparatedValuesToo) {
  ProcessResult created = Tool("admin", {"create-topic", "--name", "spaced", "--partitions", "3"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ProcessResult produced = Tool(
      "producer", {"--topic", "spaced", "--message", "v", "--partition", "2", "--acks", "all"});
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  ProcessResult described = Tool("admin", {"describe-topic", "--name", "spaced"});
  ASSERT_EQ(described.exit_code, 0) << described.err;
  auto lines = Lines(described.out);
  ASSERT_GE(lines.size(), 5u) << described.out;
  std::istringstream header(lines[1]);
  std::vector<std::string> columns;
  for (std::string c; header >> c;) columns.push_back(c);
  EXPECT_EQ(columns, (std::vector<std::string>{"PARTITION", "EARLIEST", "LATEST", "HIGH-WATERMARK",
                                               "SIZE", "STATUS"}));
  std::istringstream row(lines[4]);  // partition 2
  std::string partition, earliest, latest, hw, size, status;
  row >> partition >> earliest >> latest >> hw >> size >> status;
  EXPECT_EQ(partition, "2");
  EXPECT_EQ(latest, "1");
  EXPECT_EQ(hw, "1");
  EXPECT_EQ(status, "ok");
}

TEST_F(CliTest, AdminListDescribeDeleteWithAndWithoutJson) {
  ASSERT_EQ(Tool("admin", {"create-topic", "--name=a", "--partitions=1", "--retention-ms=60000"})
                .exit_code,
            0);
  ASSERT_EQ(Tool("admin", {"create-topic", "--name=b", "--partitions=4"}).exit_code, 0);

  ProcessResult list = Tool("admin", {"list-topics"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("TOPIC"), std::string::npos);
  EXPECT_NE(list.out.find("a "), std::string::npos);

  ProcessResult list_json = Tool("admin", {"list-topics", "--json"});
  ASSERT_EQ(list_json.exit_code, 0);
  Json topics = Json::parse(list_json.out)["topics"];
  ASSERT_EQ(topics.size(), 2u);

  ProcessResult describe_json = Tool("admin", {"describe-topic", "--name=a", "--json"});
  ASSERT_EQ(describe_json.exit_code, 0);
  Json a = Json::parse(describe_json.out);
  EXPECT_EQ(a["configs"]["retention.ms"], 60000);
  EXPECT_EQ(a["partition_info"].size(), 1u);

  ProcessResult again = Tool("admin", {"create-topic", "--name=a", "--partitions=1"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("409"), std::string::npos) << again.err;

  ASSERT_EQ(Tool("admin", {"delete-topic", "--name=a"}).exit_code, 0);
  ProcessResult missing = Tool("admin", {"describe-topic", "--name=a"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("404"), std::string::npos) << missing.err;

  ProcessResult bad_name = Tool("admin", {"create-topic", "--name=no way", "--partitions=1"});
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_NE(bad_name.err.find("400"), std::string::npos) << bad_name.err;

  ProcessResult usage = RunTool("admin", {"create-topic"});
  EXPECT_NE(usage.exit_code, 0);
}

TEST_F(CliTest, ProducerBatchesStdinLinesAndConsumerReadsThemInOrder) {
  ASSERT_EQ(Tool("admin", {"create-topic", "--name=lines", "--partitions=3"}).exit_code, 0);
  std::string input;
  constexpr int kLines = 1000;
  for (int i = 0; i < kLines; ++i)
    input += "key" + std::to_string(i % 7) + ":" + std::to_string(i) + "\n";
  ProcessResult produced =
      Tool("producer", {"--topic=lines", "--key-separator=:", "--batch-size=64", "--linger-ms=5"},
           input);
  ASSERT_EQ(produced.exit_code, 0) << produced.err;
  EXPECT_NE(produced.err.find("1000 of 1000 messages acked"), std::string::npos) << produced.err;

  ProcessResult consumed = Tool("consumer", {"--topic=lines", "--from-beginning", "--exit-at-end",
                                             "--format=key-value", "--separator=:"});
  ASSERT_EQ(consumed.exit_code, 0) << consumed.err;
  auto lines = Lines(consumed.out);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kLines));
  std::map<std::string, int> last;  // one key lives in one partition: its values come in order
  for (const std::string& line : lines) {
    const size_t colon = line.find(':');
    ASSERT_NE(colon, std::string::npos) << line;
    const std::string key = line.substr(0, colon);
    const int value = std::stoi(line.substr(colon + 1));
    EXPECT_EQ(value % 7, std::stoi(key.substr(3))) << line;
    if (last.count(key)) {
      EXPECT_GT(value, last[key]) << key;
    }
    last[key] = value;
  }
  EXPECT_EQ(last.size(), 7u);

  ProcessResult three = Tool("consumer", {"--topic=lines", "--from-beginning", "--max-messages=3"});
  ASSERT_EQ(three.exit_code, 0) << three.err;
  EXPECT_EQ(Lines(three.out).size(), 3u);
}

TEST_F(CliTest, ProducerReportsFailuresAndExitsNonZero) {
  ProcessResult one = Tool("producer", {"--topic=missing", "--message=x"});
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_NE(one.err.find("404"), std::string::npos) << one.err;

  ProcessResult many = Tool("producer", {"--topic=missing"}, "a\nb\nc\n");
  EXPECT_EQ(many.exit_code, 1);
  EXPECT_NE(many.err.find("0 of 3 messages acked"), std::string::npos) << many.err;
  EXPECT_NE(many.err.find("message 1 not acknowledged"), std::string::npos) << many.err;

  ASSERT_EQ(Tool("admin", {"create-topic", "--name=small", "--partitions=1"}).exit_code, 0);
  const std::string big(1 << 20 | 1, 'x');
  ProcessResult mixed = Tool("producer", {"--topic=small"}, "ok1\n" + big + "\nok2\n");
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_NE(mixed.err.find("413"), std::string::npos) << mixed.err.substr(0, 500);
}

TEST_F(CliTest, ConsumerTimeoutEndsAnIdleConsumer) {
  ASSERT_EQ(Tool("admin", {"create-topic", "--name=idle", "--partitions=2"}).exit_code, 0);
  ProcessResult idle = Tool("consumer", {"--topic=idle", "--timeout=500ms"});
  EXPECT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_FALSE(idle.timed_out);
  EXPECT_EQ(idle.out, "");

  // Group mode: joins, finds nothing, leaves after the idle timeout.
  ProcessResult group = Tool("consumer", {"--topic=idle", "--group=test-group", "--timeout=500ms"});
  EXPECT_EQ(group.exit_code, 0) << group.err;
  EXPECT_FALSE(group.timed_out);
  EXPECT_EQ(group.out, "");
  EXPECT_NE(group.err.find("left group test-group"), std::string::npos) << group.err;
  ProcessResult direct_only =
      Tool("consumer", {"--topic=idle", "--group=test-group", "--partition=0"});
  EXPECT_EQ(direct_only.exit_code, 2) << "--partition is direct mode only";
}

TEST(BrokerCliTest, ConfigFileSetsTheSameKeysAsFlags) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/broker.json";
  std::ofstream(config) << R"({"max_message_bytes": 1000, "http-threads": 8, "log_level": "warn"})";
  auto started = BrokerProcess::Start(BrokerOptions{.extra_args = {"--config=" + config}});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto broker = std::move(started).value();
  Client client(broker->address());
  CreateTopicRequest request;
  request.name = "t";
  ASSERT_TRUE(client.CreateTopic(request).ok());
  ProduceMessage m;
  m.value = std::string(1000, 'a');
  EXPECT_TRUE(client.Produce("t", m).ok());
  m.value.push_back('a');
  auto refused = client.Produce("t", m);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ErrorOf(refused.status()).http_status, 413);
}

TEST(BrokerCliTest, BadFlagsAndUnusableConfigAreRefused) {
  EXPECT_NE(RunTool("broker", {"--role=king"}).exit_code, 0);
  EXPECT_NE(RunTool("broker", {"--config=/nonexistent/gafka.json"}).exit_code, 0);
  ProcessResult help = RunTool("broker", {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--data-dir"), std::string::npos);
}

TEST(BrokerCliTest, PortInUseIsReportedAndExitsNonZero) {
  auto first = BrokerProcess::Start();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  testing::TempDir dir;
  ProcessResult second =
      RunTool("broker",
              {"--port=" + std::to_string((*first)->port()), "--data-dir=" + dir.path() + "/data"},
              "", 20'000);
  EXPECT_EQ(second.exit_code, 1) << second.out << second.err;
  EXPECT_NE(second.err.find("cannot bind"), std::string::npos) << second.err;
}

}  // namespace
}  // namespace gafka
