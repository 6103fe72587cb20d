// The oracle: what the simulated clients were told, checked against what
// they later read. Producers register every message they send and report
// every acknowledgement; readers report every fetch answer; the Simulation
// reports the drain (liveness) outcome and the final audit. The oracle keeps
// the shared history; pluggable InvariantCheckers judge each event against
// it (before the event is added). The first violation is kept and ends the
// run.
//
// Message identity: every produced value starts with "m<id>|" (ValueFor), so
// a record read back names the message it claims to be; the oracle compares
// a 64-bit fingerprint of key, value and headers with what was sent.
//
// Invariants of the single-broker case (docs/simulation.md):
//   1 acknowledged writes are never lost nor altered (read back at their
//     partition and offset with identical bytes and timestamp);
//   2 one offset never holds two different records; no record that no
//     producer sent is ever served;
//   3 per-partition order: answers are dense and increasing from the
//     requested offset; a produce request's messages to one partition get
//     increasing offsets; polls never go backwards;
//   4 no read of a record that later disappears (reads stop at the high
//     watermark, which never goes back);
//   5 liveness: once faults stop, every acked message is readable and every
//     producer's retries succeed.
// Group and replication invariants plug in as more checkers later.
//
// Owned by the Simulation; single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/types.h"
#include "core/log/record.h"
#include "core/protocol/messages.h"

namespace gafka::sim {

using MessageId = uint64_t;  // 1, 2, ... per run; 0 = none

struct Violation {
  int invariant = 0;  // 1..5 as above (0: the harness itself)
  std::string name;   // e.g. "acked-write-lost"
  std::string detail;
  Millis time_ms = 0;
  std::string ToString() const;
};

struct AckEvent {
  MessageId id = 0;
  std::string topic;
  PartitionId partition;
  Offset offset;
  Millis timestamp_ms = 0;
  bool late = false;  // answered after the producer's timeout
  bool leader_only = false;  // acks=1 (replication: may be lost on failover)
};

struct ReadEvent {
  int32_t reader = 0;
  std::string topic;
  PartitionId partition;
  Offset from;  // the requested offset
  std::span<const Record> records;
  Offset next_offset;
  Offset high_watermark;
  bool current = true;             // the answer to the reader's outstanding request (false: late)
  Offset previous_high_watermark;  // the highest the reader saw before it sent this request
};

struct FinalAudit {
  bool complete = false;                                      // every partition was read to its end
  std::map<std::pair<std::string, int32_t>, Offset> log_end;  // per (topic, partition)
};

// One slot of a partition's history, indexed by offset.
struct Slot {
  MessageId id = 0;  // 0: nothing known
  uint64_t fingerprint = 0;
  Millis timestamp_ms = 0;
};

class Oracle;

class InvariantChecker {
 public:
  virtual ~InvariantChecker() = default;
  virtual const char* name() const = 0;
  virtual void OnAck(const AckEvent& /*ack*/, Oracle& /*oracle*/) {}
  virtual void OnRead(const ReadEvent& /*read*/, Oracle& /*oracle*/) {}
  // A produce answer: the acked messages of one request, in request order.
  virtual void OnProduceAnswer(std::span<const AckEvent> /*acks*/, Oracle& /*oracle*/) {}
  // A fetch refused with `error` (e.g. 40013, offset out of range).
  virtual void OnReadError(int32_t /*reader*/, const std::string& /*topic*/, PartitionId,
                           Offset /*from*/, const ApiError& /*error*/, Oracle& /*oracle*/) {}
  virtual void OnFinal(const FinalAudit& /*audit*/, Oracle& /*oracle*/) {}
};

class Oracle {
 public:
  // With the five single-broker checkers installed.
  Oracle();
  ~Oracle();
  Oracle(const Oracle&) = delete;
  Oracle& operator=(const Oracle&) = delete;

  void AddChecker(std::unique_ptr<InvariantChecker> checker);
  // Replication: acks=1 acknowledgements only promise the leader's disk; a
  // failover may lose them. With a sink set they go there (counted, not
  // judged by invariant 1) instead of into the acked history.
  void set_leader_only_sink(std::function<void(const AckEvent&)> sink) {
    leader_only_sink_ = std::move(sink);
  }
  // Reports a violation; only the first is kept.
  void Fail(int invariant, std::string name, std::string detail);
  bool failed() const { return violation_.has_value(); }
  const std::optional<Violation>& violation() const { return violation_; }
  void set_now(Millis now_ms) { now_ms_ = now_ms; }
  Millis now_ms() const { return now_ms_; }

