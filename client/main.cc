// facet-client: sends face crops and whole photos to a facet-server. The
// RPC subcommands are being built; this binary already states its flags.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"

ABSL_FLAG(std::string, target, "localhost:8500",
          "Server address: host:port or any gRPC target (dns:///svc:port).");
ABSL_FLAG(int32_t, deadline_ms, 30000, "Deadline of each request.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "facet-client COMMAND [flags] [args]\n\n"
      "Commands (being built): parse, enhance, photo, info, health, bench.");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("client/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  std::cerr << "facet-client: the RPC commands are not part of this build "
               "yet (see README.md, 'Status').\n";
  return 2;
}
