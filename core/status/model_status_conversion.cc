#include "core/status/model_status_conversion.h"

#include "core/status/errno_status.h"

namespace facet {

absl::Status ToAbslStatus(const ModelStatus& status) {
  if (status.ok()) return absl::OkStatus();
  return WithErrno(absl::Status(static_cast<absl::StatusCode>(status.code()),
                                status.message()),
                   status.system_errno());
}

}  // namespace facet
