// EpochStore: the broker's leader epoch, durable in <data_dir>/replica.state.
// Format (20 bytes, little-endian): magic u32 "GRPL", version u32 (2),
// epoch i32, led u32 (1: this broker led that epoch, 0: it learned of it),
// crc32c u32 of the 16 bytes before it. Version 1 (16 bytes, no `led`) is
// still read, as "not led". Written atomically:
// replica.state.tmp, SyncNow, Rename, SyncDir. A missing file is epoch 0; a
// corrupt one is an error (the broker refuses to start: guessing an epoch
// could let two leaders share one). Owned by the ReplicaManager; loop only.
#pragma once

#include <string>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/env/env.h"

namespace gafka {

// Epochs are ballot numbers (as in Paxos): a broker only ever leads epochs
// congruent to its id modulo kEpochStride, so two brokers with ids distinct
// modulo kEpochStride can never take the same epoch, whatever each knows —
// e.g. broker 1 leads 1, 101, 201..., broker 2 leads 2, 102, 202...
inline constexpr int32_t kEpochStride = 100;
// The lowest epoch above `known` that broker `self` may lead.
Epoch NextLedEpoch(Epoch known, NodeId self);
// Whether two brokers would lead the same epochs (their ids are equal modulo
// kEpochStride): such a pair must not replicate.
bool SameEpochLane(NodeId a, NodeId b);

class EpochStore {
 public:
  EpochStore(Disk& disk, std::string data_dir);

  Result<Epoch> Load();
  // Durable when it returns ok. `epoch` must not be lower than the stored one.
  // `led`: this broker became the leader of `epoch` (a promotion or a first
  // start as leader), as opposed to learning of it from another broker.
  Status Store(Epoch epoch, bool led = false);
  // Whether the stored epoch was led by this broker (after Load or Store).
  bool led() const { return led_; }

 private:
  Disk& disk_;
  std::string data_dir_;
  Epoch stored_{0};
  bool led_ = false;
};

}  // namespace gafka
