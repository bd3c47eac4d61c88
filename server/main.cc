// facet-server: answers Parse and Enhance over gRPC from the newest valid
// version in a model repository. The serving path (batching, hot reload,
// metrics, health) is being built; this binary already states its flags.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"

ABSL_FLAG(std::string, model_repository, "",
          "Root of the model repository (REPO/MODEL/VERSION/...).");
ABSL_FLAG(std::string, model_name, "facet", "Model folder to serve.");
ABSL_FLAG(std::string, model, "",
          "Serve one weights file (.safetensors or upstream .pth) instead of "
          "a repository.");
ABSL_FLAG(int32_t, port, 8500, "gRPC port (0 = pick a free one and log it).");
ABSL_FLAG(int32_t, metrics_port, 8501,
          "Prometheus /metrics port (0 = pick a free one and log it).");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "facet-server --model_repository DIR [--model_name NAME] [--port N]\n\n"
      "Serves face parsing (Parse) and restoration (Enhance) over gRPC.");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("server/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::ParseCommandLine(argc, argv);
  std::cerr << "facet-server: the gRPC serving path is not part of this build "
               "yet (see README.md, 'Status'); use `facet-trainer predict` to "
               "run a model locally.\n";
  return 2;
}
