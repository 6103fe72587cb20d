// SegmentIndex: the sparse index and summary of one segment, and the sealed
// index file format (docs/wal-format.md).
#include "core/log/index.h"

#include <algorithm>

#include "core/base/check.h"
#include "core/base/coding.h"
#include "core/base/crc32c.h"

namespace gafka::wal {

SegmentIndex::SegmentIndex(Offset base_offset, uint64_t interval_bytes)
    : base_offset_(base_offset), interval_bytes_(interval_bytes), next_offset_(base_offset) {
  CHECK(base_offset.value() >= 0);
  CHECK(interval_bytes > 0);
}

void SegmentIndex::Add(Offset offset, uint64_t position, size_t size, Millis timestamp_ms,
                       Epoch epoch) {
  CHECK_MSG(offset == next_offset_, "records are added densely");
  CHECK_MSG(position == size_, "records are added contiguously");
  CHECK(position + size <= std::numeric_limits<uint32_t>::max());
  if (position > 0 && position - last_entry_position_ >= interval_bytes_) {
    entries_.push_back(IndexEntry{static_cast<uint32_t>(offset - base_offset_),
                                  static_cast<uint32_t>(position), max_timestamp_ms_});
    last_entry_position_ = position;
  }
  if (epochs_.empty() || epochs_.back().epoch != epoch) {
    CHECK_MSG(epochs_.empty() || epochs_.back().epoch < epoch, "epochs never go backwards");
    epochs_.push_back(EpochStart{epoch, offset});
  }
  max_timestamp_ms_ = std::max(max_timestamp_ms_, timestamp_ms);
  next_offset_ = offset + 1;
  size_ = position + size;
}

IndexPosition SegmentIndex::Lookup(Offset offset) const {
  CHECK(offset >= base_offset_);
  const auto relative = static_cast<uint64_t>(offset - base_offset_);
  // First entry past `relative`; the one before it (if any) is the answer.
  auto it = std::upper_bound(entries_.begin(), entries_.end(), relative,
                             [](uint64_t r, const IndexEntry& e) { return r < e.relative_offset; });
  if (it == entries_.begin()) return IndexPosition{base_offset_, 0};
  --it;
  IndexPosition found{base_offset_ + it->relative_offset, it->position,
                      it->max_timestamp_before_ms};
  CHECK(found.offset <= offset);
  return found;
}

IndexPosition SegmentIndex::LookupTimestamp(Millis timestamp_ms) const {
  // max_timestamp_before_ms is non-decreasing along the entries: find the last
  // entry before which every timestamp is still below the target.
  auto it = std::partition_point(entries_.begin(), entries_.end(), [&](const IndexEntry& e) {
    return e.max_timestamp_before_ms < timestamp_ms;
  });
  if (it == entries_.begin()) return IndexPosition{base_offset_, 0};
  --it;
  CHECK(it->max_timestamp_before_ms < timestamp_ms);
  return IndexPosition{base_offset_ + it->relative_offset, it->position,
                       it->max_timestamp_before_ms};
}

void SegmentIndex::Truncate(Offset new_next, uint64_t new_size, Millis max_timestamp_ms) {
  CHECK(new_next >= base_offset_ && new_next <= next_offset_);
  CHECK(new_size <= size_);
  CHECK((new_next == base_offset_) == (new_size == 0));
  const auto relative = static_cast<uint64_t>(new_next - base_offset_);
  while (!entries_.empty() && entries_.back().relative_offset >= relative) entries_.pop_back();
  while (!epochs_.empty() && epochs_.back().offset >= new_next) epochs_.pop_back();
  last_entry_position_ = entries_.empty() ? 0 : entries_.back().position;
  next_offset_ = new_next;
  size_ = new_size;
  max_timestamp_ms_ = max_timestamp_ms;
}

std::string SegmentIndex::EncodeFile() const {
  std::string out;
  out.reserve(entries_.size() * kIndexEntrySize + epochs_.size() * kEpochEntrySize +
              kIndexFooterSize);
  for (const IndexEntry& e : entries_) {
    PutFixed32(&out, e.relative_offset);
    PutFixed32(&out, e.position);
    PutFixed64(&out, static_cast<uint64_t>(e.max_timestamp_before_ms));
  }
  for (const EpochStart& e : epochs_) {
    PutFixed32(&out, static_cast<uint32_t>(e.epoch.value()));
    PutFixed64(&out, static_cast<uint64_t>(e.offset.value()));
  }
  PutFixed32(&out, kIndexMagic);
  PutFixed32(&out, kIndexVersion);
  PutFixed64(&out, static_cast<uint64_t>(base_offset_.value()));
  PutFixed64(&out, static_cast<uint64_t>(next_offset_.value()));
  PutFixed64(&out, size_);
  PutFixed64(&out, static_cast<uint64_t>(max_timestamp_ms_));
  PutFixed32(&out, static_cast<uint32_t>(entries_.size()));
  PutFixed32(&out, static_cast<uint32_t>(epochs_.size()));
  PutFixed32(&out, crc32c::Value(out));
  CHECK(out.size() ==
        entries_.size() * kIndexEntrySize + epochs_.size() * kEpochEntrySize + kIndexFooterSize);
  return out;
}

Result<SegmentIndex> SegmentIndex::DecodeFile(std::string_view bytes, Offset base_offset,
                                              uint64_t interval_bytes) {
  CHECK(interval_bytes > 0);
  if (bytes.size() < kIndexFooterSize) return Corruption("index file shorter than its footer");
  const char* f = bytes.data() + bytes.size() - kIndexFooterSize;
  if (DecodeFixed32(f) != kIndexMagic || DecodeFixed32(f + 4) != kIndexVersion) {
    return Corruption("index footer has a bad magic or version");
  }
  if (crc32c::Value(bytes.data(), bytes.size() - 4) != DecodeFixed32(f + 48)) {
    return Corruption("index file CRC mismatch");
  }
  const uint64_t entry_count = DecodeFixed32(f + 40);
  const uint64_t epoch_count = DecodeFixed32(f + 44);
  if (entry_count * kIndexEntrySize + epoch_count * kEpochEntrySize + kIndexFooterSize !=
      bytes.size()) {
    return Corruption("index file size does not match its counts");
  }
  SegmentIndex index(base_offset, interval_bytes);
  if (static_cast<int64_t>(DecodeFixed64(f + 8)) != base_offset.value()) {
    return Corruption("index file belongs to another segment");
  }
  index.next_offset_ = Offset(static_cast<int64_t>(DecodeFixed64(f + 16)));
  index.size_ = DecodeFixed64(f + 24);
  index.max_timestamp_ms_ = static_cast<Millis>(DecodeFixed64(f + 32));
  const char* p = bytes.data();
  for (uint64_t i = 0; i < entry_count; ++i, p += kIndexEntrySize) {
    index.entries_.push_back(IndexEntry{DecodeFixed32(p), DecodeFixed32(p + 4),
                                        static_cast<Millis>(DecodeFixed64(p + 8))});
  }
  for (uint64_t i = 0; i < epoch_count; ++i, p += kEpochEntrySize) {
    index.epochs_.push_back(EpochStart{Epoch(static_cast<int32_t>(DecodeFixed32(p))),
                                       Offset(static_cast<int64_t>(DecodeFixed64(p + 4)))});
  }
  index.last_entry_position_ = index.entries_.empty() ? 0 : index.entries_.back().position;
  GAFKA_RETURN_IF_ERROR(index.Validate());
  return index;
}

// A CRC-valid file can still be wrong (a bug, or a file written for other
// data): check every invariant the readers rely on before trusting it.
Status SegmentIndex::Validate() const {
  if (next_offset_ < base_offset_) return Corruption("index: next offset before base");
  if (size_ > std::numeric_limits<uint32_t>::max()) return Corruption("index: size too large");
  if ((next_offset_ == base_offset_) != (size_ == 0)) {
    return Corruption("index: record count and size disagree");
  }
  const auto count = static_cast<uint64_t>(next_offset_ - base_offset_);
  for (size_t i = 0; i < entries_.size(); ++i) {
    const IndexEntry& e = entries_[i];
    if (e.relative_offset == 0 || e.relative_offset >= count || e.position >= size_) {
      return Corruption("index: entry out of range");
    }
    if (i > 0 && (e.relative_offset <= entries_[i - 1].relative_offset ||
                  e.position <= entries_[i - 1].position ||
                  e.max_timestamp_before_ms < entries_[i - 1].max_timestamp_before_ms)) {
      return Corruption("index: entries out of order");
    }
  }
  if (count > 0 && (epochs_.empty() || epochs_.front().offset != base_offset_)) {
    return Corruption("index: epochs do not start at the base offset");
  }
  for (size_t i = 0; i < epochs_.size(); ++i) {
    if (epochs_[i].offset >= next_offset_) return Corruption("index: epoch past the end");
    if (i > 0 &&
        (epochs_[i].epoch <= epochs_[i - 1].epoch || epochs_[i].offset <= epochs_[i - 1].offset)) {
      return Corruption("index: epochs out of order");
    }
  }
  return Status::Ok();
}

}  // namespace gafka::wal
