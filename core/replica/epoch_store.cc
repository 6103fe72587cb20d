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
constexpr uint32_t kVersion = 3;
constexpr uint32_t kLed = 1;
constexpr uint32_t kReplicated = 2;
constexpr size_t kSize = 20;
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
  GAFKA_RETURN_IF_ERROR(file->Read(0, kSize + 1, &bytes));
  const uint32_t version = bytes.size() >= 8 ? DecodeFixed32(bytes.data() + 4) : 0;
  const bool v1 = bytes.size() == kSize1 && version == kVersion1;
  const size_t crc_at = v1 ? 12 : 16;
  if ((!v1 && (bytes.size() != kSize || (version != kVersion && version != kVersion2))) ||
      DecodeFixed32(bytes.data()) != kMagic ||
      DecodeFixed32(bytes.data() + crc_at) != crc32c::Value(bytes.data(), crc_at)) {
    return Corruption(path +
                      " is corrupt: the leader epoch is unknown; restore it from the "
                      "other broker's status (docs/operations.md)");
  }
  stored_ = Epoch(static_cast<int32_t>(DecodeFixed32(bytes.data() + 8)));
  const uint32_t flags = v1 ? 0 : DecodeFixed32(bytes.data() + 12);
  led_ = (flags & kLed) != 0;
  replicated_ = version == kVersion && (flags & kReplicated) != 0;
  CHECK(stored_.value() >= 0);
  return stored_;
}

Status EpochStore::Store(Epoch epoch, bool led) {
  CHECK_MSG(epoch >= stored_, "the stored leader epoch never decreases");
  std::string bytes;
  PutFixed32(&bytes, kMagic);
  PutFixed32(&bytes, kVersion);
  PutFixed32(&bytes, static_cast<uint32_t>(epoch.value()));
  PutFixed32(&bytes, (led ? kLed : 0) | (replicated_ ? kReplicated : 0));
  PutFixed32(&bytes, crc32c::Value(bytes.data(), 16));
  CHECK(bytes.size() == kSize);
  GAFKA_RETURN_IF_ERROR(ReplaceFileDurably(disk_, data_dir_, kFileName, bytes));
  stored_ = epoch;
  led_ = led;
  return Status::Ok();
}

Status EpochStore::MarkReplicated() {
  if (replicated_) return Status::Ok();
  replicated_ = true;
  Status stored = Store(stored_, led_);
  if (!stored.ok()) replicated_ = false;
  return stored;
}

}  // namespace gafka
