#include "core/status/model_status_conversion.h"

namespace facet {

absl::Status ToAbslStatus(const ModelStatus& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.code()),
                      status.message());
}

}  // namespace facet
