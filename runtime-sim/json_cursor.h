// JsonCursor: a small strict pull parser for the answers simulated clients
// read (client_codec.cc). Parsing fetch answers with a DOM parser was a third
// of the simulator's time; this one copies string runs in one append and
// builds no tree. It accepts RFC 8259 JSON only (no comments, no trailing
// commas) and fails — ok() turns false — at the first surprise.
//
// Usage:
//   JsonCursor c(text);
//   c.BeginObject();
//   std::string key;
//   while (c.NextMember(&key)) { if (key == "n") c.Int(&n); else c.Skip(); }
//   bool good = c.End();  // ok and nothing but whitespace left
//
// Not thread-safe (one per parse); pure otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gafka::sim {

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool ok() const { return ok_; }
  // True when parsing succeeded and only whitespace remains.
  bool End();

  bool BeginObject() { return Expect('{'); }
  bool BeginArray() { return Expect('['); }
  // The next member's key (the cursor then sits on its value); false after
  // the closing '}' (consumed) or on an error.
  bool NextMember(std::string* key);
  // True when another element follows (the cursor sits on it); false after
  // the closing ']' (consumed) or on an error.
  bool NextElement();

  // The next value's first character (after whitespace), 0 at the end.
  char Peek();
  bool String(std::string* out);
  bool Int(int64_t* out);
  bool Null();
  // Skips one value of any type.
  bool Skip();

 private:
  bool Fail() {
    ok_ = false;
    return false;
  }
  void SkipSpace();
  bool Expect(char c);
  bool Literal(std::string_view word);
  bool Escape(std::string* out);
  bool Number();

  const char* p_;
  const char* const end_;
  bool ok_ = true;
  bool first_ = true;  // no member/element read yet in the current container
  int depth_ = 0;
};

}  // namespace gafka::sim
