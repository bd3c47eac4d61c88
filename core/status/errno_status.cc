#include "core/status/errno_status.h"

namespace facet {

absl::Status ErrnoToStatus(int err, const std::string& what,
                           const std::string& path, PathOrigin origin) {
  return ToAbslStatus(ErrnoToIoStatus(err, what, path, origin));
}

absl::Status ToAbslStatus(const IoStatus& status) {
  if (status.ok()) return absl::OkStatus();
  // IoCode's values are absl::StatusCode's (io_status.h).
  return absl::Status(static_cast<absl::StatusCode>(status.code()),
                      status.message());
}

}  // namespace facet
