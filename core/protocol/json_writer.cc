#include "core/protocol/json_writer.h"

#include <charconv>
#include <cstring>

#include "core/base/check.h"
#include "core/protocol/base64.h"

namespace gafka {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

// Nonzero when some byte of `w` is zero (exact when no byte has its high bit
// set; false positives only send a word to the byte-wise path).
constexpr uint64_t HasZeroByte(uint64_t w) { return (w - kOnes) & ~w & kHighBits; }

// Nonzero when one of the 8 bytes needs escaping or UTF-8 checking:
// a control character, '"', '\\', or a byte >= 0x80.
inline uint64_t WordNeedsAttention(uint64_t w) {
  const uint64_t control = (w - kOnes * 0x20) & ~w & kHighBits;
  return (w & kHighBits) | control | HasZeroByte(w ^ (kOnes * '"')) |
         HasZeroByte(w ^ (kOnes * '\\'));
}

inline uint64_t Load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Length of the well-formed UTF-8 sequence starting at p (p < end, *p >= 0x80),
// or 0 when it is not one (Unicode 15, table 3-7).
size_t Utf8SequenceLength(const char* p, const char* end) {
  const auto b0 = static_cast<unsigned char>(p[0]);
  const size_t left = static_cast<size_t>(end - p);
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
    if (i >= left) return false;
    const auto b = static_cast<unsigned char>(p[i]);
    return b >= lo && b <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 == 0xE0) return cont(1, 0xA0, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
  if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 == 0xED) return cont(1, 0x80, 0x9F) && cont(2, 0x80, 0xBF) ? 3 : 0;  // no surrogates
  if (b0 == 0xF0) return cont(1, 0x90, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  if (b0 >= 0xF1 && b0 <= 0xF3) {
    return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  if (b0 == 0xF4) return cont(1, 0x80, 0x8F) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  return 0;
}

void AppendEscape(std::string* out, unsigned char c) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    default:
      break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
  out->append(escaped, 6);
}

// The one escaping loop. kRepair: invalid UTF-8 becomes U+FFFD (returns true);
// otherwise the first invalid byte makes it return false.
template <bool kRepair>
bool AppendEscaped(std::string* out, std::string_view s) {
  out->push_back('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;  // start of bytes not yet copied
  while (p < end) {
    while (end - p >= 8 && WordNeedsAttention(Load8(p)) == 0) p += 8;
    if (p >= end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++p;
      continue;
    }
    if (c < 0x80) {
      out->append(run, p);
      AppendEscape(out, c);
      run = ++p;
      continue;
    }
    const size_t n = Utf8SequenceLength(p, end);
    if (n != 0) {
      p += n;
      continue;
    }
    if (!kRepair) return false;
    out->append(run, p);
    out->append("\xEF\xBF\xBD");
    run = ++p;
  }
  out->append(run, end);
  out->push_back('"');
  return true;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    while (end - p >= 8 && (Load8(p) & kHighBits) == 0) p += 8;
    if (p >= end) break;
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    const size_t n = Utf8SequenceLength(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

size_t Utf8Length(std::string_view s) {
  size_t count = 0;
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const size_t n = static_cast<unsigned char>(*p) < 0x80 ? 1 : Utf8SequenceLength(p, end);
    p += n == 0 ? 1 : n;
    ++count;
  }
  return count;
}

void AppendJsonString(std::string* out, std::string_view s) {
  const bool ok = AppendEscaped<true>(out, s);
  CHECK(ok);
}

bool AppendJsonStringIfUtf8(std::string* out, std::string_view s) {
  return AppendEscaped<false>(out, s);
}

JsonWriter::Mark JsonWriter::GetMark() const {
  return Mark{out_->size(), depth_, depth_ > 0 && has_element_[depth_ - 1], after_key_};
}

void JsonWriter::Rewind(const Mark& mark) {
  CHECK_MSG(mark.size <= out_->size() && mark.depth <= depth_, "Rewind past a later mark");
  out_->resize(mark.size);
  depth_ = mark.depth;
  if (depth_ > 0) has_element_[depth_ - 1] = mark.has_element;
  after_key_ = mark.after_key;
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ > 0) {
    if (has_element_[depth_ - 1]) out_->push_back(',');
    has_element_[depth_ - 1] = true;
  }
}

void JsonWriter::Open(char c) {
  BeforeValue();
  CHECK_MSG(depth_ < kMaxDepth, "JSON nesting too deep");
  out_->push_back(c);
  has_element_[depth_++] = false;
}

void JsonWriter::Close(char c) {
  CHECK_MSG(depth_ > 0 && !after_key_, "unbalanced JSON container");
  --depth_;
  out_->push_back(c);
}

void JsonWriter::Key(std::string_view key) {
  CHECK_MSG(depth_ > 0 && !after_key_, "a key outside an object");
  BeforeValue();
  AppendJsonString(out_, key);
  out_->push_back(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendJsonString(out_, s);
}

bool JsonWriter::StringIfUtf8(std::string_view s) {
  BeforeValue();
  return AppendJsonStringIfUtf8(out_, s);
}

void JsonWriter::Base64String(std::string_view bytes) {
  BeforeValue();
  out_->push_back('"');
  Base64Encode(bytes, out_);
  out_->push_back('"');
}

void JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);
  out_->append(buffer, result.ptr);
}

void JsonWriter::Bool(bool v) {
  BeforeValue();
  out_->append(v ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
}

}  // namespace gafka
