#include "core/protocol/consume_decoder.h"

#include <gtest/gtest.h>

#include "core/protocol/errors.h"
#include "tests/core/protocol/codec_test_util.h"

namespace gafka {
namespace {

using testing::DecodeAs;
using testing::Get;
using Query = std::map<std::string, std::string>;

HttpRequest Consume(Query query) { return Get("/api/v1/consume", std::move(query)); }

TEST(ConsumeDecoder, DirectFormFromTheSpec) {
  const auto request = DecodeAs<FetchRequest>(Consume({{"topic", "t"},
                                                       {"partition", "0"},
                                                       {"offset", "100"},
                                                       {"count", "10"},
                                                       {"timeout", "30s"}}));
  EXPECT_EQ(request.topic, "t");
  EXPECT_EQ(request.partition, PartitionId(0));
  EXPECT_EQ(request.offset_spec, OffsetSpec::kExplicit);
  EXPECT_EQ(request.offset, Offset(100));
  EXPECT_EQ(request.max_count, 10);
  EXPECT_EQ(request.timeout_ms, 30000);
  EXPECT_EQ(request.max_bytes, 1 << 20);
}

TEST(ConsumeDecoder, DirectFormDefaultsAndNamedOffsets) {
  auto request =
      DecodeAs<FetchRequest>(Consume({{"topic", "t"}, {"partition", "1"}, {"offset", "earliest"}}));
  EXPECT_EQ(request.offset_spec, OffsetSpec::kEarliest);
  EXPECT_EQ(request.max_count, 100);
  EXPECT_EQ(request.timeout_ms, 0);
  request = DecodeAs<FetchRequest>(
      Consume({{"topic", "t"}, {"partition", "1"}, {"offset", "latest"}, {"max_bytes", "4096"}}));
  EXPECT_EQ(request.offset_spec, OffsetSpec::kLatest);
  EXPECT_EQ(request.max_bytes, 4096);
}

TEST(ConsumeDecoder, GroupFormFromTheSpec) {
  const auto request = DecodeAs<GroupPollRequest>(Consume({{"topic", "t"},
                                                           {"count", "10"},
                                                           {"consumer_id", "c1"},
                                                           {"group_id", "g"},
                                                           {"timeout", "30s"}}));
  EXPECT_EQ(request.topic, "t");
  EXPECT_EQ(request.group_id, "g");
  EXPECT_EQ(request.consumer_id, "c1");
  EXPECT_EQ(request.max_count, 10);
  EXPECT_EQ(request.timeout_ms, 30000);
  EXPECT_EQ(request.auto_offset_reset, OffsetSpec::kLatest);
  EXPECT_FALSE(request.auto_commit);
}

TEST(ConsumeDecoder, GroupFormOptions) {
  const auto request = DecodeAs<GroupPollRequest>(Consume({{"topic", "t"},
                                                           {"consumer_id", "c1"},
                                                           {"group_id", "g"},
                                                           {"auto_offset_reset", "earliest"},
                                                           {"auto_commit", "true"}}));
  EXPECT_EQ(request.auto_offset_reset, OffsetSpec::kEarliest);
  EXPECT_TRUE(request.auto_commit);
}

TEST(ConsumeDecoder, TimeoutForms) {
  auto timeout = [](const std::string& text) {
    return DecodeAs<FetchRequest>(
               Consume({{"topic", "t"}, {"partition", "0"}, {"offset", "0"}, {"timeout", text}}))
        .timeout_ms;
  };
  EXPECT_EQ(timeout("500ms"), 500);
  EXPECT_EQ(timeout("2s"), 2000);
  EXPECT_EQ(timeout("0"), 0);
  EXPECT_EQ(timeout("30000"), 30000);
  EXPECT_EQ(timeout("30s"), 30000);
  EXPECT_EQ(timeout("0m"), 0);
}

TEST(ConsumeDecoder, BadTimeouts) {
  for (const char* text :
       {"31s", "2m", "30001", "-1", "", "s", "1.5s", "10x", "1h", "99999999999999999m"}) {
    EXPECT_API_ERROR(
        Consume({{"topic", "t"}, {"partition", "0"}, {"offset", "0"}, {"timeout", text}}),
        api_errors::kBadTimeout, "timeout");
  }
}

TEST(ConsumeDecoder, BadCounts) {
  for (const char* text : {"0", "-1", "10001", "ten", "", "1e3"}) {
    EXPECT_API_ERROR(
        Consume({{"topic", "t"}, {"partition", "0"}, {"offset", "0"}, {"count", text}}),
        api_errors::kBadCount, "1..10000");
  }
  DecodeAs<FetchRequest>(
      Consume({{"topic", "t"}, {"partition", "0"}, {"offset", "0"}, {"count", "10000"}}));
}

TEST(ConsumeDecoder, BadOffsets) {
  for (const char* text :
       {"-1", "abc", "9007199254740992", "99999999999999999999", "", "+5", " 5", "EARLIEST"}) {
    EXPECT_API_ERROR(Consume({{"topic", "t"}, {"partition", "0"}, {"offset", text}}),
                     api_errors::kBadOffset, "offset");
  }
  const auto request = DecodeAs<FetchRequest>(
      Consume({{"topic", "t"}, {"partition", "0"}, {"offset", "9007199254740991"}}));
  EXPECT_EQ(request.offset, Offset(9007199254740991));
}

TEST(ConsumeDecoder, MissingOrBadParameters) {
  EXPECT_API_ERROR(Consume({}), api_errors::kMissingField, "topic");
  EXPECT_API_ERROR(Consume({{"topic", "bad/name"}}), api_errors::kBadTopicName, "bad/name");
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"offset", "0"}}), api_errors::kMissingField,
                   "partition");
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"partition", "0"}}), api_errors::kMissingField,
                   "offset");
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"partition", "x"}, {"offset", "0"}}),
                   api_errors::kBadPartition, "partition 'x'");
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"partition", "100"}, {"offset", "0"}}),
                   api_errors::kBadPartition, "0..99");
  EXPECT_API_ERROR(
      Consume({{"topic", "t"}, {"partition", "0"}, {"offset", "0"}, {"max_bytes", "0"}}),
      api_errors::kBadValue, "max_bytes");
  EXPECT_API_ERROR(
      Consume({{"topic", "t"}, {"partition", "0"}, {"offset", "0"}, {"auto_commit", "true"}}),
      api_errors::kBadValue, "auto_commit");
}

