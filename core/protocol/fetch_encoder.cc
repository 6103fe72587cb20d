#include "core/protocol/fetch_encoder.h"

#include "core/base/check.h"
#include "core/protocol/base64.h"

namespace gafka {
namespace {

// Writes the record's bytes as text; false (with a half-written record) at
// the first field that is not valid UTF-8.
bool WriteTextFields(JsonWriter& writer, const Record& record) {
  writer.Key("key");
  if (record.key) {
    if (!writer.StringIfUtf8(*record.key)) return false;
  } else {
    writer.Null();
  }
  writer.Key("value");
  if (!writer.StringIfUtf8(record.value)) return false;
  writer.Key("headers");
  writer.BeginArray();
  for (const RecordHeader& header : record.headers) {
    writer.BeginObject();
    writer.Key("key");
    writer.String(header.key);  // header keys are text by construction; repaired if not
    writer.Key("value");
    if (!writer.StringIfUtf8(header.value)) return false;
    writer.EndObject();
  }
  writer.EndArray();
  return true;
}

void WriteBase64Fields(JsonWriter& writer, const Record& record) {
  writer.Key("key");
  if (record.key) {
    writer.Base64String(*record.key);
  } else {
    writer.Null();
  }
  writer.Key("value");
  writer.Base64String(record.value);
  writer.Key("headers");
  writer.BeginArray();
  for (const RecordHeader& header : record.headers) {
    writer.BeginObject();
    writer.Key("key");
    writer.String(header.key);
    writer.Key("value");
    writer.Base64String(header.value);
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("encoding");
  writer.String("base64");
}

size_t EstimateSize(const FetchResponse& response) {
  size_t size = 256;
  for (const ConsumedRecord& consumed : response.records) {
    const Record& r = consumed.record;
    size += 96 + consumed.topic.size() + r.value.size() + (r.key ? r.key->size() : 0);
    for (const RecordHeader& h : r.headers) size += 24 + h.key.size() + h.value.size();
  }
  return size;
}

}  // namespace

void WriteRecord(JsonWriter& writer, const std::string& topic, PartitionId partition,
                 const Record& record) {
  writer.BeginObject();
  writer.Key("topic");
  writer.String(topic);
  writer.Key("partition");
  writer.Int(partition.value());
  writer.Key("offset");
  writer.Int(record.offset.value());
  writer.Key("timestamp");
  writer.Int(record.timestamp_ms);
  const JsonWriter::Mark mark = writer.GetMark();
  if (!WriteTextFields(writer, record)) {
    writer.Rewind(mark);
    WriteBase64Fields(writer, record);
  }
  writer.EndObject();
}

std::string EncodeFetchBody(const FetchResponse& response) {
  std::string body;
  body.reserve(EstimateSize(response));
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("topic");
  writer.String(response.topic);
  writer.Key("records");
  writer.BeginArray();
  for (const ConsumedRecord& consumed : response.records) {
    WriteRecord(writer, consumed.topic, consumed.partition, consumed.record);
  }
  writer.EndArray();
  if (response.generation) {  // group poll
    writer.Key("generation");
    writer.Int(response.generation->value());
    if (response.session_expires_in_ms) {
      writer.Key("session_expires_in_ms");
      writer.Int(*response.session_expires_in_ms);
    }
    writer.Key("assigned_partitions");
    writer.BeginArray();
    for (PartitionId p : response.assigned) writer.Int(p.value());
    writer.EndArray();
  } else {  // direct fetch
    writer.Key("partition");
    writer.Int(response.partition.value());
    writer.Key("next_offset");
    writer.Int(response.next_offset.value());
    writer.Key("high_watermark");
    writer.Int(response.high_watermark.value());
    writer.Key("log_start_offset");
    writer.Int(response.log_start_offset.value());
  }
  writer.EndObject();
  CHECK(writer.done());
  return body;
}

}  // namespace gafka
