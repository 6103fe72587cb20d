// Fundamental value types (after Redpanda's model/fundamental.h): distinct
// types for ids and offsets so an offset can never be passed as a partition.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

namespace gafka {

template <typename Tag, typename Rep = int64_t>
class StrongInt {
 public:
  using rep = Rep;
  constexpr StrongInt() = default;
  constexpr explicit StrongInt(Rep v) : v_(v) {}
  constexpr Rep value() const { return v_; }

  constexpr auto operator<=>(const StrongInt&) const = default;
  constexpr StrongInt operator+(Rep d) const { return StrongInt(v_ + d); }
  constexpr StrongInt operator-(Rep d) const { return StrongInt(v_ - d); }
  constexpr Rep operator-(StrongInt o) const { return v_ - o.v_; }
  constexpr StrongInt& operator++() { ++v_; return *this; }
  constexpr StrongInt& operator+=(Rep d) { v_ += d; return *this; }

 private:
  Rep v_{};
};

using Offset = StrongInt<struct OffsetTag, int64_t>;            // position in a partition log
using PartitionId = StrongInt<struct PartitionTag, int32_t>;    // 0..partitions-1
using NodeId = StrongInt<struct NodeTag, int32_t>;              // broker id
using Epoch = StrongInt<struct EpochTag, int32_t>;              // leader epoch
using Generation = StrongInt<struct GenerationTag, int32_t>;    // consumer-group generation

// Time is integral milliseconds. Monotonic instants come from Clock::NowMs();
// wall-clock timestamps (for records) from Clock::WallMs(). Names carry the
// unit last: timeout_ms, deadline_ms.
using Millis = int64_t;

constexpr Millis kMillisPerSecond = 1000;

// Bytes are held in std::string: contiguous, cheap to move, and JSON-friendly.
using Bytes = std::string;
using ByteView = std::string_view;

}  // namespace gafka

template <typename Tag, typename Rep>
struct std::hash<gafka::StrongInt<Tag, Rep>> {
  size_t operator()(gafka::StrongInt<Tag, Rep> v) const { return std::hash<Rep>()(v.value()); }
};
