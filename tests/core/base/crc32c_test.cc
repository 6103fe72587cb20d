#include "core/base/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace gafka {
namespace {

TEST(Crc32c, MatchesKnownVectors) {
  // RFC 3720 (iSCSI) appendix B.4 test vectors.
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::Value(ones), 0x62A8AB43u);
  std::string inc;
  for (int i = 0; i < 32; ++i) inc.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c::Value(inc), 0x46DD794Eu);
  EXPECT_EQ(crc32c::Value("123456789"), 0xE3069283u);
}

TEST(Crc32c, HardwareAndPortablePathsAgreeAndExtendComposes) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  for (size_t split = 0; split <= data.size(); split += 37) {
    uint32_t whole = crc32c::Value(data);
    uint32_t parts = crc32c::Extend(crc32c::Value(data.data(), split), data.data() + split,
                                    data.size() - split);
    EXPECT_EQ(whole, parts);
    EXPECT_EQ(whole, crc32c::ExtendPortable(0, data.data(), data.size()));
  }
}

}  // namespace
}  // namespace gafka
