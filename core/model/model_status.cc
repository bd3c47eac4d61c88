#include "core/model/model_status.h"

namespace facet {

std::string ModelStatus::ToString() const {
  const char* name = "UNKNOWN";
  switch (code_) {
    case ModelErrorCode::kOk:
      return "OK";
    case ModelErrorCode::kInvalidArgument:
      name = "INVALID_ARGUMENT";
      break;
    case ModelErrorCode::kNotFound:
      name = "NOT_FOUND";
      break;
    case ModelErrorCode::kAlreadyExists:
      name = "ALREADY_EXISTS";
      break;
    case ModelErrorCode::kPermissionDenied:
      name = "PERMISSION_DENIED";
      break;
    case ModelErrorCode::kFailedPrecondition:
      name = "FAILED_PRECONDITION";
      break;
    case ModelErrorCode::kOutOfRange:
      name = "OUT_OF_RANGE";
      break;
    case ModelErrorCode::kResourceExhausted:
      name = "RESOURCE_EXHAUSTED";
      break;
    case ModelErrorCode::kUnimplemented:
      name = "UNIMPLEMENTED";
      break;
    case ModelErrorCode::kInternal:
      name = "INTERNAL";
      break;
    case ModelErrorCode::kDataLoss:
      name = "DATA_LOSS";
      break;
  }
  return std::string(name) + ": " + message_;
}

}  // namespace facet
