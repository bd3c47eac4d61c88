#include "trainer/weights_commands.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "absl/flags/flag.h"
#include "core/model/pth_writer.h"
#include "core/repository/model_repository.h"
#include "core/repository/rfc3339.h"
#include "core/repository/weights_loader.h"
#include "core/status/model_status_conversion.h"
#include "trainer/trainer_flags.h"

ABSL_FLAG(std::string, from, "",
          "import-weights: the upstream .pth (or .safetensors) file; "
          "export-weights: a version folder or weights file.");

namespace facet {

int RunImportWeightsCommand(const std::vector<std::string>& args) {
  const std::string from = absl::GetFlag(FLAGS_from);
  const std::string to = absl::GetFlag(FLAGS_to);
  if (from.empty() || to.empty() || !args.empty()) {
    std::cerr << "usage: facet-trainer import-weights --from FILE.pth --to REPO/MODEL "
                 "[--input_size 512]\n";
    return 2;
  }
  absl::StatusOr<LoadedWeights> loaded = LoadWeights(from, absl::GetFlag(FLAGS_input_size));
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return 1;
  }
  const ModelDestination dest = SplitModelDestination(to);
  auto repo = ModelRepository::Create(dest.repository, /*create_if_missing=*/true);
  if (!repo.ok()) {
    std::cerr << "error: " << repo.status().message() << "\n";
    return 1;
  }
  Manifest manifest;
  manifest.model_name = dest.model;
  manifest.config = loaded->config;
  manifest.created_at = FormatRfc3339Utc(std::chrono::system_clock::now());
  manifest.extra["imported_from"] = std::filesystem::path(from).filename().string();
  absl::StatusOr<int64_t> version =
      (*repo)->Publish(manifest.model_name, loaded->tensors, manifest);
  if (!version.ok()) {
    std::cerr << "error: " << version.status().message() << "\n";
    return 1;
  }
  std::cerr << "imported " << from << " (" << loaded->config.ToString() << ", "
            << loaded->tensors.size() << " tensors)\n";
  std::cout << (*repo)->VersionDir(manifest.model_name, *version) << "\n";
  return 0;
}

int RunExportWeightsCommand(const std::vector<std::string>& args) {
  const std::string from = absl::GetFlag(FLAGS_from);
  const std::string to = absl::GetFlag(FLAGS_to);
  if (from.empty() || to.empty() || !args.empty()) {
    std::cerr << "usage: facet-trainer export-weights --from VERSION_DIR|FILE --to FILE.pth\n";
    return 2;
  }
  absl::StatusOr<LoadedWeights> loaded = LoadWeights(from, absl::GetFlag(FLAGS_input_size));
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return 1;
  }
  // Write beside the target and rename, so a failure never leaves half a file.
  const std::string tmp = to + ".tmp";
  absl::Status s = ToAbslStatus(WritePthFile(tmp, loaded->tensors));
  if (s.ok()) {
    std::error_code ec;
    std::filesystem::rename(tmp, to, ec);
    if (ec) s = absl::UnavailableError("cannot rename " + tmp + " to " + to + ": " + ec.message());
  }
  if (!s.ok()) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "exported " << loaded->tensors.size() << " tensors ("
            << loaded->config.ToString() << ") to " << to << "\n";
  return 0;
}

}  // namespace facet
