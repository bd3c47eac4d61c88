// Which device a --device value names, asked of LibTorch: the one place
// that decides whether "auto" means CUDA, shared by CreateFaceEngine (which
// engine to build) and FaceParser (where to run), so the two never disagree.
//
// No LibTorch types in this header (the definitions are in facet_model).
// Thread safety: every function may be called from any thread.
#ifndef FACET_CORE_MODEL_CUDA_DEVICE_H_
#define FACET_CORE_MODEL_CUDA_DEVICE_H_

#include <string>

namespace facet {

// True iff LibTorch sees a usable CUDA device (false, not an exception,
// when the CUDA runtime fails to initialise).
bool CudaAvailable();

// True iff this binary was built against a CUDA-enabled LibTorch.
bool BuiltWithCuda();

// True iff `device` asks for CUDA: "cuda" or "cuda:<anything>" (validated
// later, by FaceParser), or "auto" / "" when CudaAvailable().
bool DeviceIsCuda(const std::string& device);

}  // namespace facet

#endif  // FACET_CORE_MODEL_CUDA_DEVICE_H_
