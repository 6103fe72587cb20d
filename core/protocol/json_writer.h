// Hand-rolled JSON output for the response encoders. Building nlohmann trees
// for a fetch of 10,000 records costs an allocation per field; appending to
// one reserved string does not (numbers in core/protocol/README.md).
//
// Every string goes through an escaper that also checks UTF-8, because
// invalid UTF-8 must never reach a client as "JSON": AppendJsonString repairs
// it (U+FFFD), AppendJsonStringIfUtf8 reports it so the caller can fall back
// to base64. Stateless functions plus one small writer; no exceptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gafka {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Number of code points in `s`, counting each invalid byte as one.
size_t Utf8Length(std::string_view s);

// Appends `s` as a quoted JSON string; invalid UTF-8 bytes become U+FFFD.
void AppendJsonString(std::string* out, std::string_view s);

// Appends `s` as a quoted JSON string when it is valid UTF-8 and returns true;
// otherwise returns false and leaves *out with a partial string that the
// caller must cut off (it knows where it started).
bool AppendJsonStringIfUtf8(std::string* out, std::string_view s);

// Builds one JSON document into a caller-owned string, inserting commas.
// Owned by one encoder call; not thread-safe. Nesting is limited to 32 levels
// (responses are at most 5 deep); a misuse trips a CHECK.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  // `key` is an ASCII literal or user text; either way it is escaped.
  void Key(std::string_view key);
  void String(std::string_view s);
  // Returns false (and writes nothing usable) when `s` is not valid UTF-8;
  // see AppendJsonStringIfUtf8.
  bool StringIfUtf8(std::string_view s);
  void Base64String(std::string_view bytes);
  void Int(int64_t v);
  void Bool(bool v);
  void Null();
  // A value that is already JSON text.
  void Raw(std::string_view json);

  // A point to come back to, e.g. to re-encode a record in base64 after
  // meeting invalid UTF-8 halfway through it.
  struct Mark {
    size_t size;
    int depth;
    bool has_element;
    bool after_key;
  };
  Mark GetMark() const;
  void Rewind(const Mark& mark);

  std::string* out() { return out_; }
  // True when the document is complete (all containers closed).
  bool done() const { return depth_ == 0; }

 private:
  void Open(char c);
  void Close(char c);
  void BeforeValue();

  static constexpr int kMaxDepth = 32;
  std::string* out_;
  int depth_ = 0;
  bool has_element_[kMaxDepth] = {};
  bool after_key_ = false;
};

}  // namespace gafka
