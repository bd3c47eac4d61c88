// LoadWeights: one entry point for every form in which users hand Facet a
// network: a version folder of a model repository (manifest.json inside), a
// bare .safetensors file, or an upstream PyTorch .pth state dict.
#ifndef FACET_CORE_REPOSITORY_WEIGHTS_LOADER_H_
#define FACET_CORE_REPOSITORY_WEIGHTS_LOADER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"
#include "core/repository/manifest.h"

namespace facet {

struct LoadedWeights {
  RawTensorMap tensors;              // Exactly the network's state dict.
  NetConfig config;                  // From the manifest, else inferred.
  std::optional<Manifest> manifest;  // Set for a version folder.
  std::string source;                // The path, for logs.
  // Where int8 activation scales of these weights live (may not exist):
  // the version folder's int8_scales.safetensors, or
  // "<stem>.int8_scales.safetensors" beside a bare file (int8_scales.h).
  std::string int8_scales_path;
};

// Loads and checks weights at `path`:
// - a folder: a version folder, validated in full (manifest, checksums,
//   shapes, finite values; see ModelRepository::ValidateVersionDir);
// - *.safetensors, *.pth, *.pt: a bare state dict whose configuration is
//   inferred from the tensor shapes with `input_size` as the input side;
//   every float tensor must be finite.
// NotFound if `path` does not exist; InvalidArgument or DataLoss naming the
// file and the problem otherwise.
absl::StatusOr<LoadedWeights> LoadWeights(const std::string& path,
                                          int64_t input_size = 512);

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_WEIGHTS_LOADER_H_
