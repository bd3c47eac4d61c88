#include "trainer/init_weights_command.h"

#include <chrono>
#include <iostream>

#include "absl/flags/flag.h"
#include "core/model/face_parsing_net.h"
#include "core/model/state_dict.h"
#include "core/repository/model_repository.h"
#include "core/repository/rfc3339.h"
#include "core/status/model_status_conversion.h"
#include "trainer/trainer_flags.h"

namespace facet {

int RunInitWeightsCommand(const std::vector<std::string>& args) {
  const std::string to = absl::GetFlag(FLAGS_to);
  if (to.empty() || !args.empty()) {
    std::cerr << "usage: facet-trainer init-weights --to REPO/MODEL "
                 "[--preset published|small|tiny] [--seed N]\n";
    return 2;
  }
  auto config = ToAbslStatusOr(NetConfigPreset(absl::GetFlag(FLAGS_preset)));
  if (!config.ok()) {
    std::cerr << "error: --preset: " << config.status().message() << "\n";
    return 2;
  }
  const ModelDestination dest = SplitModelDestination(to);
  const std::string& model = dest.model;
  auto repo = ModelRepository::Create(dest.repository, /*create_if_missing=*/true);
  if (!repo.ok()) {
    std::cerr << "error: " << repo.status().message() << "\n";
    return 1;
  }
  torch::manual_seed(absl::GetFlag(FLAGS_seed));
  FaceParsingNet net(*config);
  Manifest manifest;
  manifest.model_name = model;
  manifest.config = *config;
  manifest.step = 0;
  manifest.created_at = FormatRfc3339Utc(std::chrono::system_clock::now());
  manifest.extra["origin"] = "init-weights seed " + std::to_string(absl::GetFlag(FLAGS_seed));
  absl::StatusOr<int64_t> version =
      (*repo)->Publish(model, ExtractStateDict(net), std::move(manifest));
  if (!version.ok()) {
    std::cerr << "error: " << version.status().message() << "\n";
    return 1;
  }
  std::cout << (*repo)->VersionDir(model, *version) << "\n";
  return 0;
}

}  // namespace facet
