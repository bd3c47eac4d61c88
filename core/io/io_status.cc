#include "core/io/io_status.h"

#include <cerrno>
#include <cstring>

namespace facet {

IoCode ErrnoToIoCode(int err, PathOrigin origin) {
  switch (err) {
    case ENOENT:
      return IoCode::kNotFound;
    case EEXIST:
    case ENOTEMPTY:
      return IoCode::kAlreadyExists;
    case EACCES:
    case EPERM:
    case EROFS:
      return IoCode::kPermissionDenied;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return IoCode::kResourceExhausted;
    case EIO:
      return IoCode::kDataLoss;
    case ENOTDIR:
      return origin == PathOrigin::kCaller ? IoCode::kNotFound
                                           : IoCode::kFailedPrecondition;
    case EISDIR:
      return origin == PathOrigin::kCaller ? IoCode::kInvalidArgument
                                           : IoCode::kFailedPrecondition;
    default:
      return IoCode::kInternal;
  }
}

IoStatus ErrnoToIoStatus(int err, std::string_view what, std::string_view path,
                         PathOrigin origin) {
  std::string message = "cannot ";
  message.append(what);
  message += ' ';
  message.append(path);
  message += ": ";
  message += std::strerror(err);
  return IoStatus(ErrnoToIoCode(err, origin), std::move(message), err);
}

}  // namespace facet
