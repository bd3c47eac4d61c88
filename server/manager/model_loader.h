// ModelLoader: turns a version folder or a weights file into a ready
// ServableModel. Nothing is offered for serving before all of this passed:
//  1. LoadWeights: manifest, checksums, configuration, shapes, finite
//     tensors (core/repository);
//  2. CreateFaceEngine with the configured engine, device and precision;
//  3. a built-in golden input (a fixed synthetic face-sized pattern) must
//     give finite logits and images, and labels within [0, parsing_ch);
//  4. warm-up: one forward at every batch size in `warmup_batch_sizes`, so
//     the first real request does not pay for allocator growth or kernel
//     selection.
//
// Thread safety: LoadModel is thread-safe; it is slow (seconds for the
// published model) and must not be called under a lock.
#ifndef FACET_SERVER_MANAGER_MODEL_LOADER_H_
#define FACET_SERVER_MANAGER_MODEL_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/manager/model_handle.h"

namespace facet {

struct ModelLoaderOptions {
  // Forward engine: "auto", "onednn", "torch" (see CreateFaceEngine).
  std::string engine = "auto";
  // Device: "auto", "cpu", "cuda", "cuda:N". Default: "auto".
  std::string device = "auto";
  // Forward precision: "fp32", "bf16", "fp16", "int8". Default: "fp32".
  std::string precision = "fp32";
  // Forward threads (process-wide); 0 = every usable core. Default: 0.
  int intra_op_threads = 0;
  // Input side for bare weight files (ignored for version folders, whose
  // manifest gives it). Default: 512.
  int64_t input_size = 512;
  // Batch sizes run once each before the version is offered. Default: {1}.
  std::vector<int> warmup_batch_sizes = {1};
};

// Loads `path` (a version folder or a .safetensors/.pth file) as `name`
// version `version`, validates and warms it up (see the file comment).
// Errors carry LoadWeights' codes (NotFound, InvalidArgument, DataLoss),
// FailedPrecondition for an unavailable device, and DataLoss for
// non-finite or out-of-range outputs on the golden input; messages name the
// path.
absl::StatusOr<ModelHandle> LoadModel(const std::string& path,
                                      const std::string& name, int64_t version,
                                      const ModelLoaderOptions& options);

}  // namespace facet

#endif  // FACET_SERVER_MANAGER_MODEL_LOADER_H_
