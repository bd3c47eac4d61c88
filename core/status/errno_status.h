// Turns a failed system call's errno into an absl::Status whose message
// names the operation, the path and the system error. Shared by
// core/image and core/repository so that the same errno gets the same
// code and wording everywhere. absl only; no state; any thread.
#ifndef FACET_CORE_STATUS_ERRNO_STATUS_H_
#define FACET_CORE_STATUS_ERRNO_STATUS_H_

#include <string>

#include "absl/status/status.h"

namespace facet {

// Who chose the path, which decides how a path of the wrong kind reads.
enum class PathOrigin {
  // The program's own layout (a repository folder): a folder where a file
  // belongs or a file where a folder belongs is FailedPrecondition.
  kProgram,
  // A caller's input or output file: a path naming a folder (EISDIR) is an
  // InvalidArgument and a path through a non-folder (ENOTDIR) NotFound,
  // like any bad or missing input.
  kCaller,
};

// "cannot <what> <path>: <strerror(err)>" with the code for `err`:
// ENOENT NotFound; EEXIST, ENOTEMPTY AlreadyExists; EACCES, EPERM, EROFS
// PermissionDenied; ENOSPC, EDQUOT, EFBIG ResourceExhausted; ENOTDIR,
// EISDIR as `origin` says; anything else Internal.
absl::Status ErrnoToStatus(int err, const std::string& what,
                           const std::string& path,
                           PathOrigin origin = PathOrigin::kProgram);

}  // namespace facet

#endif  // FACET_CORE_STATUS_ERRNO_STATUS_H_
