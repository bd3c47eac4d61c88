// IoStatus: the outcome of a file operation, and the one mapping from a
// failed system call's errno to a status code that every Facet library
// uses (absl::Status through core/status/errno_status.h, facet_model's
// ModelStatus through core/model/model_status.h).
//
// It lives here, in standard-library-only code, because facet_model may
// depend on nothing but LibTorch and the standard library; the codes are
// absl::StatusCode's numbers so that both conversions are a cast.
//
// The mapping, for every caller:
//   ENOENT                 NotFound
//   EEXIST, ENOTEMPTY      AlreadyExists
//   EACCES, EPERM, EROFS   PermissionDenied (the caller may fix the
//                          permissions or the mount; retrying will not help)
//   ENOSPC, EDQUOT, EFBIG  ResourceExhausted (space may come back; the bytes
//                          written so far were removed)
//   EIO                    DataLoss (the device failed to keep the bytes)
//   ENOTDIR, EISDIR        as PathOrigin says
//   anything else          Internal
//
// A status made from an errno keeps it (system_errno()), so that callers
// tell causes that share a code apart (EROFS from EACCES) without reading
// the message; errno_status.h carries it on into absl::Status.
//
// Thread safety: IoStatus is a value; const methods may be called
// concurrently. The functions keep no state.
#ifndef FACET_CORE_IO_IO_STATUS_H_
#define FACET_CORE_IO_IO_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace facet {

// Values are absl::StatusCode's; do not renumber.
enum class IoCode {
  kOk = 0,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kInternal = 13,
  kDataLoss = 15,
};

// Who chose the path, which decides how a path of the wrong kind reads.
enum class PathOrigin {
  // The program's own layout (a repository folder): a folder where a file
  // belongs or a file where a folder belongs is FailedPrecondition.
  kProgram,
  // A caller's input or output file: a path naming a folder (EISDIR, or a
  // non-regular file where one is required) is an InvalidArgument and a
  // path through a non-folder (ENOTDIR) NotFound, like any bad or missing
  // input.
  kCaller,
};

class IoStatus {
 public:
  IoStatus() = default;  // OK.
  // `system_errno`: the failed system call's errno; 0 when the error did
  // not come from one (a size limit, a bad mode).
  IoStatus(IoCode code, std::string message, int system_errno = 0)
      : code_(code),
        message_(std::move(message)),
        system_errno_(system_errno) {}

  bool ok() const { return code_ == IoCode::kOk; }
  IoCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The errno this status was made from, or 0.
  int system_errno() const { return system_errno_; }

 private:
  IoCode code_ = IoCode::kOk;
  std::string message_;
  int system_errno_ = 0;
};

// The code for `err` in the table above.
IoCode ErrnoToIoCode(int err, PathOrigin origin = PathOrigin::kProgram);

// "cannot <what> <path>: <strerror(err)>" with ErrnoToIoCode(err, origin)
// and system_errno() == err. REQUIRES: err != 0.
IoStatus ErrnoToIoStatus(int err, std::string_view what, std::string_view path,
                         PathOrigin origin = PathOrigin::kProgram);

}  // namespace facet

#endif  // FACET_CORE_IO_IO_STATUS_H_
