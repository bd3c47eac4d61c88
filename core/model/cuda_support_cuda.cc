// The CUDA build's side of cuda_support.h and gpu_memory.h. Compiled only
// against a CUDA LibTorch (core/model/CMakeLists.txt); uses only API that
// LibTorch 1.13 and 2.x share: at::cuda::CUDAGraph with default capture
// arguments, c10::cuda streams and guards, and the caching allocator's
// DeviceStats arrays indexed by the aggregate stat (index 0 in both).
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include <exception>
#include <string>

#include "core/model/cuda_support.h"
#include "core/model/face_parser.h"
#include "core/model/gpu_memory.h"

namespace facet {

bool BuiltWithCuda() { return true; }

std::optional<GpuMemoryStats> ReadGpuMemory(int device_index) {
  try {
    if (!torch::cuda::is_available() ||
        device_index >= static_cast<int>(torch::cuda::device_count()) ||
        device_index < 0) {
      return std::nullopt;
    }
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(
        static_cast<c10::DeviceIndex>(device_index));
    constexpr size_t kAggregate = 0;  // StatType::AGGREGATE in 1.13 and 2.x.
    GpuMemoryStats out;
    out.allocated_bytes = stats.allocated_bytes[kAggregate].current;
    out.reserved_bytes = stats.reserved_bytes[kAggregate].current;
    out.peak_allocated_bytes = stats.allocated_bytes[kAggregate].peak;
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_index));
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
      out.total_bytes = static_cast<int64_t>(total_bytes);
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace {

class GraphForward : public CapturedForward {
 public:
  std::pair<torch::Tensor, torch::Tensor> Run(const torch::Tensor& x) override {
    static_input.copy_(x, /*non_blocking=*/true);
    graph.replay();
    return {static_logits, static_image};
  }

  at::cuda::CUDAGraph graph;
  torch::Tensor static_input, static_logits, static_image;
};

}  // namespace

ModelResult<std::unique_ptr<CapturedForward>> CaptureForward(
    FaceParsingNet& net, const torch::Tensor& example) {
  if (!example.is_cuda()) {
    return ModelStatus::FailedPrecondition(
        "CUDA graphs need a CUDA device; the network runs on " +
        example.device().str());
  }
  try {
    c10::cuda::CUDAGuard device_guard(example.device());
    auto captured = std::make_unique<GraphForward>();
    captured->static_input = example.clone();
    // Capture must not run on the legacy default stream; warm-up on the same
    // side stream lets cuDNN pick its algorithms and the allocator settle
    // before capture.
    c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool();
    stream.synchronize();
    {
      c10::cuda::CUDAStreamGuard stream_guard(stream);
      for (int i = 0; i < 3; ++i) net->forward(captured->static_input);
      stream.synchronize();
      captured->graph.capture_begin();
      auto outputs = net->forward(captured->static_input);
      captured->graph.capture_end();
      captured->static_logits = outputs.first;
      captured->static_image = outputs.second;
    }
    stream.synchronize();
    return std::unique_ptr<CapturedForward>(std::move(captured));
  } catch (const std::exception& e) {
    return ModelStatus::Internal(std::string("CUDA graph capture failed: ") +
                                 e.what());
  }
}

}  // namespace facet
