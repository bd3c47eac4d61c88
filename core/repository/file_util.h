// Small POSIX file helpers for the repository: whole-file reads with a size
// limit, durable writes, directory fsync and a rename that never replaces.
// The reads and writes are core/io/file_io.h's, with absl::Status.
//
// Every error message names the path and the system error; errnos get
// core/io/io_status.h's codes. Functions keep
// no state and may be called from any thread.
#ifndef FACET_CORE_REPOSITORY_FILE_UTIL_H_
#define FACET_CORE_REPOSITORY_FILE_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace facet {

// Returns the bytes of the regular file at `path`. NotFound if it does not
// exist; FailedPrecondition if it is not a regular file; ResourceExhausted
// if it is larger than `max_bytes`; DataLoss on an I/O error (EIO).
absl::StatusOr<std::string> ReadFileWithLimit(const std::string& path,
                                              uint64_t max_bytes);

// Creates or truncates `path` (mode 0644), writes `contents` and fsyncs the
// file. On failure the partial (regular) file is removed; ENOSPC, EDQUOT
// and EFBIG become ResourceExhausted, a missing folder NotFound, EACCES and
// EROFS PermissionDenied, EIO DataLoss.
absl::Status WriteFileSynced(const std::string& path,
                             std::string_view contents);

// Fsyncs the directory `path`, making renames and creations inside it
// durable.
absl::Status SyncDir(const std::string& path);

// Renames `from` to `to` unless `to` exists (renameat2 RENAME_NOREPLACE,
// falling back to rename(2) where the file system lacks it, which refuses
// only a non-empty directory). AlreadyExists when `to` is taken.
absl::Status RenameNoReplace(const std::string& from, const std::string& to);

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_FILE_UTIL_H_
