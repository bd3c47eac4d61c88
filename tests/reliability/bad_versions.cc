#include "tests/reliability/bad_versions.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/model/safetensors.h"
#include "core/repository/manifest.h"
#include "core/repository/model_repository.h"
#include "core/repository/sha256.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"

namespace facet {
namespace reliability {

const char* DefectName(Defect defect) {
  switch (defect) {
    case Defect::kBadChecksum:
      return "bad_checksum";
    case Defect::kTruncatedWeights:
      return "truncated_weights";
    case Defect::kNonFiniteWeights:
      return "non_finite_weights";
    case Defect::kWrongConfiguration:
      return "wrong_configuration";
    case Defect::kNonFiniteOutputs:
      return "non_finite_outputs";
  }
  return "?";
}

int64_t PublishBadVersion(const std::string& repo, const std::string& model,
                          const NetConfig& config, uint32_t seed,
                          Defect defect) {
  if (defect == Defect::kNonFiniteOutputs) {
    // Publish itself accepts these (every weight is finite).
    return server_test::PublishVersion(repo, model, seed, 1e30f, config);
  }
  auto repository = ModelRepository::Create(repo, /*create_if_missing=*/true);
  EXPECT_TRUE(repository.ok()) << repository.status();
  if (!repository.ok()) return -1;
  auto versions = (*repository)->ListVersions(model);
  const int64_t version =
      versions.ok() && !versions->empty() ? versions->front() + 1 : 1;

  RawTensorMap tensors = server_test::RandomWeights(config, seed);
  if (defect == Defect::kNonFiniteWeights) {
    for (auto& [name, tensor] : tensors) {
      if (tensor.dtype != DType::kFloat32 || tensor.numel() < 2) continue;
      float bad[2] = {std::numeric_limits<float>::quiet_NaN(),
                      std::numeric_limits<float>::infinity()};
      std::memcpy(tensor.data.data(), bad, sizeof(bad));
      break;
    }
  }
  const std::string model_dir = (*repository)->ModelDir(model);
  const std::string staging =
      absl::StrCat(model_dir, "/.staging-test-", version);
  std::filesystem::create_directories(staging);
  const std::string weights = staging + "/" + kWeightsFileName;
  EXPECT_TRUE(WriteSafetensorsFile(weights, tensors, {}).ok());
  if (defect == Defect::kTruncatedWeights) {
    struct stat st;
    EXPECT_EQ(stat(weights.c_str(), &st), 0);
    EXPECT_EQ(truncate(weights.c_str(), st.st_size / 2), 0);
  }
  Manifest manifest;
  manifest.model_name = model;
  manifest.version = version;
  manifest.config = config;
  if (defect == Defect::kWrongConfiguration) {
    // Another valid architecture: the weights' shapes do not match it.
    manifest.config.base_ch *= 2;
  }
  manifest.step = seed;
  manifest.created_at = "2026-12-01T00:00:00Z";
  auto sha = Sha256File(weights);
  EXPECT_TRUE(sha.ok()) << sha.status();
  manifest.files[kWeightsFileName] = defect == Defect::kBadChecksum
                                         ? Sha256Hex("not these bytes")
                                         : sha.value_or("");
  EXPECT_TRUE(ValidateManifest(manifest).ok()) << ValidateManifest(manifest);
  const std::string text = SerializeManifest(manifest);
  FILE* file = fopen((staging + "/" + kManifestFileName).c_str(), "w");
  EXPECT_NE(file, nullptr);
  if (file == nullptr) return -1;
  fwrite(text.data(), 1, text.size(), file);
  fclose(file);
  const std::string final_dir = absl::StrCat(model_dir, "/", version);
  EXPECT_EQ(std::rename(staging.c_str(), final_dir.c_str()), 0);
  // The repository's own check refuses it too.
  EXPECT_FALSE(ModelRepository::ValidateVersionDir(final_dir).ok())
      << DefectName(defect);
  return version;
}

}  // namespace reliability
}  // namespace facet
