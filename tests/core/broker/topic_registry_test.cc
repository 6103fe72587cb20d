#include "core/broker/topic_registry.h"

#include <gtest/gtest.h>

#include "core/broker/layout.h"
#include "core/protocol/errors.h"
#include "runtime-sim/sim_clock.h"
#include "runtime-sim/sim_disk.h"

namespace gafka {
namespace {

TopicInfo MakeTopic(const std::string& name, int32_t partitions) {
  TopicInfo topic;
  topic.name = name;
  topic.partitions = partitions;
  topic.config.retention_ms = 1234;
  topic.config.retention_bytes = 99999;
  topic.config.segment_bytes = 4096;
  topic.config.max_message_bytes = 512;
  return topic;
}

TEST(Layout, PartitionDirNamesRoundTrip) {
  EXPECT_EQ(PartitionDirName("orders", PartitionId(7)), "orders-7");
  auto parsed = ParsePartitionDirName("my-topic-12");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->topic, "my-topic");
  EXPECT_EQ(parsed->partition, PartitionId(12));
}

TEST(Layout, ParseRejectsWhatTheBrokerNeverCreates) {
  for (const char* name : {"topics.json", "topics.json.tmp", "x-", "-1", "t-01", "t-1a", "t-",
                           "bad topic-1", "t-1234567890"}) {
    EXPECT_FALSE(ParsePartitionDirName(name).has_value()) << name;
  }
}

TEST(Layout, TopicNameRules) {
  EXPECT_TRUE(ValidateTopicName("a").ok());
  EXPECT_TRUE(ValidateTopicName("Orders_v2.events-x").ok());
  EXPECT_TRUE(ValidateTopicName(std::string(255, 'x')).ok());
  EXPECT_FALSE(ValidateTopicName(std::string(256, 'x')).ok());
  EXPECT_FALSE(ValidateTopicName("").ok());
  EXPECT_FALSE(ValidateTopicName(".").ok());
  EXPECT_FALSE(ValidateTopicName("..").ok());
  EXPECT_FALSE(ValidateTopicName("a/b").ok());
  EXPECT_FALSE(ValidateTopicName("a b").ok());
  EXPECT_FALSE(ValidateTopicName("caf\xc3\xa9").ok());
  EXPECT_EQ(ErrorFromStatus(ValidateTopicName("a b")).error_code, api_errors::kBadTopicName);
}

TEST(Layout, JoinPath) {
  EXPECT_EQ(JoinPath("", "x"), "x");
  EXPECT_EQ(JoinPath("a", "x"), "a/x");
  EXPECT_EQ(JoinPath("a/", "x"), "a/x");
}

TEST(ValidateNewTopic, AppliesLimits) {
  ApiLimits limits;
  EXPECT_TRUE(ValidateNewTopic(MakeTopic("t", 1), limits).ok());
  EXPECT_EQ(ValidateNewTopic(MakeTopic("t", 0), limits).code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidateNewTopic(MakeTopic("t", 101), limits).code(), Code::kInvalidArgument);
  EXPECT_EQ(ErrorFromStatus(ValidateNewTopic(MakeTopic("t", 101), limits)).error_code,
            api_errors::kBadPartition);
  TopicInfo big = MakeTopic("t", 1);
  big.config.max_message_bytes = limits.max_message_bytes + 1;
  EXPECT_EQ(ValidateNewTopic(big, limits).code(), Code::kInvalidArgument);
  TopicInfo rf = MakeTopic("t", 1);
  rf.replication_factor = 0;
  EXPECT_FALSE(ValidateNewTopic(rf, limits).ok());
  TopicInfo retention = MakeTopic("t", 1);
  retention.config.retention_ms = 0;
  EXPECT_FALSE(ValidateNewTopic(retention, limits).ok());
}

TEST(TopicFromRequest, OverridesThenExplicitConfigThenBrokerDefaults) {
  TopicConfig defaults;
  defaults.retention_ms = 1000;
  defaults.segment_bytes = 2048;
  CreateTopicRequest request;
  request.name = "t";
  request.partitions = 3;
  request.overrides.retention_ms = 5;
  request.config.max_message_bytes = 100;  // differs from TopicConfig{}: a direct caller set it
  TopicInfo topic = TopicFromRequest(request, defaults);
  EXPECT_EQ(topic.name, "t");
  EXPECT_EQ(topic.partitions, 3);
  EXPECT_EQ(topic.config.retention_ms, 5);
  EXPECT_EQ(topic.config.max_message_bytes, 100);
  EXPECT_EQ(topic.config.segment_bytes, 2048);
  EXPECT_EQ(topic.config.retention_bytes, defaults.retention_bytes);
}

TEST(TopicRegistryCodec, RoundTripsEveryField) {
  std::map<std::string, TopicInfo> topics;
  topics["a"] = MakeTopic("a", 3);
  topics["b.c"] = MakeTopic("b.c", 1);
  topics["b.c"].replication_factor = 2;
  auto decoded = DecodeTopicRegistry(EncodeTopicRegistry(topics));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 2u);
  const TopicInfo& b = decoded->at("b.c");
  EXPECT_EQ(b.partitions, 1);
  EXPECT_EQ(b.replication_factor, 2);
  EXPECT_EQ(decoded->at("a").config.retention_ms, 1234);
  EXPECT_EQ(decoded->at("a").config.retention_bytes, 99999);
  EXPECT_EQ(decoded->at("a").config.segment_bytes, 4096);
  EXPECT_EQ(decoded->at("a").config.max_message_bytes, 512);
  EXPECT_EQ(EncodeTopicRegistry(*decoded), EncodeTopicRegistry(topics));
}

