// Turns facet_model's std-only ModelStatus into absl::Status at the edge of
// the torch library; codes map one-to-one (ModelErrorCode mirrors
// absl::StatusCode) and a system_errno() becomes the errno payload that
// IoErrno (errno_status.h) reads.
#ifndef FACET_CORE_STATUS_MODEL_STATUS_CONVERSION_H_
#define FACET_CORE_STATUS_MODEL_STATUS_CONVERSION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/model/model_status.h"

namespace facet {

absl::Status ToAbslStatus(const ModelStatus& status);

template <typename T>
absl::StatusOr<T> ToAbslStatusOr(ModelResult<T> result) {
  if (!result.ok()) return ToAbslStatus(result.status());
  return std::move(result).value();
}

}  // namespace facet

#endif  // FACET_CORE_STATUS_MODEL_STATUS_CONVERSION_H_
