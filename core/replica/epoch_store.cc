#include "core/replica/epoch_store.h"

#include <cstdint>
#include <memory>

#include "core/base/check.h"
#include "core/base/coding.h"
#include "core/base/crc32c.h"
#include "core/broker/layout.h"

namespace gafka {
namespace {

constexpr uint32_t kMagic = 0x4c505247;  // "GRPL"
constexpr uint32_t kVersion1 = 1;
constexpr size_t kSize1 = 16;
constexpr uint32_t kVersion2 = 2;
constexpr uint32_t kVersion3 = 3;
constexpr uint32_t kVersion = 4;
constexpr uint32_t kLed = 1;
constexpr uint32_t kReplicated = 2;
constexpr size_t kSize3 = 20;   // versions 2 and 3
constexpr size_t kHeader = 20;  // version 4: up to the count
constexpr uint32_t kMaxHolders = 1024;
constexpr size_t kMaxSize = kHeader + 4 * kMaxHolders + 4;
constexpr std::string_view kFileName = "replica.state";

int32_t Lane(NodeId id) { return ((id.value() % kEpochStride) + kEpochStride) % kEpochStride; }

}  // namespace

Epoch NextLedEpoch(Epoch known, NodeId self) {
  const int64_t above = static_cast<int64_t>(known.value()) + 1;
  const int64_t lane = Lane(self);
  const int64_t next = above + ((lane - above % kEpochStride) + kEpochStride) % kEpochStride;
  CHECK_MSG(next <= INT32_MAX, "leader epochs exhausted");
  return Epoch(static_cast<int32_t>(next));
}

bool SameEpochLane(NodeId a, NodeId b) { return Lane(a) == Lane(b); }

EpochStore::EpochStore(Disk& disk, std::string data_dir)
    : disk_(disk), data_dir_(std::move(data_dir)) {}

Result<Epoch> EpochStore::Load() {
  const std::string path = JoinPath(data_dir_, kFileName);
  if (!disk_.Exists(path)) {
    stored_ = Epoch(0);
    return stored_;
  }
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, disk_.Open(path, OpenMode::kOpenExisting));
  std::string bytes;
  GAFKA_RETURN_IF_ERROR(file->Read(0, kMaxSize + 1, &bytes));
  const uint32_t version = bytes.size() >= 8 ? DecodeFixed32(bytes.data() + 4) : 0;
  // Where the CRC is, by version; 0: not a layout we know.
  size_t crc_at = 0;
  if (version == kVersion1 && bytes.size() == kSize1) crc_at = 12;
  if ((version == kVersion2 || version == kVersion3) && bytes.size() == kSize3) crc_at = 16;
  if (version == kVersion && bytes.size() >= kHeader + 4) {
    const uint32_t count = DecodeFixed32(bytes.data() + 16);
    if (count <= kMaxHolders && bytes.size() == kHeader + 4 * size_t{count} + 4) {
      crc_at = bytes.size() - 4;
    }
  }
  if (crc_at == 0 || DecodeFixed32(bytes.data()) != kMagic ||
      DecodeFixed32(bytes.data() + crc_at) != crc32c::Value(bytes.data(), crc_at)) {
    return Corruption(path +
                      " is corrupt: the leader epoch is unknown; restore it from the "
                      "other broker's status (docs/operations.md)");
  }
  stored_ = Epoch(static_cast<int32_t>(DecodeFixed32(bytes.data() + 8)));
  const uint32_t flags = version == kVersion1 ? 0 : DecodeFixed32(bytes.data() + 12);
  led_ = (flags & kLed) != 0;
  lease_holders_.clear();
  if (version == kVersion) {
    const uint32_t count = DecodeFixed32(bytes.data() + 16);
    for (uint32_t i = 0; i < count; ++i) {
      lease_holders_.insert(NodeId(static_cast<int32_t>(DecodeFixed32(bytes.data() + 20 + 4 * i))));
    }
  }
  // "Replicated" without a name: a version 3 file (or a version 4 written
  // from one before any follower was named).
  const bool flagged = version >= kVersion3 && (flags & kReplicated) != 0;
  holders_known_ = !flagged || !lease_holders_.empty();
  CHECK(stored_.value() >= 0);
  return stored_;
}

Status EpochStore::Store(Epoch epoch, bool led) {
  CHECK_MSG(epoch >= stored_, "the stored leader epoch never decreases");
  std::string bytes;
  PutFixed32(&bytes, kMagic);
  PutFixed32(&bytes, kVersion);
  PutFixed32(&bytes, static_cast<uint32_t>(epoch.value()));
  PutFixed32(&bytes, (led ? kLed : 0) | (replicated() ? kReplicated : 0));
  CHECK_MSG(lease_holders_.size() <= kMaxHolders, "too many followers");
  PutFixed32(&bytes, static_cast<uint32_t>(lease_holders_.size()));
  for (NodeId id : lease_holders_) PutFixed32(&bytes, static_cast<uint32_t>(id.value()));
  PutFixed32(&bytes, crc32c::Value(bytes.data(), bytes.size()));
  GAFKA_RETURN_IF_ERROR(ReplaceFileDurably(disk_, data_dir_, kFileName, bytes));
  stored_ = epoch;
  led_ = led;
  return Status::Ok();
}

Status EpochStore::MarkReplicated(NodeId follower) {
  if (!lease_holders_.insert(follower).second) return Status::Ok();
  Status stored = Store(stored_, led_);
  if (!stored.ok()) lease_holders_.erase(follower);
  return stored;
}

}  // namespace gafka
