#include "core/replica/hw_checkpoint.h"

#include <memory>

#include "core/base/coding.h"
#include "core/base/crc32c.h"
#include "core/broker/layout.h"

namespace gafka {
namespace {

constexpr uint32_t kMagic = 0x57485247;  // "GRHW"
constexpr uint32_t kVersion = 1;
constexpr std::string_view kFileName = "replica.hw";
constexpr size_t kHeader = 12;  // magic, version, count
constexpr size_t kMaxTopic = 4096;

}  // namespace

HwCheckpoint::HwCheckpoint(Disk& disk, std::string data_dir)
    : disk_(disk), data_dir_(std::move(data_dir)) {}

std::string HwCheckpoint::Encode(const Entries& entries) {
  std::string bytes;
  PutFixed32(&bytes, kMagic);
  PutFixed32(&bytes, kVersion);
  PutFixed32(&bytes, static_cast<uint32_t>(entries.size()));
  for (const auto& [key, hw] : entries) {
    PutFixed32(&bytes, static_cast<uint32_t>(key.first.size()));
    bytes += key.first;
    PutFixed32(&bytes, static_cast<uint32_t>(key.second));
    PutFixed64(&bytes, static_cast<uint64_t>(hw.value()));
  }
  PutFixed32(&bytes, crc32c::Value(bytes.data(), bytes.size()));
  return bytes;
}

Result<HwCheckpoint::Entries> HwCheckpoint::Decode(std::string_view bytes) {
  if (bytes.size() < kHeader + 4 || DecodeFixed32(bytes.data()) != kMagic) {
    return Corruption("not a HW checkpoint");
  }
  const size_t body = bytes.size() - 4;
  if (DecodeFixed32(bytes.data() + body) != crc32c::Value(bytes.data(), body)) {
    return Corruption("checksum mismatch");
  }
  if (DecodeFixed32(bytes.data() + 4) != kVersion) return Corruption("unknown version");
  const uint32_t count = DecodeFixed32(bytes.data() + 8);
  Entries entries;
  size_t at = kHeader;
  for (uint32_t i = 0; i < count; ++i) {
    if (body - at < 4) return Corruption("truncated entry");
    const size_t length = DecodeFixed32(bytes.data() + at);
    at += 4;
    if (length > kMaxTopic || body - at < length + 12) return Corruption("truncated entry");
    std::string topic(bytes.substr(at, length));
    at += length;
    const auto partition = static_cast<int32_t>(DecodeFixed32(bytes.data() + at));
    const auto hw = static_cast<int64_t>(DecodeFixed64(bytes.data() + at + 4));
    at += 12;
    if (partition < 0 || hw < 0) return Corruption("negative partition or offset");
    entries[{std::move(topic), partition}] = Offset(hw);
  }
  if (at != body) return Corruption("trailing bytes");
  return entries;
}

Status HwCheckpoint::Load() {
  entries_.clear();
  const std::string path = JoinPath(data_dir_, kFileName);
  if (!disk_.Exists(path)) return Status::Ok();
  GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, disk_.Open(path, OpenMode::kOpenExisting));
  std::string bytes;
  GAFKA_RETURN_IF_ERROR(file->Read(0, file->Size(), &bytes));
  auto decoded = Decode(bytes);
  if (!decoded.ok()) return Corruption(path + ": " + decoded.status().message());
  entries_ = std::move(decoded).value();
  return Status::Ok();
}

std::optional<Offset> HwCheckpoint::Find(const std::string& topic, int32_t partition) const {
  auto it = entries_.find({topic, partition});
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

Status HwCheckpoint::Store(Entries entries) {
  if (entries == entries_) return Status::Ok();
  GAFKA_RETURN_IF_ERROR(ReplaceFileDurably(disk_, data_dir_, kFileName, Encode(entries)));
  entries_ = std::move(entries);
  return Status::Ok();
}

Status HwCheckpoint::Forget(const std::string& topic) {
  Entries kept = entries_;
  std::erase_if(kept, [&topic](const auto& entry) { return entry.first.first == topic; });
  return Store(std::move(kept));
}

}  // namespace gafka
