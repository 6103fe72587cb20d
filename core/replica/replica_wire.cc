#include "core/replica/replica_wire.h"

#include <string>
#include <string_view>
#include <utility>

#include "core/base/check.h"
#include "core/base/coding.h"

namespace gafka {
namespace {

constexpr uint32_t kMaxItems = 1u << 20;  // any list longer than this is garbage

void PutString(std::string* dst, const std::string& s) {
  PutFixed32(dst, static_cast<uint32_t>(s.size()));
  dst->append(s);
}
void PutI64(std::string* dst, int64_t v) { PutFixed64(dst, static_cast<uint64_t>(v)); }
void PutI32(std::string* dst, int32_t v) { PutFixed32(dst, static_cast<uint32_t>(v)); }

// A bounds-checked cursor: after the first failure every read fails.
class Reader {
 public:
  explicit Reader(ByteView bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == bytes_.size(); }

  uint8_t U8() { return Need(1) ? static_cast<uint8_t>(bytes_[pos_++]) : 0; }
  uint32_t U32() {
    if (!Need(4)) return 0;
    uint32_t v = DecodeFixed32(bytes_.data() + pos_);
    pos_ += 4;
    return v;
  }
  uint64_t U64() {
    if (!Need(8)) return 0;
    uint64_t v = DecodeFixed64(bytes_.data() + pos_);
    pos_ += 8;
    return v;
  }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  std::string String() {
    const uint32_t n = U32();
    if (!Need(n)) return {};
    std::string s(bytes_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  uint32_t Count() {
    const uint32_t n = U32();
    if (n > kMaxItems) ok_ = false;
    return ok_ ? n : 0;
  }
  bool Record(gafka::Record* out) {
    if (!ok_) return false;
    wal::Decoded decoded = wal::DecodeRecord(bytes_.data() + pos_, bytes_.size() - pos_);
    if (decoded.outcome != wal::DecodeOutcome::kOk) {
      ok_ = false;
      return false;
    }
    pos_ += decoded.size;
    *out = std::move(decoded.record);
    return true;
  }

 private:
  bool Need(size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  ByteView bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void PutOffset(std::string* dst, const ReplicatedOffset& o) {
  PutString(dst, o.group);
  PutString(dst, o.topic);
  PutI32(dst, o.partition.value());
  PutI64(dst, o.offset.value());
  PutI64(dst, o.commit_timestamp_ms);
  PutString(dst, o.metadata);
}

ReplicatedOffset ReadOffset(Reader& r) {
  ReplicatedOffset o;
  o.group = r.String();
  o.topic = r.String();
  o.partition = PartitionId(r.I32());
  o.offset = Offset(r.I64());
  o.commit_timestamp_ms = r.I64();
  o.metadata = r.String();
  return o;
}

void PutTopic(std::string* dst, const TopicInfo& t) {
  PutString(dst, t.name);
  PutI32(dst, t.partitions);
  PutI32(dst, t.replication_factor);
  PutI64(dst, t.config.retention_ms);
  PutI64(dst, t.config.retention_bytes);
  PutI64(dst, t.config.segment_bytes);
  PutI64(dst, t.config.max_message_bytes);
}

TopicInfo ReadTopic(Reader& r) {
  TopicInfo t;
  t.name = r.String();
  t.partitions = r.I32();
  t.replication_factor = r.I32();
  t.config.retention_ms = r.I64();
  t.config.retention_bytes = r.I64();
  t.config.segment_bytes = r.I64();
  t.config.max_message_bytes = r.I64();
  return t;
}

struct Encoder {
  std::string* out;

  void operator()(const ReplicaFetch& m) {
    PutFixed64(out, m.seq);
    PutI32(out, m.follower.value());
    PutI32(out, m.epoch.value());
    PutFixed64(out, m.metadata_hash);
    PutI64(out, m.max_wait_ms);
    PutFixed32(out, m.max_bytes);
    PutFixed32(out, static_cast<uint32_t>(m.partitions.size()));
    for (const FetchPartition& p : m.partitions) {
      PutString(out, p.topic);
      PutI32(out, p.partition.value());
      PutI64(out, p.fetch_offset.value());
      PutI64(out, p.durable_offset.value());
      PutI32(out, p.last_epoch.value());
    }
    PutFixed64(out, m.offsets_hash);
  }
  void operator()(const ReplicaFetchReply& m) {
    PutFixed64(out, m.seq);
    PutI32(out, m.leader.value());
    PutI32(out, m.epoch.value());
    PutFixed8(out, m.fenced ? 1 : 0);
    PutString(out, m.leader_address);
    PutFixed8(out, m.topics ? 1 : 0);
    if (m.topics) {
      PutFixed32(out, static_cast<uint32_t>(m.topics->size()));
      for (const TopicInfo& t : *m.topics) PutTopic(out, t);
    }
    PutFixed32(out, static_cast<uint32_t>(m.partitions.size()));
    for (const FetchPartitionReply& p : m.partitions) {
      PutString(out, p.topic);
      PutI32(out, p.partition.value());
      PutFixed8(out, static_cast<uint8_t>(p.status));
      PutI64(out, p.high_watermark.value());
      PutI64(out, p.log_start_offset.value());
      PutI64(out, p.log_end_offset.value());
      PutI64(out, p.diverging_end_offset.value());
      PutI32(out, p.diverging_epoch.value());
      PutFixed8(out, p.in_sync ? 1 : 0);
      PutFixed32(out, static_cast<uint32_t>(p.records.size()));
      for (const Record& record : p.records) wal::EncodeRecord(record, out);
    }
    PutFixed8(out, m.group_offsets ? 1 : 0);
    if (m.group_offsets) {
      PutFixed32(out, static_cast<uint32_t>(m.group_offsets->size()));
      for (const ReplicatedOffset& o : *m.group_offsets) PutOffset(out, o);
    }
  }
  void operator()(const ReplicaNotice& m) {
    PutFixed64(out, m.seq);
    PutI32(out, m.epoch.value());
    PutI32(out, m.leader.value());
    PutString(out, m.leader_address);
  }
  void operator()(const ReplicaNoticeReply& m) {
    PutFixed64(out, m.seq);
    PutI32(out, m.epoch.value());
  }
};

ReplicaFetch ReadFetch(Reader& r) {
  ReplicaFetch m;
  m.seq = r.U64();
  m.follower = NodeId(r.I32());
  m.epoch = Epoch(r.I32());
  m.metadata_hash = r.U64();
  m.max_wait_ms = r.I64();
  m.max_bytes = r.U32();
  const uint32_t n = r.Count();
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    FetchPartition p;
    p.topic = r.String();
    p.partition = PartitionId(r.I32());
    p.fetch_offset = Offset(r.I64());
    p.durable_offset = Offset(r.I64());
    p.last_epoch = Epoch(r.I32());
    m.partitions.push_back(std::move(p));
  }
  m.offsets_hash = r.U64();
  return m;
}

ReplicaFetchReply ReadFetchReply(Reader& r) {
  ReplicaFetchReply m;
  m.seq = r.U64();
  m.leader = NodeId(r.I32());
  m.epoch = Epoch(r.I32());
  m.fenced = r.U8() != 0;
  m.leader_address = r.String();
  if (r.U8() != 0) {
    m.topics.emplace();
    const uint32_t n = r.Count();
    for (uint32_t i = 0; i < n && r.ok(); ++i) m.topics->push_back(ReadTopic(r));
  }
  const uint32_t n = r.Count();
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    FetchPartitionReply p;
    p.topic = r.String();
    p.partition = PartitionId(r.I32());
    const uint8_t status = r.U8();
    p.status =
        status <= 4 ? static_cast<FetchPartitionStatus>(status) : FetchPartitionStatus::kFailed;
    p.high_watermark = Offset(r.I64());
    p.log_start_offset = Offset(r.I64());
    p.log_end_offset = Offset(r.I64());
    p.diverging_end_offset = Offset(r.I64());
    p.diverging_epoch = Epoch(r.I32());
    p.in_sync = r.U8() != 0;
    const uint32_t records = r.Count();
    for (uint32_t k = 0; k < records && r.ok(); ++k) {
      Record record;
      if (r.Record(&record)) p.records.push_back(std::move(record));
    }
    m.partitions.push_back(std::move(p));
  }
  if (r.U8() != 0) {
    m.group_offsets.emplace();
    const uint32_t count = r.Count();
    for (uint32_t i = 0; i < count && r.ok(); ++i) m.group_offsets->push_back(ReadOffset(r));
  }
  return m;
}

}  // namespace

Bytes EncodeReplicaMessage(const ReplicaMessage& message) {
  Bytes out;
  PutFixed8(&out, kReplicationKind);
  PutFixed8(&out, static_cast<uint8_t>(message.index() + 1));
  std::visit(Encoder{&out}, message);
  CHECK(out.size() >= 2);
  return out;
}

Result<ReplicaMessage> DecodeReplicaMessage(ByteView bytes) {
  Reader r(bytes);
  if (r.U8() != kReplicationKind) return Corruption("not a replication message");
  const uint8_t type = r.U8();
  ReplicaMessage message;
  switch (static_cast<ReplicaMessageType>(type)) {
    case ReplicaMessageType::kFetch:
      message = ReadFetch(r);
      break;
    case ReplicaMessageType::kFetchReply:
      message = ReadFetchReply(r);
      break;
    case ReplicaMessageType::kNotice: {
      ReplicaNotice m;
      m.seq = r.U64();
      m.epoch = Epoch(r.I32());
      m.leader = NodeId(r.I32());
      m.leader_address = r.String();
      message = std::move(m);
      break;
    }
    case ReplicaMessageType::kNoticeReply: {
      ReplicaNoticeReply m;
      m.seq = r.U64();
      m.epoch = Epoch(r.I32());
      message = m;
      break;
    }
    default:
      return Corruption("unknown replication message type " + std::to_string(type));
  }
  if (!r.done()) return Corruption("malformed replication message");
  return message;
}

namespace {

uint64_t Fnv1a(std::string_view bytes) {
  uint64_t hash = 1469598103934665603ull;
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

uint64_t TopicsHash(const std::vector<TopicInfo>& topics) {
  std::string all;
  for (const TopicInfo& t : topics) PutTopic(&all, t);
  return Fnv1a(all);
}

uint64_t GroupOffsetsHash(const std::vector<ReplicatedOffset>& offsets) {
  if (offsets.empty()) return 0;
  std::string all;
  for (const ReplicatedOffset& o : offsets) PutOffset(&all, o);
  const uint64_t hash = Fnv1a(all);
  return hash == 0 ? 1 : hash;
}

}  // namespace gafka
