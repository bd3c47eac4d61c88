// The one place where Facet's absl::Status becomes a grpc::Status. The
// codes are numerically identical (both follow google.rpc.Code); the
// message is passed through unchanged, so a client sees exactly what the
// server logged.
#ifndef FACET_SERVER_SERVICE_GRPC_STATUS_H_
#define FACET_SERVER_SERVICE_GRPC_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace facet {

grpc::Status ToGrpcStatus(const absl::Status& status);

// "OK", "INVALID_ARGUMENT", ...: the label used in metrics and logs.
std::string CodeName(const absl::Status& status);

}  // namespace facet

#endif  // FACET_SERVER_SERVICE_GRPC_STATUS_H_
