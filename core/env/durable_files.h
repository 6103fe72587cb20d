// Durable directory and file updates on a Disk, the two patterns every store
// under a data directory needs (topic registry, epoch, HW checkpoint, group
// offsets). Pure sequences of Disk calls: deterministic in the simulator.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/env/env.h"

namespace gafka {

// Creates `dir` and its missing parents, then syncs the root and every
// directory on the way down: a new directory's entry is durable only once its
// parent is synced, and losing data_dir's own entry would lose everything.
Status MakeDirsDurably(Disk& disk, const std::string& dir);

// The classic atomic replace of `<dir>/<name>` by `bytes`: write
// `<dir>/<name>.tmp`, sync it, rename it over the file, sync the directory.
// Whatever the crash, the file then holds either its old or its new contents.
Status ReplaceFileDurably(Disk& disk, std::string_view dir, std::string_view name,
                          std::string_view bytes);

}  // namespace gafka
