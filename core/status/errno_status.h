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
// anything else Internal; IoErrno() of the result is `err`.
absl::Status ErrnoToStatus(int err, const std::string& what,
                           const std::string& path,
                           PathOrigin origin = PathOrigin::kProgram);

// The same code, message and errno payload (WithErrno) as an absl::Status
// (OK stays OK).
absl::Status ToAbslStatus(const IoStatus& status);

// `status` with `err` attached as a payload (under kErrnoPayloadUrl, the
// decimal number), so that callers can tell causes that share a code apart
// (EROFS and EACCES are both PermissionDenied) without matching message
// text. OK statuses and err == 0 are returned unchanged. ErrnoToStatus and
// both ToAbslStatus overloads attach it; code that turns a std::error_code
// or errno into a status of its own code calls this.
absl::Status WithErrno(absl::Status status, int err);

// The errno attached by WithErrno, or 0 when there is none (OK statuses,
// errors that did not come from a system call).
int IoErrno(const absl::Status& status);

inline constexpr char kErrnoPayloadUrl[] = "type.facet/errno";

}  // namespace facet

#endif  // FACET_CORE_STATUS_ERRNO_STATUS_H_
