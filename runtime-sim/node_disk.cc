#include "runtime-sim/node_disk.h"

#include <utility>

#include "core/base/check.h"

namespace gafka::sim {

// Forwards everything to the SimDisk's file; only Sync is intercepted.
class NodeFile final : public File {
 public:
  NodeFile(std::unique_ptr<File> inner, NodeDisk& disk) : inner_(std::move(inner)), disk_(disk) {
    CHECK(inner_ != nullptr);
  }

  const std::string& path() const override { return inner_->path(); }
  Status Append(ByteView data) override { return inner_->Append(data); }
  Status SyncNow() override { return inner_->SyncNow(); }
  Status Read(uint64_t offset, size_t n, std::string* out) override {
    return inner_->Read(offset, n, out);
  }
  Status Truncate(uint64_t size) override { return inner_->Truncate(size); }
  uint64_t Size() const override { return inner_->Size(); }

  void Sync(std::function<void(Status)> done) override {
    CHECK(done != nullptr);
    NodeClock* clock = &disk_.clock_;
    if (disk_.lying_sync_) {
      // The canary: "durable" at once, and nothing was made durable.
      ++disk_.lies_;
      clock->After(0, [done = std::move(done)] { done(Status::Ok()); });
      return;
    }
    // Captures only the NodeClock (it outlives every incarnation) and the
    // incarnation: never this file, which a crash destroys.
    const uint64_t incarnation = clock->incarnation();
    inner_->Sync([clock, incarnation, done = std::move(done)](Status status) mutable {
      clock->Deliver(incarnation,
                     [done = std::move(done), status = std::move(status)] { done(status); });
    });
  }

 private:
  std::unique_ptr<File> inner_;
  NodeDisk& disk_;
};

Result<std::unique_ptr<File>> NodeDisk::Open(const std::string& path, OpenMode mode) {
  auto opened = disk_.Open(path, mode);
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<File>(std::make_unique<NodeFile>(std::move(opened).value(), *this));
}

}  // namespace gafka::sim
