#include "core/protocol/base64.h"

#include <array>
#include <cstdint>

namespace gafka {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xFF;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  table['-'] = 62;  // URL-safe alphabet
  table['_'] = 63;
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

size_t Base64EncodedLength(size_t n) { return (n + 2) / 3 * 4; }

void Base64Encode(std::string_view bytes, std::string* out) {
  const size_t start = out->size();
  out->resize(start + Base64EncodedLength(bytes.size()));
  char* dst = out->data() + start;
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8) | src[i + 2];
    *dst++ = kAlphabet[v >> 18];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) return;
  uint32_t v = uint32_t{src[i]} << 16;
  if (rest == 2) v |= uint32_t{src[i + 1]} << 8;
  *dst++ = kAlphabet[v >> 18];
  *dst++ = kAlphabet[(v >> 12) & 63];
  *dst++ = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
  *dst++ = '=';
}

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  // Padding, when present, must complete the last quantum of four.
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 0 && text.size() % 4 != 0) return false;
  const std::string_view body = text.substr(0, text.size() - padding);
  if (body.size() % 4 == 1) return false;  // one char cannot carry a byte
  out->resize(body.size() / 4 * 3 + 2);
  char* dst = out->data();
  const char* src = body.data();
  const char* const end = src + body.size();
  for (; end - src >= 4; src += 4) {
    const uint32_t a = kDecode[static_cast<unsigned char>(src[0])];
    const uint32_t b = kDecode[static_cast<unsigned char>(src[1])];
    const uint32_t c = kDecode[static_cast<unsigned char>(src[2])];
    const uint32_t d = kDecode[static_cast<unsigned char>(src[3])];
    if ((a | b | c | d) > 63) return false;  // kInvalid has bits above the six
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *dst++ = static_cast<char>(v >> 16);
    *dst++ = static_cast<char>((v >> 8) & 0xFF);
    *dst++ = static_cast<char>(v & 0xFF);
  }
  // 0, 2 or 3 characters left: 0, 1 or 2 bytes.
  uint32_t acc = 0;
  int bits = 0;
  for (; src < end; ++src) {
    const uint8_t v = kDecode[static_cast<unsigned char>(*src)];
    if (v == kInvalid) return false;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *dst++ = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  out->resize(static_cast<size_t>(dst - out->data()));
  return true;
}

}  // namespace gafka
