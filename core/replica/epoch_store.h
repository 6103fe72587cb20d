// EpochStore: the broker's leader epoch, durable in <data_dir>/replica.state.
// Format (little-endian): magic u32 "GRPL", version u32 (4), epoch i32,
// flags u32 (bit 0 "led": this broker led that epoch, else it learned of it;
// bit 1 "replicated": a follower was ever told it is in this broker's ISR),
// count u32 and that many follower ids i32 (the followers ever told so: the
// promotion-lease holders), crc32c u32 of everything before it. Version 3
// (20 bytes: no count, no ids) is read with the holders unknown, version 2
// (the same, the word is 1 for led) and version 1 (16 bytes, no word: not
// led) as never replicated. Written atomically:
// replica.state.tmp, SyncNow, Rename, SyncDir. A missing file is epoch 0; a
// corrupt one is an error (the broker refuses to start: guessing an epoch
// could let two leaders share one). Owned by the ReplicaManager; loop only.
#pragma once

#include <set>
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
  // Whether a follower was ever told it is in this broker's ISR (sticky:
  // Store keeps it). Then a follower may hold a promotion lease across this
  // broker's restart, and a restart as leader must not commit alone at once.
  bool replicated() const { return !lease_holders_.empty() || !holders_known_; }
  // Which followers (all of them, unless a version 3 file left them unknown).
  const std::set<NodeId>& lease_holders() const { return lease_holders_; }
  bool lease_holders_known() const { return holders_known_; }
  // Records that `follower` is told it is in sync; durable when it returns ok.
  Status MarkReplicated(NodeId follower);

 private:
  Disk& disk_;
  std::string data_dir_;
  Epoch stored_{0};
  bool led_ = false;
  bool holders_known_ = true;  // false: the file said "replicated", not who
  std::set<NodeId> lease_holders_;
};

}  // namespace gafka
