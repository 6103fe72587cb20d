#include "runtime-sim/oracle.h"

#include <charconv>
#include <cstring>

#include "core/base/check.h"
#include "core/base/rng.h"
#include "runtime-sim/oracle_checkers.h"

namespace gafka::sim {
namespace {

// The 64x64->128 multiply folded to 64 bits (wyhash's "mum").
uint64_t Mum(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;  // NOLINT: GCC/Clang
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

uint64_t Load64(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

// 64-bit hash of bytes, 16 at a time through one folded multiply (the
// wyhash construction: a fingerprint compared within one run, not a
// cryptographic hash); the length goes in first so "ab"+"c" and "a"+"bc"
// differ. Every record read and sent is fingerprinted, so this is hot: the
// splitmix-per-8-bytes version it replaced was the simulator's top symbol.
uint64_t HashBytes(uint64_t h, std::string_view bytes) {
  constexpr uint64_t kA = 0xa0761d6478bd642full, kB = 0xe7037ed1a0b428dbull;
  const char* p = bytes.data();
  size_t n = bytes.size();
  h = Mum(h ^ kA, n ^ kB);
  for (; n >= 16; n -= 16, p += 16) h = Mum(Load64(p) ^ kA, Load64(p + 8) ^ h);
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = Load64(p);
    if (n > 8) std::memcpy(&b, p + 8, n - 8);
  } else if (n > 0) {
    std::memcpy(&a, p, n);
  }
  return Mix64(Mum(a ^ kA ^ (static_cast<uint64_t>(n) << 56), b ^ h ^ kB));
}

}  // namespace

std::string Violation::ToString() const {
  std::string s = "invariant " + std::to_string(invariant) + " (" + name + ") at " +
                  std::to_string(time_ms) + " ms: " + detail;
  return s;
}

Oracle::Oracle() {
  AddChecker(MakeAckedWritesChecker());
  AddChecker(MakeOffsetConsistencyChecker());
  AddChecker(MakeOrderChecker());
  AddChecker(MakeStableReadsChecker());
}

Oracle::~Oracle() = default;

void Oracle::AddChecker(std::unique_ptr<InvariantChecker> checker) {
  CHECK(checker != nullptr);
  checkers_.push_back(std::move(checker));
}

void Oracle::Fail(int invariant, std::string name, std::string detail) {
  if (violation_) return;
  violation_ = Violation{invariant, std::move(name), std::move(detail), now_ms_};
}

// ---- message identity -------------------------------------------------------

std::string Oracle::ValueFor(MessageId id, std::string_view payload) {
  CHECK(id != 0);
  std::string value = "m" + std::to_string(id) + "|";
  value.append(payload);
  return value;
}

std::optional<MessageId> Oracle::IdOf(std::string_view value) {
  if (value.size() < 3 || value[0] != 'm') return std::nullopt;
  const size_t bar = value.find('|');
  if (bar == std::string_view::npos || bar < 2 || bar > 21) return std::nullopt;
  MessageId id = 0;
  const auto [end, ec] = std::from_chars(value.data() + 1, value.data() + bar, id);
  if (ec != std::errc() || end != value.data() + bar || id == 0) return std::nullopt;
  return id;
}

uint64_t Oracle::Fingerprint(const std::optional<std::string>& key, std::string_view value,
                             std::span<const RecordHeader> headers) {
  uint64_t h = key ? HashBytes(1, *key) : 2;
  h = HashBytes(h, value);
  h = Mix64(h ^ headers.size());
  for (const RecordHeader& header : headers) {
    h = HashBytes(h, header.key);
    h = HashBytes(h, header.value);
  }
  return h == 0 ? 1 : h;  // 0 means "unknown" in a Slot
}

// ---- history ------------------------------------------------------------------

Oracle::PartitionHistory& Oracle::History(const std::string& topic, PartitionId partition) {
  if (const PartitionHistory* cached = FindHistory(topic, partition)) {
    return const_cast<PartitionHistory&>(*cached);  // NOLINT: our own map's element
  }
  return partitions_[{topic, partition.value()}];
}

// Checkers look up the same partition for every record of an answer: one
// cached entry saves a map walk of string compares per lookup. Map nodes are
// stable, so the pointer stays valid.
const Oracle::PartitionHistory* Oracle::FindHistory(const std::string& topic,
                                                    PartitionId partition) const {
  if (cached_ != nullptr && cached_key_.second == partition.value() && cached_key_.first == topic) {
    return cached_;
  }
  auto it = partitions_.find({topic, partition.value()});
  if (it == partitions_.end()) return nullptr;
  cached_key_ = it->first;
  cached_ = &it->second;
  return cached_;
}

void Oracle::Put(std::vector<Slot>* slots, Offset offset, const Slot& slot) {
  CHECK(offset.value() >= 0);
  const auto index = static_cast<size_t>(offset.value());
  if (index >= slots->size()) slots->resize(index + 1);
  (*slots)[index] = slot;
}

std::optional<uint64_t> Oracle::SentFingerprint(MessageId id) const {
  if (id == 0 || id > fingerprints_.size() || fingerprints_[id - 1] == 0) return std::nullopt;
  return fingerprints_[id - 1];
}

const Slot* Oracle::Acked(const std::string& topic, PartitionId partition, Offset offset) const {
  const PartitionHistory* history = FindHistory(topic, partition);
  if (history == nullptr || offset.value() < 0) return nullptr;
  const auto index = static_cast<size_t>(offset.value());
  if (index >= history->acked.size() || history->acked[index].id == 0) return nullptr;
  return &history->acked[index];
}

const Slot* Oracle::Observed(const std::string& topic, PartitionId partition, Offset offset) const {
  const PartitionHistory* history = FindHistory(topic, partition);
  if (history == nullptr || offset.value() < 0) return nullptr;
  const auto index = static_cast<size_t>(offset.value());
  if (index >= history->observed.size() || history->observed[index].id == 0) return nullptr;
  return &history->observed[index];
}

std::map<std::pair<std::string, int32_t>, Offset> Oracle::AckedEnds() const {
  std::map<std::pair<std::string, int32_t>, Offset> ends;
  for (const auto& [key, history] : partitions_) {
    int64_t end = 0;
    for (size_t i = history.acked.size(); i > 0; --i) {
      if (history.acked[i - 1].id != 0) {
        end = static_cast<int64_t>(i);
        break;
      }
    }
    ends[key] = Offset(end);
  }
  return ends;
}

std::vector<std::pair<std::string, int32_t>> Oracle::Partitions() const {
  std::vector<std::pair<std::string, int32_t>> out;
  for (const auto& [key, history] : partitions_) out.push_back(key);
  return out;
}

// ---- events -------------------------------------------------------------------

void Oracle::OnSent(MessageId id, const ProduceMessage& message) {
  CHECK(id != 0 && id <= last_id_);
  const std::optional<MessageId> claimed = IdOf(message.value);
  CHECK_MSG(claimed && *claimed == id, "a produced value must start with m<id>|");
  if (fingerprints_.size() < id) fingerprints_.resize(id, 0);
  const uint64_t fingerprint = Fingerprint(message.key, message.value, message.headers);
  // A retry sends the same bytes again.
  CHECK(fingerprints_[id - 1] == 0 || fingerprints_[id - 1] == fingerprint);
  fingerprints_[id - 1] = fingerprint;
}

void Oracle::OnProduceAnswer(std::span<const AckEvent> acks) {
  for (const auto& checker : checkers_) checker->OnProduceAnswer(acks, *this);
  for (const AckEvent& ack : acks) {
    if (ack.leader_only && leader_only_sink_) {
      ++acks_;
      leader_only_sink_(ack);
      continue;
    }
    for (const auto& checker : checkers_) checker->OnAck(ack, *this);
    ++acks_;
    const std::optional<uint64_t> fingerprint = SentFingerprint(ack.id);
    CHECK_MSG(fingerprint.has_value(), "an ack for a message that was never sent");
    // The first ack of an offset stays: checkers compare later ones with it.
    if (Acked(ack.topic, ack.partition, ack.offset) == nullptr) {
      Put(&History(ack.topic, ack.partition).acked, ack.offset,
          Slot{ack.id, *fingerprint, ack.timestamp_ms});
    }
  }
}

void Oracle::OnRead(const ReadEvent& read) {
  for (const auto& checker : checkers_) checker->OnRead(read, *this);
  PartitionHistory& history = History(read.topic, read.partition);
  for (const Record& record : read.records) {
    ++records_read_;
    if (record.offset.value() < 0) continue;  // reported by a checker
    const std::optional<MessageId> id = IdOf(record.value);
    if (!id) continue;  // reported by a checker
    if (Observed(read.topic, read.partition, record.offset) != nullptr) continue;
    Put(&history.observed, record.offset, Slot{*id, Fingerprint(record), record.timestamp_ms});
  }
}

void Oracle::OnReadError(int32_t reader, const std::string& topic, PartitionId partition,
                         Offset from, const ApiError& error) {
  for (const auto& checker : checkers_) {
    checker->OnReadError(reader, topic, partition, from, error, *this);
  }
}

void Oracle::OnFinal(const FinalAudit& audit) {
  for (const auto& checker : checkers_) checker->OnFinal(audit, *this);
}

}  // namespace gafka::sim
