#include "core/repository/weights_loader.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/model/int8_scales.h"
#include "core/model/pth_reader.h"
#include "core/model/safetensors.h"
#include "core/repository/model_repository.h"
#include "core/status/model_status_conversion.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<RawTensorMap> ReadBareStateDict(const std::string& path) {
  if (absl::EndsWith(path, ".safetensors")) {
    auto contents = ToAbslStatusOr(ReadSafetensorsFile(path));
    if (!contents.ok()) return contents.status();
    return std::move(contents->tensors);
  }
  if (absl::EndsWith(path, ".pth") || absl::EndsWith(path, ".pt")) {
    auto tensors = ToAbslStatusOr(ReadPthFile(path));
    if (!tensors.ok()) return tensors.status();
    auto normalized = ToAbslStatusOr(NormalizeUpstreamStateDict(*std::move(tensors)));
    if (!normalized.ok()) {
      return absl::Status(normalized.status().code(),
                          absl::StrCat(path, ": ", normalized.status().message()));
    }
    return normalized;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": unknown weights file type (expected a version folder, "
            "*.safetensors, or an upstream PyTorch *.pth / *.pt)"));
}

}  // namespace

absl::StatusOr<LoadedWeights> LoadWeights(const std::string& path, int64_t input_size) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file or folder"));
  }
  LoadedWeights loaded;
  loaded.source = path;
  loaded.int8_scales_path = Int8ScalesPathFor(path);
  if (fs::is_directory(status)) {
    absl::StatusOr<LoadedVersion> version = ModelRepository::LoadVersionDir(path);
    if (!version.ok()) return version.status();
    loaded.config = version->manifest.config;
    loaded.tensors = std::move(version->tensors);
    loaded.manifest = std::move(version->manifest);
    return loaded;
  }
  absl::StatusOr<RawTensorMap> tensors = ReadBareStateDict(path);
  if (!tensors.ok()) return tensors.status();
  auto config = ToAbslStatusOr(InferNetConfig(*tensors, input_size));
  if (!config.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", config.status().message()));
  }
  absl::Status weights_ok = CheckWeights(*config, *tensors);
  if (!weights_ok.ok()) {
    return absl::Status(weights_ok.code(), absl::StrCat(path, ": ", weights_ok.message()));
  }
  loaded.config = *config;
  loaded.tensors = *std::move(tensors);
  return loaded;
}

}  // namespace facet
