// The single-broker invariant checkers. Each sees an event before the oracle
// adds it to the history, so "prior" below means "known before this event".
// Each property is checked from both sides where it can be: an ack against
// earlier reads, and a read against earlier acks.
#include "runtime-sim/oracle_checkers.h"

#include <string>

#include "core/base/check.h"

namespace gafka::sim {
namespace {

std::string Where(const std::string& topic, PartitionId partition, Offset offset) {
  return topic + "/" + std::to_string(partition.value()) + "@" + std::to_string(offset.value());
}

std::string Msg(MessageId id) { return "m" + std::to_string(id); }

bool SameSlot(const Slot& a, const Slot& b) {
  return a.id == b.id && a.fingerprint == b.fingerprint && a.timestamp_ms == b.timestamp_ms;
}

// 1: an acknowledged write is never lost nor altered; no record is partial.
class AckedWritesChecker final : public InvariantChecker {
 public:
  const char* name() const override { return "acked-writes"; }

  void OnAck(const AckEvent& ack, Oracle& oracle) override {
    const Slot* seen = oracle.Observed(ack.topic, ack.partition, ack.offset);
    if (seen == nullptr) return;
    const Slot acked{ack.id, oracle.SentFingerprint(ack.id).value_or(0), ack.timestamp_ms};
    if (!SameSlot(*seen, acked)) {
      oracle.Fail(1, "acked-write-lost",
                  Msg(ack.id) + " acked at " + Where(ack.topic, ack.partition, ack.offset) +
                      " (ts " + std::to_string(ack.timestamp_ms) + ") but a reader read " +
                      Msg(seen->id) + " (ts " + std::to_string(seen->timestamp_ms) + ") there");
    }
  }

  void OnRead(const ReadEvent& read, Oracle& oracle) override {
    for (const Record& record : read.records) {
      const std::optional<MessageId> id = Oracle::IdOf(record.value);
      if (!id) continue;  // checker 2 reports alien records
      const uint64_t fingerprint = Oracle::Fingerprint(record);
      const std::optional<uint64_t> sent = oracle.SentFingerprint(*id);
      if (sent && *sent != fingerprint) {
        oracle.Fail(1, "record-altered",
                    Msg(*id) + " read at " + Where(read.topic, read.partition, record.offset) +
                        " with bytes that differ from what the producer sent (value " +
                        std::to_string(record.value.size()) + " bytes)");
        return;
      }
      const Slot* acked = oracle.Acked(read.topic, read.partition, record.offset);
      if (acked == nullptr) continue;
      if (!SameSlot(*acked, Slot{*id, fingerprint, record.timestamp_ms})) {
        oracle.Fail(1, "acked-write-lost",
                    Msg(acked->id) + " was acked at " +
                        Where(read.topic, read.partition, record.offset) + " (ts " +
                        std::to_string(acked->timestamp_ms) + ") but a reader now reads " +
                        Msg(*id) + " (ts " + std::to_string(record.timestamp_ms) + ") there");
        return;
      }
    }
  }

  void OnFinal(const FinalAudit& audit, Oracle& oracle) override {
    if (!audit.complete) return;
    for (const auto& entry : audit.log_end) {
      // Plain names, not structured bindings: lambdas capture them (clang < 16).
      const std::string& topic = entry.first.first;
      const int32_t partition = entry.first.second;
      const Offset end = entry.second;
      oracle.ForEachAcked(topic, PartitionId(partition), [&](Offset offset, const Slot& slot) {
        if (oracle.failed()) return;
        if (offset >= end) {
          oracle.Fail(1, "acked-write-lost",
                      Msg(slot.id) + " acked at " + Where(topic, PartitionId(partition), offset) +
                          " but after recovery the log ends at " + std::to_string(end.value()));
        } else if (oracle.Observed(topic, PartitionId(partition), offset) == nullptr) {
          oracle.Fail(1, "acked-write-unreadable",
                      Msg(slot.id) + " acked at " + Where(topic, PartitionId(partition), offset) +
                          " was never read back by the final audit");
        }
      });
    }
  }
};

// 2: one offset never holds two different records; every record served was
// sent by some producer.
class OffsetConsistencyChecker final : public InvariantChecker {
 public:
  const char* name() const override { return "offset-consistency"; }

  void OnAck(const AckEvent& ack, Oracle& oracle) override {
    const Slot* prior = oracle.Acked(ack.topic, ack.partition, ack.offset);
    if (prior != nullptr && prior->id != ack.id) {
      oracle.Fail(2, "offset-reused",
                  Where(ack.topic, ack.partition, ack.offset) + " was acked for " + Msg(prior->id) +
                      " and again for " + Msg(ack.id));
    }
  }

