// Turns a failed system call's errno, or a core/io IoStatus, into an
// absl::Status whose message names the operation, the path and the system
// error. The errno -> code table is core/io/io_status.h's, the one every
// Facet library uses, so the same errno gets the same code and wording in
// the repository, the image files and the weight files. No state; any
// thread.
#ifndef FACET_CORE_STATUS_ERRNO_STATUS_H_
#define FACET_CORE_STATUS_ERRNO_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "core/io/io_status.h"

namespace facet {

// "cannot <what> <path>: <strerror(err)>" with the code io_status.h's
// table gives `err`: ENOENT NotFound; EEXIST, ENOTEMPTY AlreadyExists;
// EACCES, EPERM, EROFS PermissionDenied; ENOSPC, EDQUOT, EFBIG
// ResourceExhausted; EIO DataLoss; ENOTDIR, EISDIR as `origin` says;
// anything else Internal.
absl::Status ErrnoToStatus(int err, const std::string& what,
                           const std::string& path,
                           PathOrigin origin = PathOrigin::kProgram);

// The same code and message as an absl::Status (OK stays OK).
absl::Status ToAbslStatus(const IoStatus& status);

}  // namespace facet

#endif  // FACET_CORE_STATUS_ERRNO_STATUS_H_
