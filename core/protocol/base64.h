// Base64 (RFC 4648) for binary keys, values and header values.
// Decoding accepts the standard and the URL-safe alphabet, with or without
// '=' padding; no whitespace. Encoding writes the standard alphabet, padded.
#pragma once

#include <string>
#include <string_view>

namespace gafka {

// Appends the encoding of `bytes` to *out.
void Base64Encode(std::string_view bytes, std::string* out);

// Length of Base64Encode's output for `n` input bytes.
size_t Base64EncodedLength(size_t n);

// Replaces *out with the decoding of `text`; false (and *out unspecified)
// when `text` is not base64.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace gafka
