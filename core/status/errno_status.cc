#include "core/status/errno_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

namespace facet {

absl::Status ErrnoToStatus(int err, const std::string& what,
                           const std::string& path, PathOrigin origin) {
  return ToAbslStatus(ErrnoToIoStatus(err, what, path, origin));
}

absl::Status ToAbslStatus(const IoStatus& status) {
  if (status.ok()) return absl::OkStatus();
  // IoCode's values are absl::StatusCode's (io_status.h).
  return WithErrno(absl::Status(static_cast<absl::StatusCode>(status.code()),
                                status.message()),
                   status.system_errno());
}

absl::Status WithErrno(absl::Status status, int err) {
  if (status.ok() || err == 0) return status;
  status.SetPayload(kErrnoPayloadUrl, absl::Cord(std::to_string(err)));
  return status;
}

int IoErrno(const absl::Status& status) {
  const auto payload = status.GetPayload(kErrnoPayloadUrl);
  int err = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &err)) return 0;
  return err;
}

}  // namespace facet
