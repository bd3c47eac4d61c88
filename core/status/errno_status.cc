#include "core/status/errno_status.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"

namespace facet {

absl::Status ErrnoToStatus(int err, const std::string& what,
                           const std::string& path, PathOrigin origin) {
  const std::string message =
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EEXIST:
    case ENOTEMPTY:
      return absl::AlreadyExistsError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::ResourceExhaustedError(message);
    case ENOTDIR:
      return origin == PathOrigin::kCaller
                 ? absl::NotFoundError(message)
                 : absl::FailedPreconditionError(message);
    case EISDIR:
      return origin == PathOrigin::kCaller
                 ? absl::InvalidArgumentError(message)
                 : absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace facet