  void OnRead(const ReadEvent& read, Oracle& oracle) override {
    for (const Record& record : read.records) {
      const std::optional<MessageId> id = Oracle::IdOf(record.value);
      if (!id || !oracle.SentFingerprint(*id)) {
        oracle.Fail(2, "alien-record",
                    Where(read.topic, read.partition, record.offset) +
                        " holds a record no producer sent (value starts \"" +
                        record.value.substr(0, 24) + "\")");
        return;
      }
      const Slot* prior = oracle.Observed(read.topic, read.partition, record.offset);
      const Slot now{*id, Oracle::Fingerprint(record), record.timestamp_ms};
      if (prior != nullptr && !SameSlot(*prior, now)) {
        oracle.Fail(2, "offset-changed",
                    Where(read.topic, read.partition, record.offset) + " was read as " +
                        Msg(prior->id) + " (ts " + std::to_string(prior->timestamp_ms) +
                        ") and later as " + Msg(*id) + " (ts " +
                        std::to_string(record.timestamp_ms) + ")");
        return;
      }
    }
  }
};

// 3: answers are dense and increasing from the requested offset; one produce
// request's messages to a partition get increasing offsets.
class OrderChecker final : public InvariantChecker {
 public:
  const char* name() const override { return "order"; }

  void OnProduceAnswer(std::span<const AckEvent> acks, Oracle& oracle) override {
    for (size_t i = 0; i < acks.size(); ++i) {
      for (size_t j = i + 1; j < acks.size(); ++j) {
        if (acks[i].topic != acks[j].topic || acks[i].partition != acks[j].partition) continue;
        if (acks[j].offset <= acks[i].offset) {
          oracle.Fail(3, "produce-order",
                      Msg(acks[i].id) + " got " +
                          Where(acks[i].topic, acks[i].partition, acks[i].offset) + " but " +
                          Msg(acks[j].id) + ", later in the same request, got offset " +
                          std::to_string(acks[j].offset.value()));
          return;
        }
      }
    }
  }

  void OnRead(const ReadEvent& read, Oracle& oracle) override {
    Offset expected = read.from;
    for (const Record& record : read.records) {
      if (record.offset != expected) {
        oracle.Fail(3, "offsets-not-dense",
                    "a fetch of " + Where(read.topic, read.partition, read.from) +
                        " returned offset " + std::to_string(record.offset.value()) + " where " +
                        std::to_string(expected.value()) + " was due");
        return;
      }
      ++expected;
    }
    if (read.next_offset != expected) {
      oracle.Fail(3, "next-offset-wrong",
                  "a fetch of " + Where(read.topic, read.partition, read.from) + " returned " +
                      std::to_string(read.records.size()) + " records and next_offset " +
                      std::to_string(read.next_offset.value()) + " (expected " +
                      std::to_string(expected.value()) + ")");
    }
  }
};

// 4: no read of a record that later disappears: reads stop at the high
// watermark, the high watermark never goes back, and what was read stays.
class StableReadsChecker final : public InvariantChecker {
 public:
  const char* name() const override { return "stable-reads"; }

  void OnRead(const ReadEvent& read, Oracle& oracle) override {
    for (const Record& record : read.records) {
      if (record.offset >= read.high_watermark) {
        oracle.Fail(4, "read-beyond-high-watermark",
                    "served " + Where(read.topic, read.partition, record.offset) +
                        " with the high watermark at " +
                        std::to_string(read.high_watermark.value()));
        return;
      }
    }
    if (read.current && read.high_watermark < read.previous_high_watermark) {
      oracle.Fail(4, "high-watermark-regressed",
                  read.topic + "/" + std::to_string(read.partition.value()) + ": reader " +
                      std::to_string(read.reader) + " saw the high watermark at " +
                      std::to_string(read.previous_high_watermark.value()) +
                      ", a later answer says " + std::to_string(read.high_watermark.value()));
    }
  }

  void OnReadError(int32_t reader, const std::string& topic, PartitionId partition, Offset from,
                   const ApiError& error, Oracle& oracle) override {
    // A reader only asks for offsets at or below a high watermark it was
    // shown; "out of range" means the log shrank below served data.
    if (error.error_code == 40013) {
      oracle.Fail(4, "log-shrank",
                  "reader " + std::to_string(reader) + " was shown " +
                      Where(topic, partition, from) + " as readable, now: " + error.message);
    }
  }

  void OnFinal(const FinalAudit& audit, Oracle& oracle) override {
    if (!audit.complete) return;
    for (const auto& entry : audit.log_end) {
      // Plain names, not structured bindings: lambdas capture them (clang < 16).
      const std::string& topic = entry.first.first;
      const int32_t partition = entry.first.second;
      const Offset end = entry.second;
      oracle.ForEachObserved(topic, PartitionId(partition), [&](Offset offset, const Slot& slot) {
        if (oracle.failed() || offset < end) return;
        oracle.Fail(4, "read-record-lost",
                    Msg(slot.id) + " was read at " + Where(topic, PartitionId(partition), offset) +
                        " but after recovery the log ends at " + std::to_string(end.value()));
      });
    }
  }
};

}  // namespace

std::unique_ptr<InvariantChecker> MakeAckedWritesChecker() {
  return std::make_unique<AckedWritesChecker>();
}
std::unique_ptr<InvariantChecker> MakeOffsetConsistencyChecker() {
  return std::make_unique<OffsetConsistencyChecker>();
}
std::unique_ptr<InvariantChecker> MakeOrderChecker() { return std::make_unique<OrderChecker>(); }
std::unique_ptr<InvariantChecker> MakeStableReadsChecker() {
  return std::make_unique<StableReadsChecker>();
}

}  // namespace gafka::sim
