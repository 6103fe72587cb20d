// Trace: the simulator's event record. Every simulated event (a packet sent,
// dropped or delivered, a crash, a restart, an ack, a read, a fault) is folded
// into a 64-bit running hash and kept in a bounded ring buffer for the tail
// that a failure report prints. Same (scenario, seed) => same hash: that is
// how determinism is checked.
//
// Entries are structured (time, kind, node, three integers, a short detail)
// and formatted only when printed, so tracing costs a few multiplies per
// event, not a string format.
//
// Owned by the Simulation; single-threaded; components hold it by reference.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/types.h"

namespace gafka::sim {

enum class TraceKind : uint8_t {
  kNote = 0,     // free text (phase changes, options)
  kSend,         // a=from b=to c=kind/bytes
  kDeliver,      // a=from b=to c=payload crc
  kDrop,         // a=from b=to; detail = reason
  kDuplicate,    // a=from b=to
  kNodeStart,    // a=incarnation
  kNodeCrash,    // a=incarnation
  kNodePause,    // a=1 pause, 0 resume
  kFault,        // detail = what
  kProduceSend,  // a=producer b=request id c=messages
  kProduceAck,   // a=partition b=offset c=message id hash
  kProduceFail,  // a=producer b=request id; detail = why
  kFetch,        // a=partition b=from offset c=records
  kViolation,    // detail = invariant
};

const char* TraceKindName(TraceKind kind);

struct TraceEntry {
  Millis time_ms = 0;
  TraceKind kind = TraceKind::kNote;
  int32_t node = 0;
  int64_t a = 0, b = 0, c = 0;
  std::string detail;

  std::string ToString() const;
};

class Trace {
 public:
  explicit Trace(size_t ring_capacity = 512);

  void Record(Millis time_ms, TraceKind kind, int32_t node, int64_t a = 0, int64_t b = 0,
              int64_t c = 0, std::string_view detail = {});

  uint64_t hash() const { return hash_; }
  uint64_t events() const { return events_; }
  // The last `n` entries, oldest first, formatted.
  std::vector<std::string> Tail(size_t n) const;
  // With an echo stream set, every entry is also printed as it is recorded
  // (gafka-sim run --trace).
  void set_echo(std::FILE* echo) { echo_ = echo; }

 private:
  std::vector<TraceEntry> ring_;
  size_t next_ = 0;  // ring slot the next entry goes to
  uint64_t hash_ = 0x6A09E667F3BCC908ull;
  uint64_t events_ = 0;
  std::FILE* echo_ = nullptr;
};

}  // namespace gafka::sim