TEST(ConsumeDecoder, GroupFormErrors) {
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"group_id", "g"}}), api_errors::kMissingField,
                   "consumer_id");
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"consumer_id", "c"}}), api_errors::kMissingField,
                   "group_id");
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"group_id", ""}, {"consumer_id", "c"}}),
                   api_errors::kBadId, "group_id must not be empty");
  EXPECT_API_ERROR(
      Consume({{"topic", "t"}, {"group_id", "g"}, {"consumer_id", std::string(129, 'c')}}),
      api_errors::kBadId, "129 characters");
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"group_id", "g\n"}, {"consumer_id", "c"}}),
                   api_errors::kBadId, "control characters");
  EXPECT_API_ERROR(Consume({{"topic", "t"}, {"group_id", "g\xff"}, {"consumer_id", "c"}}),
                   api_errors::kBadId, "UTF-8");
  EXPECT_API_ERROR(
      Consume({{"topic", "t"}, {"group_id", "g"}, {"consumer_id", "c"}, {"offset", "0"}}),
      api_errors::kBadValue, "not allowed with group_id");
  EXPECT_API_ERROR(
      Consume(
          {{"topic", "t"}, {"group_id", "g"}, {"consumer_id", "c"}, {"auto_offset_reset", "none"}}),
      api_errors::kBadOffset, "auto_offset_reset");
  EXPECT_API_ERROR(
      Consume({{"topic", "t"}, {"group_id", "g"}, {"consumer_id", "c"}, {"auto_commit", "yes"}}),
      api_errors::kBadValue, "auto_commit");
  // 128 characters of UTF-8 (256 bytes) is within the limit.
  std::string id;
  for (int i = 0; i < 128; ++i) id += "\xc3\xa9";
  DecodeAs<GroupPollRequest>(Consume({{"topic", "t"}, {"group_id", id}, {"consumer_id", "c"}}));
}

}  // namespace
}  // namespace gafka
