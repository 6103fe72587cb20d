#include "core/protocol/json_writer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>

#include "core/protocol/base64.h"

namespace gafka {
namespace {

std::string Escaped(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Escaped("plain"), "\"plain\"");
  EXPECT_EQ(Escaped("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Escaped("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(Escaped(std::string("\x00\x1f", 2)), "\"\\u0000\\u001f\"");
  EXPECT_EQ(Escaped("é€😀"), "\"é€😀\"");
  // Long runs take the 8-byte path; an escape at every position of a word.
  for (size_t i = 0; i < 16; ++i) {
    std::string s(16, 'a');
    s[i] = '"';
    EXPECT_EQ(nlohmann::json::parse(Escaped(s)).get<std::string>(), s);
  }
}

TEST(JsonWriter, RepairsOrRejectsInvalidUtf8) {
  EXPECT_EQ(Escaped("a\xff"
                    "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  std::string out;
  EXPECT_FALSE(AppendJsonStringIfUtf8(&out, "abcdefghij\xc3"));
  out.clear();
  EXPECT_TRUE(AppendJsonStringIfUtf8(&out, "abcdefghij\xc3\xa9"));
}

TEST(JsonWriter, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii only, longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("abcdefgh\xe2\x82"));  // truncated at the end
  EXPECT_EQ(Utf8Length("a\xc3\xa9\xff"), 3u);
}

TEST(JsonWriter, CommasAndNesting) {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginObject();
  writer.Key("a");
  writer.BeginArray();
  writer.Int(1);
  writer.Int(-2);
  writer.BeginObject();
  writer.EndObject();
  writer.Null();
  writer.EndArray();
  writer.Key("b");
  writer.Bool(true);
  writer.Key("c");
  writer.Raw("{\"x\":1}");
  writer.Key("d");
  writer.Base64String("hi");
  writer.EndObject();
  EXPECT_TRUE(writer.done());
  EXPECT_EQ(out, R"({"a":[1,-2,{},null],"b":true,"c":{"x":1},"d":"aGk="})");
}

TEST(JsonWriter, RewindRestoresCommaState) {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginArray();
  writer.Int(1);
  const JsonWriter::Mark mark = writer.GetMark();
  writer.Int(2);
  writer.BeginObject();
  writer.Key("x");
  writer.Rewind(mark);
  writer.Int(3);
  writer.EndArray();
  EXPECT_EQ(out, "[1,3]");
}

RC_GTEST_PROP(JsonWriter, AnyValidUtf8RoundTripsThroughNlohmann, (const std::string& s)) {
  std::string out;
  if (AppendJsonStringIfUtf8(&out, s)) {
    RC_ASSERT(IsValidUtf8(s));
    const auto parsed = nlohmann::json::parse(out, nullptr, false);
    RC_ASSERT(parsed.is_string());
    RC_ASSERT(parsed.get<std::string>() == s);
  } else {
    RC_ASSERT(!IsValidUtf8(s));
  }
  std::string repaired;
  AppendJsonString(&repaired, s);
  RC_ASSERT(!nlohmann::json::parse(repaired, nullptr, false).is_discarded());
}

RC_GTEST_PROP(JsonWriter, Utf8ValidationAgreesWithNlohmann, (const std::vector<uint8_t>& bytes)) {
  const std::string s(bytes.begin(), bytes.end());
  // nlohmann rejects invalid UTF-8 inside strings; build a JSON string of the
  // raw bytes (escaping only what JSON requires) and compare verdicts.
  std::string doc = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') doc += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      doc += ' ';
      continue;
    }
    doc += c;
  }
  doc += '"';
  std::string cleaned;
  for (char c : s) cleaned += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  RC_ASSERT(IsValidUtf8(cleaned) == !nlohmann::json::parse(doc, nullptr, false).is_discarded());
}

TEST(Base64, KnownVectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    std::string out;
    Base64Encode(plain, &out);
    EXPECT_EQ(out, encoded);
    EXPECT_EQ(out.size(), Base64EncodedLength(std::string_view(plain).size()));
    std::string back;
    ASSERT_TRUE(Base64Decode(encoded, &back));
    EXPECT_EQ(back, plain);
  }
}

TEST(Base64, AcceptsUnpaddedAndUrlSafe) {
  std::string out;
  ASSERT_TRUE(Base64Decode("Zm9vYg", &out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(Base64Decode("-_8", &out));
  EXPECT_EQ(out, "\xfb\xff");
}

TEST(Base64, RejectsGarbage) {
  std::string out;
  for (const char* bad :
       {"Z", "Zm9vY", "Zm=v", "Zg=", "Zg===", "====", "Zm9v\n", "Zm 9v", "Zm9v*"}) {
    EXPECT_FALSE(Base64Decode(bad, &out)) << bad;
  }
}

RC_GTEST_PROP(Base64, RoundTrips, (const std::string& bytes)) {
  std::string encoded;
  Base64Encode(bytes, &encoded);
  std::string decoded;
  RC_ASSERT(Base64Decode(encoded, &decoded));
  RC_ASSERT(decoded == bytes);
}

}  // namespace
}  // namespace gafka
