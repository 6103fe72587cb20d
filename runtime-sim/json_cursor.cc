#include "runtime-sim/json_cursor.h"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace gafka::sim {
namespace {

constexpr int kMaxDepth = 64;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Whether one of 8 bytes ends a plain run of a JSON string: '"', '\\' or
// a control character (< 0x20). A borrow may flag a byte above a real hit,
// never a word without one, so a word that passes is all plain.
bool WordNeedsAttention(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  uint64_t w;
  std::memcpy(&w, p, 8);
  const uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
  const uint64_t zero_quote = (quote - kOnes) & ~quote;
  const uint64_t zero_backslash = (backslash - kOnes) & ~backslash;
  const uint64_t control = (w - kOnes * 0x20) & ~w;
  return ((zero_quote | zero_backslash | control) & kHigh) != 0;
}

}  // namespace

void JsonCursor::SkipSpace() {
  while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
}

char JsonCursor::Peek() {
  SkipSpace();
  return ok_ && p_ < end_ ? *p_ : 0;
}

bool JsonCursor::End() {
  SkipSpace();
  return ok_ && depth_ == 0 && p_ == end_;
}

bool JsonCursor::Expect(char c) {
  if (Peek() != c) return Fail();
  ++p_;
  if (c == '{' || c == '[') {
    if (++depth_ > kMaxDepth) return Fail();
    first_ = true;
  }
  return true;
}

bool JsonCursor::NextMember(std::string* key) {
  if (!ok_) return false;
  const char c = Peek();
  if (c == '}') {
    ++p_;
    --depth_;
    first_ = false;
    return false;
  }
  if (!first_) {
    if (c != ',') return Fail();
    ++p_;
  }
  first_ = false;
  if (!String(key)) return false;
  if (Peek() != ':') return Fail();
  ++p_;
  return true;
}

bool JsonCursor::NextElement() {
  if (!ok_) return false;
  const char c = Peek();
  if (c == ']') {
    ++p_;
    --depth_;
    first_ = false;
    return false;
  }
  if (!first_) {
    if (c != ',') return Fail();
    ++p_;
  }
  first_ = false;
  return true;
}

bool JsonCursor::String(std::string* out) {
  if (Peek() != '"') return Fail();
  ++p_;
  out->clear();
  while (true) {
    const char* run = p_;
    while (end_ - p_ >= 8 && !WordNeedsAttention(p_)) p_ += 8;
    while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) ++p_;
    out->append(run, static_cast<size_t>(p_ - run));
    if (p_ >= end_) return Fail();
    if (*p_ == '"') {
      ++p_;
      return true;
    }
    if (*p_ != '\\') return Fail();  // a raw control character
    ++p_;
    if (!Escape(out)) return false;
  }
}

bool JsonCursor::Escape(std::string* out) {
  if (p_ >= end_) return Fail();
  const char e = *p_++;
  switch (e) {
    case '"':
      out->push_back('"');
      return true;
    case '\\':
      out->push_back('\\');
      return true;
    case '/':
      out->push_back('/');
      return true;
    case 'b':
      out->push_back('\b');
      return true;
    case 'f':
      out->push_back('\f');
      return true;
    case 'n':
      out->push_back('\n');
      return true;
    case 'r':
      out->push_back('\r');
      return true;
    case 't':
      out->push_back('\t');
      return true;
    case 'u':
      break;
    default:
      return Fail();
  }
  auto hex4 = [this](uint32_t* v) {
    if (end_ - p_ < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexValue(p_[i]);
      if (h < 0) return false;
      *v = (*v << 4) | static_cast<uint32_t>(h);
    }
    p_ += 4;
    return true;
  };
  uint32_t cp = 0;
  if (!hex4(&cp)) return Fail();
  if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate: its low half must follow
    uint32_t low = 0;
    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return Fail();
    p_ += 2;
    if (!hex4(&low) || low < 0xDC00 || low > 0xDFFF) return Fail();
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    return Fail();
  }
  AppendUtf8(cp, out);
  return true;
}

bool JsonCursor::Int(int64_t* out) {
  if (Peek() == 0) return Fail();
  const auto [next, ec] = std::from_chars(p_, end_, *out);
  if (ec != std::errc() || next == p_) return Fail();
  // A fraction or exponent means this was not an integer.
  if (next < end_ && (*next == '.' || *next == 'e' || *next == 'E')) return Fail();
  p_ = next;
  return true;
}

bool JsonCursor::Literal(std::string_view word) {
  if (Peek() == 0 || static_cast<size_t>(end_ - p_) < word.size() ||
      std::string_view(p_, word.size()) != word) {
    return Fail();
  }
  p_ += word.size();
  return true;
}

bool JsonCursor::Null() { return Literal("null"); }

bool JsonCursor::Number() {
  const char* start = p_;
  if (p_ < end_ && *p_ == '-') ++p_;
  while (p_ < end_ && ((*p_ >= '0' && *p_ <= '9') || *p_ == '.' || *p_ == 'e' || *p_ == 'E' ||
                       *p_ == '+' || *p_ == '-')) {
    ++p_;
  }
  return p_ > start ? true : Fail();
}

bool JsonCursor::Skip() {
  std::string scratch;
  switch (Peek()) {
    case '"':
      return String(&scratch);
    case 't':
      return Literal("true");
    case 'f':
      return Literal("false");
    case 'n':
      return Literal("null");
    case '{': {
      if (!BeginObject()) return false;
      while (NextMember(&scratch)) {
        if (!Skip()) return false;
      }
      return ok_;
    }
    case '[': {
      if (!BeginArray()) return false;
      while (NextElement()) {
        if (!Skip()) return false;
      }
      return ok_;
    }
    case 0:
      return Fail();
    default:
      return Number();
  }
}

}  // namespace gafka::sim
