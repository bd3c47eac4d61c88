// CUDA-only services FaceParser uses: CUDA-graph capture of the forward.
// cuda_support_cuda.cc implements them against a CUDA LibTorch;
// cuda_support_cpu.cc is the CPU-only build's implementation, which reports
// them unavailable (FailedPrecondition). CMake compiles exactly one.
//
// Includes LibTorch; for core/model only.
#ifndef FACET_CORE_MODEL_CUDA_SUPPORT_H_
#define FACET_CORE_MODEL_CUDA_SUPPORT_H_

#include <torch/torch.h>

#include <memory>
#include <utility>

#include "core/model/face_parsing_net.h"
#include "core/model/model_status.h"

namespace facet {

// The network's forward captured once as a CUDA graph for one input shape
// and dtype, replayed with new input values.
//
// Thread safety: Run() copies into the graph's static input and replays; the
// caller serialises calls (FaceParser holds a mutex per graph).
class CapturedForward {
 public:
  virtual ~CapturedForward() = default;
  // `x` must have the captured shape, dtype and device. Returns views of the
  // graph's static outputs (logits, image), valid until the next Run().
  virtual std::pair<torch::Tensor, torch::Tensor> Run(const torch::Tensor& x) = 0;
};

// Warms up `net` on a side stream and captures its forward on `example`
// (whose shape, dtype and device the graph keeps). FailedPrecondition on a
// CPU-only build or a CPU tensor; Internal with CUDA's message otherwise.
ModelResult<std::unique_ptr<CapturedForward>> CaptureForward(
    FaceParsingNet& net, const torch::Tensor& example);

}  // namespace facet

#endif  // FACET_CORE_MODEL_CUDA_SUPPORT_H_