TEST(TopicRegistryCodec, RejectsMalformedFilesAsCorruption) {
  for (const char* bytes :
       {"", "{", "[]", "{\"version\":2,\"topics\":[]}", "{\"version\":1}",
        "{\"version\":1,\"topics\":[{}]}",
        "{\"version\":1,\"topics\":[{\"name\":\"a b\",\"partitions\":1}]}",
        "{\"version\":1,\"topics\":[{\"name\":\"a\",\"partitions\":\"1\"}]}",
        "{\"version\":1,\"topics\":[{\"name\":\"a\",\"partitions\":0,\"replication_factor\":1,"
        "\"retention_ms\":1,\"retention_bytes\":1,\"segment_bytes\":1,\"max_message_bytes\":1}]"
        "}"}) {
    auto decoded = DecodeTopicRegistry(bytes);
    ASSERT_FALSE(decoded.ok()) << bytes;
    EXPECT_EQ(decoded.status().code(), Code::kCorruption) << bytes;
  }
  std::map<std::string, TopicInfo> one{{"a", MakeTopic("a", 1)}};
  std::string twice = EncodeTopicRegistry(one);
  // Duplicate the entry by hand.
  auto entry_start = twice.find('{', 1);
  auto entry_end = twice.rfind('}', twice.rfind(']'));
  std::string entry = twice.substr(entry_start, entry_end - entry_start + 1);
  twice.insert(entry_end + 1, "," + entry);
  EXPECT_EQ(DecodeTopicRegistry(twice).status().code(), Code::kCorruption);
}

class TopicRegistryTest : public ::testing::Test {
 protected:
  TopicRegistryTest() : disk_(clock_, 3, sim::DiskFaults{}) {
    EXPECT_TRUE(MakeDirsDurably(disk_, "data").ok());
  }
  sim::SimClock clock_;
  sim::SimDisk disk_;
};

TEST_F(TopicRegistryTest, NoFileMeansNoTopics) {
  TopicRegistry registry(disk_, "data");
  ASSERT_TRUE(registry.Load().ok());
  EXPECT_TRUE(registry.topics().empty());
}

TEST_F(TopicRegistryTest, AddAndRemoveSurviveACrash) {
  {
    TopicRegistry registry(disk_, "data");
    ASSERT_TRUE(registry.Load().ok());
    ASSERT_TRUE(registry.Add(MakeTopic("a", 2)).ok());
    ASSERT_TRUE(registry.Add(MakeTopic("b", 1)).ok());
    EXPECT_EQ(registry.Add(MakeTopic("a", 5)).code(), Code::kAlreadyExists);
    ASSERT_TRUE(registry.Remove("b").ok());
    EXPECT_EQ(registry.Remove("b").code(), Code::kNotFound);
  }
  disk_.Crash();  // every change above returned only after its directory sync
  TopicRegistry reloaded(disk_, "data");
  ASSERT_TRUE(reloaded.Load().ok());
  ASSERT_EQ(reloaded.topics().size(), 1u);
  ASSERT_NE(reloaded.Find("a"), nullptr);
  EXPECT_EQ(reloaded.Find("a")->partitions, 2);
  EXPECT_EQ(reloaded.Find("b"), nullptr);
  EXPECT_FALSE(disk_.Exists("data/topics.json.tmp"));
}

TEST_F(TopicRegistryTest, LeftoverTemporaryFileIsIgnoredAndRemoved) {
  {
    TopicRegistry registry(disk_, "data");
    ASSERT_TRUE(registry.Load().ok());
    ASSERT_TRUE(registry.Add(MakeTopic("a", 1)).ok());
  }
  // A crash between writing the next version and renaming it.
  ASSERT_TRUE(disk_.WriteWhole("data/topics.json.tmp", "{\"half").ok());
  TopicRegistry reloaded(disk_, "data");
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_NE(reloaded.Find("a"), nullptr);
  EXPECT_FALSE(disk_.Exists("data/topics.json.tmp"));
}

TEST_F(TopicRegistryTest, CorruptFileFailsLoadNamingTheFile) {
  ASSERT_TRUE(disk_.WriteWhole("data/topics.json", "not json").ok());
  TopicRegistry registry(disk_, "data");
  Status status = registry.Load();
  EXPECT_EQ(status.code(), Code::kCorruption);
  EXPECT_NE(status.message().find("data/topics.json"), std::string::npos) << status.message();
}

TEST_F(TopicRegistryTest, FailedWriteLeavesMemoryUnchanged) {
  TopicRegistry registry(disk_, "data");
  ASSERT_TRUE(registry.Load().ok());
  ASSERT_TRUE(registry.Add(MakeTopic("a", 1)).ok());
  sim::DiskFaults faults;
  faults.append_eio = 1.0;
  disk_.set_faults(faults);
  EXPECT_FALSE(registry.Add(MakeTopic("b", 1)).ok());
  EXPECT_EQ(registry.Find("b"), nullptr);
  EXPECT_FALSE(registry.Remove("a").ok());
  EXPECT_NE(registry.Find("a"), nullptr);
  disk_.set_faults(sim::DiskFaults{});
  TopicRegistry reloaded(disk_, "data");
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.topics().size(), 1u);
}

}  // namespace
}  // namespace gafka
