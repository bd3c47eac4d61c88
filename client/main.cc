// facet-client: sends face crops and whole photos to a facet-server.
// Flags and dispatch only; each command lives in client/cli/.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "client/cli/cli_common.h"
#include "client/cli/client_flags.h"
#include "client/cli/commands.h"
#include "core/flags/parse_flags.h"

namespace {

constexpr char kUsage[] =
    "facet-client COMMAND [flags] [args]\n"
    "\n"
    "Commands:\n"
    "  parse FILE...|DIR   label map (<name>.labels.png, ids 0-18), colour\n"
    "                      rendering (.color.png) and overlay (.overlay.png)\n"
    "                      per image under --out; --restored adds the\n"
    "                      restored face. --concurrency requests at once.\n"
    "  enhance FILE...|DIR restored face per image (<name>.restored.png).\n"
    "  photo FILE          whole photo: find faces, align each to the 512\n"
    "                      template, restore and parse them on the server,\n"
    "                      paste back with a feathered mask. Writes\n"
    "                      <name>.restored.png, <name>.overlay.png,\n"
    "                      <name>.faces/NN.{input,restored,labels,color}.png\n"
    "                      and <name>.faces.tsv.\n"
    "  info                the served model: version, configuration, labels.\n"
    "  health              grpc.health.v1 status (--wait_s to poll).\n"
    "  bench [FILE]        load generator: --concurrency or --sweep, warm-up,\n"
    "                      windows until stable; throughput, p50/p90/p95/p99,\n"
    "                      errors by code; --csv, --json.\n"
    "\n"
    "Output: human text on stdout, or one JSON document with --json.\n"
    "\n"
    "Exit codes:\n"
    "  0  everything succeeded (health: SERVING)\n"
    "  1  some inputs, faces or requests failed (health: not SERVING)\n"
    "  2  bad command line (unknown command, bad flag value, no inputs)\n"
    "  3  the server could not be reached (every request UNAVAILABLE or\n"
    "     DEADLINE_EXCEEDED)\n"
    "  4  a local file could not be read or written\n"
    "\n"
    "Example: facet-client parse --target=localhost:8500 faces/";

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("client/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  std::vector<char*> positional = facet::ParseFlags(argc, argv);
  if (positional.size() < 2) {
    std::cerr << kUsage << "\n\nfacet-client: no command given; see --help\n";
    return facet::kExitUsage;
  }
  const std::string command = positional[1];
  const std::vector<std::string> args(positional.begin() + 2, positional.end());
  if (command == "parse") return facet::RunParse(args);
  if (command == "enhance") return facet::RunEnhance(args);
  if (command == "photo") return facet::RunPhoto(args);
  if (command == "info") return facet::RunInfo(args);
  if (command == "health") return facet::RunHealth(args);
  if (command == "bench") return facet::RunBench(args);
  std::cerr << "facet-client: unknown command \"" << command
            << "\"; expected parse, enhance, photo, info, health or bench\n";
  return facet::kExitUsage;
}
