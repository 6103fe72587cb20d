// EpochStore: the broker's leader epoch, durable in <data_dir>/replica.state.
// Format (16 bytes, little-endian): magic u32 "GRPL", version u32 (1),
// epoch i32, crc32c u32 of the 12 bytes before it. Written atomically:
// replica.state.tmp, SyncNow, Rename, SyncDir. A missing file is epoch 0; a
// corrupt one is an error (the broker refuses to start: guessing an epoch
// could let two leaders share one). Owned by the ReplicaManager; loop only.
#pragma once

#include <string>

#include "core/base/status.h"
#include "core/base/types.h"
#include "core/env/env.h"

namespace gafka {

class EpochStore {
 public:
  EpochStore(Disk& disk, std::string data_dir);

  Result<Epoch> Load();
  // Durable when it returns ok. `epoch` must not be lower than the stored one.
  Status Store(Epoch epoch);

 private:
  Disk& disk_;
  std::string data_dir_;
  Epoch stored_{0};
};

}  // namespace gafka
