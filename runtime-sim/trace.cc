#include "runtime-sim/trace.h"

#include <cinttypes>

#include "core/base/check.h"
#include "core/base/rng.h"

namespace gafka::sim {

const char* TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kNote:
      return "note";
    case TraceKind::kSend:
      return "send";
    case TraceKind::kDeliver:
      return "deliver";
    case TraceKind::kDrop:
      return "drop";
    case TraceKind::kDuplicate:
      return "duplicate";
    case TraceKind::kNodeStart:
      return "node-start";
    case TraceKind::kNodeCrash:
      return "node-crash";
    case TraceKind::kNodePause:
      return "node-pause";
    case TraceKind::kFault:
      return "fault";
    case TraceKind::kProduceSend:
      return "produce-send";
    case TraceKind::kProduceAck:
      return "produce-ack";
    case TraceKind::kProduceFail:
      return "produce-fail";
    case TraceKind::kFetch:
      return "fetch";
    case TraceKind::kViolation:
      return "VIOLATION";
  }
  return "?";
}

std::string TraceEntry::ToString() const {
  char head[160];
  std::snprintf(head, sizeof(head),
                "%10" PRId64 ".%03" PRId64 "s n%-4d %-12s %" PRId64 " %" PRId64 " %" PRId64,
                time_ms / 1000, time_ms % 1000, node, TraceKindName(kind), a, b, c);
  std::string line = head;
  if (!detail.empty()) {
    line += "  ";
    line += detail;
  }
  return line;
}

Trace::Trace(size_t ring_capacity) : ring_(ring_capacity) { CHECK(ring_capacity > 0); }

void Trace::Record(Millis time_ms, TraceKind kind, int32_t node, int64_t a, int64_t b, int64_t c,
                   std::string_view detail) {
  // Fold every field; Mix64 after each so that permuted fields hash apart.
  uint64_t h = hash_;
  h = Mix64(h ^ static_cast<uint64_t>(time_ms));
  h = Mix64(h ^ (static_cast<uint64_t>(kind) << 32) ^ static_cast<uint32_t>(node));
  h = Mix64(h ^ static_cast<uint64_t>(a));
  h = Mix64(h ^ static_cast<uint64_t>(b));
  h = Mix64(h ^ static_cast<uint64_t>(c));
  if (!detail.empty()) h = Mix64(h ^ HashName(detail));
  hash_ = h;
  ++events_;

  TraceEntry& slot = ring_[next_];
  slot.time_ms = time_ms;
  slot.kind = kind;
  slot.node = node;
  slot.a = a;
  slot.b = b;
  slot.c = c;
  slot.detail.assign(detail.data(), detail.size());
  next_ = (next_ + 1) % ring_.size();
  if (echo_ != nullptr) std::fprintf(echo_, "%s\n", slot.ToString().c_str());
}

std::vector<std::string> Trace::Tail(size_t n) const {
  const size_t stored = events_ < ring_.size() ? static_cast<size_t>(events_) : ring_.size();
  if (n > stored) n = stored;
  std::vector<std::string> out;
  out.reserve(n);
  // The oldest of the last n entries sits n slots before next_.
  size_t i = (next_ + ring_.size() - n) % ring_.size();
  for (size_t k = 0; k < n; ++k) {
    out.push_back(ring_[i].ToString());
    i = (i + 1) % ring_.size();
  }
  CHECK(out.size() == n);
  return out;
}

}  // namespace gafka::sim
