#include "core/broker/layout.h"

#include "core/base/check.h"
#include "core/protocol/errors.h"

namespace gafka {

namespace {

bool IsTopicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Partition numbers are at most 3 digits for 100 partitions; 9 keeps the
// parse inside int32 without overflow checks and still rejects garbage.
constexpr size_t kMaxPartitionDigits = 9;

constexpr int kBadTopicNameDetail = api_errors::kBadTopicName % 100;

}  // namespace

std::string JoinPath(std::string_view dir, std::string_view name) {
  CHECK_MSG(!name.empty(), "joining an empty path component");
  std::string path;
  if (dir.empty()) {
    path = std::string(name);
  } else {
    path.reserve(dir.size() + 1 + name.size());
    path.append(dir);
    if (dir.back() != '/') path.push_back('/');
    path.append(name);
  }
  CHECK(!path.empty());
  return path;
}

std::string PartitionDirName(std::string_view topic, PartitionId partition) {
  CHECK_MSG(!topic.empty(), "a partition belongs to a named topic");
  CHECK_MSG(partition.value() >= 0, "partition ids are non-negative");
  std::string name(topic);
  name.push_back('-');
  name.append(std::to_string(partition.value()));
  return name;
}

std::optional<ParsedPartitionDir> ParsePartitionDirName(std::string_view name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  std::string_view digits = name.substr(dash + 1);
  if (digits.size() > kMaxPartitionDigits) return std::nullopt;
  // Only the canonical spelling: "t-01" is not a directory we would create.
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int32_t partition = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    partition = partition * 10 + (c - '0');
  }
  std::string_view topic = name.substr(0, dash);
  if (!ValidateTopicName(topic).ok()) return std::nullopt;
  ParsedPartitionDir parsed{std::string(topic), PartitionId(partition)};
  CHECK(PartitionDirName(parsed.topic, parsed.partition) == name);
  return parsed;
}

Status ValidateTopicName(std::string_view name, size_t max_length) {
  if (name.empty()) return InvalidArgument("topic name is empty", kBadTopicNameDetail);
  if (name.size() > max_length) {
    return InvalidArgument("topic name is " + std::to_string(name.size()) +
                               " characters long; the maximum is " + std::to_string(max_length),
                           kBadTopicNameDetail);
  }
  if (name == "." || name == "..")
    return InvalidArgument("topic name may not be '.' or '..'", kBadTopicNameDetail);
  for (size_t i = 0; i < name.size(); ++i) {
    // The name itself is not echoed: it may not be printable or valid UTF-8.
    if (!IsTopicChar(name[i])) {
      return InvalidArgument(
          "topic name has a character outside [A-Za-z0-9._-] at position " + std::to_string(i),
          kBadTopicNameDetail);
    }
  }
  return Status::Ok();
}

}  // namespace gafka
