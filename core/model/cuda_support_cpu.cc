// The CPU-only build's side of cuda_support.h and gpu_memory.h: a LibTorch
// without CUDA has no graphs and no caching allocator to read.
#include "core/model/cuda_support.h"
#include "core/model/face_parser.h"
#include "core/model/gpu_memory.h"

namespace facet {

bool BuiltWithCuda() { return false; }

std::optional<GpuMemoryStats> ReadGpuMemory(int /*device_index*/) {
  return std::nullopt;
}

ModelResult<std::unique_ptr<CapturedForward>> CaptureForward(
    FaceParsingNet& /*net*/, const torch::Tensor& /*example*/) {
  return ModelStatus::FailedPrecondition(
      "CUDA graphs need a CUDA LibTorch; this binary was built against a "
      "CPU-only LibTorch");
}

}  // namespace facet
