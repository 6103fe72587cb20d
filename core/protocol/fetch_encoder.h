// FetchResponse -> JSON, by hand: the hot path of consumption (a fetch may
// carry 10,000 records). Text that is valid UTF-8 is written as JSON strings;
// a record whose key, value or a header value is not valid UTF-8 is written
// with "encoding":"base64" and all three base64-encoded (docs/api.md).
// Headers are an array of {"key","value"} in stored order, so a key that
// repeats (Kafka allows it) survives; a JSON object would collapse repeats.
#pragma once

#include <string>

#include "core/protocol/json_writer.h"
#include "core/protocol/messages.h"

namespace gafka {

// Appends one record object to `writer` (inside an array).
void WriteRecord(JsonWriter& writer, const std::string& topic, PartitionId partition,
                 const Record& record);

// The whole body of a direct fetch or a group poll.
std::string EncodeFetchBody(const FetchResponse& response);

}  // namespace gafka
