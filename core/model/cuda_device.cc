#include "core/model/cuda_device.h"

#include <torch/cuda.h>

#include <exception>

namespace facet {

bool CudaAvailable() {
  try {
    return torch::cuda::is_available();
  } catch (const std::exception&) {
    return false;
  }
}

bool DeviceIsCuda(const std::string& device) {
  if (device == "auto" || device.empty()) return CudaAvailable();
  return device.rfind("cuda", 0) == 0;
}

}  // namespace facet