  // ---- events --------------------------------------------------------------
  MessageId NewMessageId() { return ++last_id_; }
  // `message.value` must come from ValueFor(id, ...).
  void OnSent(MessageId id, const ProduceMessage& message);
  void OnProduceAnswer(std::span<const AckEvent> acks);
  void OnRead(const ReadEvent& read);
  void OnReadError(int32_t reader, const std::string& topic, PartitionId partition, Offset from,
                   const ApiError& error);
  void OnFinal(const FinalAudit& audit);

  // ---- history (for checkers) ---------------------------------------------
  // The fingerprint registered for `id`, if it was sent.
  std::optional<uint64_t> SentFingerprint(MessageId id) const;
  const Slot* Acked(const std::string& topic, PartitionId partition, Offset offset) const;
  const Slot* Observed(const std::string& topic, PartitionId partition, Offset offset) const;
  // Highest acked offset + 1 per (topic, partition) (0 if none).
  std::map<std::pair<std::string, int32_t>, Offset> AckedEnds() const;
  // Every (offset, slot) acked / observed in one partition, offset order.
  template <typename Fn>
  void ForEachAcked(const std::string& topic, PartitionId partition, Fn fn) const;
  template <typename Fn>
  void ForEachObserved(const std::string& topic, PartitionId partition, Fn fn) const;
  std::vector<std::pair<std::string, int32_t>> Partitions() const;

  uint64_t sent() const { return fingerprints_.size(); }
  uint64_t acks() const { return acks_; }
  uint64_t records_read() const { return records_read_; }

  // ---- message identity ----------------------------------------------------
  // "m<id>|" followed by `payload`.
  static std::string ValueFor(MessageId id, std::string_view payload);
  // The id a value claims, if it has the "m<id>|" form.
  static std::optional<MessageId> IdOf(std::string_view value);
  static uint64_t Fingerprint(const std::optional<std::string>& key, std::string_view value,
                              std::span<const RecordHeader> headers);
  static uint64_t Fingerprint(const Record& record) {
    return Fingerprint(record.key, record.value, record.headers);
  }

 private:
  struct PartitionHistory {
    std::vector<Slot> acked;     // by offset
    std::vector<Slot> observed;  // by offset
  };
  PartitionHistory& History(const std::string& topic, PartitionId partition);
  const PartitionHistory* FindHistory(const std::string& topic, PartitionId partition) const;
  static void Put(std::vector<Slot>* slots, Offset offset, const Slot& slot);

  std::vector<std::unique_ptr<InvariantChecker>> checkers_;
  std::optional<Violation> violation_;
  Millis now_ms_ = 0;
  MessageId last_id_ = 0;
  std::vector<uint64_t> fingerprints_;  // [id - 1]; 0 = not (yet) sent
  std::map<std::pair<std::string, int32_t>, PartitionHistory> partitions_;
  mutable const PartitionHistory* cached_ = nullptr;  // FindHistory's last answer
  mutable std::pair<std::string, int32_t> cached_key_;
  uint64_t acks_ = 0;
  uint64_t records_read_ = 0;
  std::function<void(const AckEvent&)> leader_only_sink_;
};

template <typename Fn>
void Oracle::ForEachAcked(const std::string& topic, PartitionId partition, Fn fn) const {
  const PartitionHistory* history = FindHistory(topic, partition);
  if (history == nullptr) return;
  for (size_t i = 0; i < history->acked.size(); ++i) {
    if (history->acked[i].id != 0) fn(Offset(static_cast<int64_t>(i)), history->acked[i]);
  }
}

template <typename Fn>
void Oracle::ForEachObserved(const std::string& topic, PartitionId partition, Fn fn) const {
  const PartitionHistory* history = FindHistory(topic, partition);
  if (history == nullptr) return;
  for (size_t i = 0; i < history->observed.size(); ++i) {
    if (history->observed[i].id != 0) fn(Offset(static_cast<int64_t>(i)), history->observed[i]);
  }
}

}  // namespace gafka::sim
