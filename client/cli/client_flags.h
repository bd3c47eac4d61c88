// The command-line flags of facet-client (all defined in client_flags.cc so
// that --help lists them together) and the conversion of the connection
// flags to ClientOptions.

#ifndef FACET_CLIENT_CLI_CLIENT_FLAGS_H_
#define FACET_CLIENT_CLI_CLIENT_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "client/facet_client.h"

// Connection.
ABSL_DECLARE_FLAG(std::string, target);
ABSL_DECLARE_FLAG(int32_t, deadline_ms);
ABSL_DECLARE_FLAG(int32_t, max_attempts);
ABSL_DECLARE_FLAG(bool, tls);
ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_server_name);
ABSL_DECLARE_FLAG(std::string, load_balancing);
// Output.
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(bool, progress);
// parse / enhance.
ABSL_DECLARE_FLAG(int32_t, concurrency);
ABSL_DECLARE_FLAG(bool, recursive);
ABSL_DECLARE_FLAG(bool, restored);
ABSL_DECLARE_FLAG(std::string, output_size);
ABSL_DECLARE_FLAG(std::string, format);
// health.
ABSL_DECLARE_FLAG(std::string, service);
ABSL_DECLARE_FLAG(int32_t, wait_s);
// photo.
ABSL_DECLARE_FLAG(std::string, mask);
ABSL_DECLARE_FLAG(double, feather);
ABSL_DECLARE_FLAG(int32_t, min_face);
ABSL_DECLARE_FLAG(std::string, landmark_model);
ABSL_DECLARE_FLAG(std::string, eye_cascade);
// bench.
ABSL_DECLARE_FLAG(std::string, method);
ABSL_DECLARE_FLAG(std::string, sweep);
ABSL_DECLARE_FLAG(double, warmup_s);
ABSL_DECLARE_FLAG(double, window_s);
ABSL_DECLARE_FLAG(double, stability);
ABSL_DECLARE_FLAG(int32_t, stable_windows);
ABSL_DECLARE_FLAG(int32_t, max_windows);
ABSL_DECLARE_FLAG(std::string, csv);

namespace facet {

// ClientOptions from the connection flags; InvalidArgument naming the flag
// for a bad value.
absl::StatusOr<ClientOptions> ClientOptionsFromFlags();

}  // namespace facet

#endif  // FACET_CLIENT_CLI_CLIENT_FLAGS_H_
