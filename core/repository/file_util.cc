#include "core/repository/file_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "core/io/file_io.h"
#include "core/status/errno_status.h"

namespace facet {

absl::StatusOr<std::string> ReadFileWithLimit(const std::string& path,
                                              uint64_t max_bytes) {
  ChunkedReadOptions options;
  options.max_bytes = max_bytes;
  std::string contents;
  IoStatus read = ReadWholeFile(path, options, &contents);
  if (!read.ok()) return ToAbslStatus(read);
  return contents;
}

absl::Status WriteFileSynced(const std::string& path,
                             std::string_view contents) {
  return ToAbslStatus(WriteFileDurably(path, contents));
}

absl::Status SyncDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open folder", path);
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, "fsync folder", path);
  }
  ::close(fd);
  return absl::OkStatus();
}

absl::Status RenameNoReplace(const std::string& from, const std::string& to) {
#ifdef RENAME_NOREPLACE
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(),
                  RENAME_NOREPLACE) == 0) {
    return absl::OkStatus();
  }
  if (errno != EINVAL && errno != ENOSYS) {
    return ErrnoToStatus(errno, absl::StrCat("rename ", from, " to"), to);
  }
#endif
  // rename(2) would replace an empty directory at `to`; checking first
  // narrows that window to a race with another writer creating it empty.
  struct stat st;
  if (::lstat(to.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(to, " already exists"));
  }
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("rename ", from, " to"), to);
  }
  return absl::OkStatus();
}

}  // namespace facet
