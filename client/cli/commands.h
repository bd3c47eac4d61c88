// facet-client's subcommands. Each takes the positional arguments after
// the command name (flags are already parsed) and returns an ExitCode
// (cli_common.h). Human text goes to stdout (errors to stderr); with
// --json, one JSON document goes to stdout instead.

#ifndef FACET_CLIENT_CLI_COMMANDS_H_
#define FACET_CLIENT_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace facet {

// parse FILE...|DIR: label map, colour rendering, overlay (and with
// --restored the restored face) per input, written under --out.
int RunParse(const std::vector<std::string>& args);

// enhance FILE...|DIR: the restored face per input, under --out.
int RunEnhance(const std::vector<std::string>& args);

// info: the served model (name, version, configuration, labels, device).
int RunInfo(const std::vector<std::string>& args);

// health: grpc.health.v1 status; exit 0 only if SERVING.
int RunHealth(const std::vector<std::string>& args);

// photo FILE: find faces, align, process on the server, paste back.
int RunPhoto(const std::vector<std::string>& args);

// bench [FILE]: load generator (throughput, latency percentiles).
int RunBench(const std::vector<std::string>& args);

}  // namespace facet

#endif  // FACET_CLIENT_CLI_COMMANDS_H_
