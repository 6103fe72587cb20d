// NodeDisk: one node's Disk, a thin wrapper over its SimDisk that makes the
// disk obey the node's lifecycle:
// - File::Sync completions are routed through the NodeClock (Deliver), so a
//   completion that arrives after the node crashed is dropped instead of
//   calling into a destroyed broker, and one that arrives while the node is
//   paused waits for Resume();
// - the canary: with set_lying_sync(true), Sync() reports success without
//   asking the SimDisk to make anything durable (a lying fsync), so a crash
//   can lose acknowledged data. Used only to prove the oracle catches it.
//
// The SimDisk itself (and its crash model) is unchanged and shared: the
// SimNode owns both; NodeDisk holds references. Single-threaded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/env/env.h"
#include "runtime-sim/node_clock.h"
#include "runtime-sim/sim_disk.h"

namespace gafka::sim {

class NodeDisk final : public Disk {
 public:
  NodeDisk(SimDisk& disk, NodeClock& clock) : disk_(disk), clock_(clock) {}

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  Result<std::vector<std::string>> List(const std::string& dir) override { return disk_.List(dir); }
  bool Exists(const std::string& path) override { return disk_.Exists(path); }
  Status MakeDirs(const std::string& dir) override { return disk_.MakeDirs(dir); }
  Status Remove(const std::string& path) override { return disk_.Remove(path); }
  Status Rename(const std::string& from, const std::string& to) override {
    return disk_.Rename(from, to);
  }
  Status SyncDir(const std::string& dir) override { return disk_.SyncDir(dir); }

  void set_lying_sync(bool lying) { lying_sync_ = lying; }
  bool lying_sync() const { return lying_sync_; }
  uint64_t lies() const { return lies_; }

 private:
  friend class NodeFile;
  SimDisk& disk_;
  NodeClock& clock_;
  bool lying_sync_ = false;
  uint64_t lies_ = 0;
};

}  // namespace gafka::sim
