#include "core/env/durable_files.h"

#include <memory>

#include "core/base/check.h"

namespace gafka {

Status MakeDirsDurably(Disk& disk, const std::string& dir) {
  GAFKA_RETURN_IF_ERROR(disk.MakeDirs(dir));
  GAFKA_RETURN_IF_ERROR(disk.SyncDir(""));  // the Disk's root
  for (size_t slash = dir.find('/', 1); slash != std::string::npos;
       slash = dir.find('/', slash + 1)) {
    GAFKA_RETURN_IF_ERROR(disk.SyncDir(dir.substr(0, slash)));
  }
  if (!dir.empty()) GAFKA_RETURN_IF_ERROR(disk.SyncDir(dir));
  CHECK(disk.Exists(dir) || dir.empty());
  return Status::Ok();
}

Status ReplaceFileDurably(Disk& disk, std::string_view dir, std::string_view name,
                          std::string_view bytes) {
  const std::string path =
      dir.empty() ? std::string(name) : std::string(dir) + "/" + std::string(name);
  const std::string temp = path + ".tmp";
  {
    GAFKA_ASSIGN_OR_RETURN(std::unique_ptr<File> file, disk.Open(temp, OpenMode::kTruncate));
    GAFKA_RETURN_IF_ERROR(file->Append(bytes));
    GAFKA_RETURN_IF_ERROR(file->SyncNow());
    CHECK(file->Size() == bytes.size());
  }
  GAFKA_RETURN_IF_ERROR(disk.Rename(temp, path));
  return disk.SyncDir(std::string(dir));
}

}  // namespace gafka
