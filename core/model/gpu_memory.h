// GPU memory of the CUDA caching allocator, with no LibTorch types, for the
// server's gauges. On a CPU-only build, or without a CUDA device, there is
// nothing to read: callers keep the metric and leave it without a value.
#ifndef FACET_CORE_MODEL_GPU_MEMORY_H_
#define FACET_CORE_MODEL_GPU_MEMORY_H_

#include <cstdint>
#include <optional>

namespace facet {

struct GpuMemoryStats {
  int64_t allocated_bytes = 0;       // Held by live tensors now.
  int64_t reserved_bytes = 0;        // Held by the caching allocator now.
  int64_t peak_allocated_bytes = 0;  // Largest allocated_bytes so far.
  int64_t total_bytes = 0;           // The device's memory (cudaMemGetInfo).
};

// Statistics of CUDA device `device_index`; nullopt when this build has no
// CUDA or the device does not exist.
std::optional<GpuMemoryStats> ReadGpuMemory(int device_index);

}  // namespace facet

#endif  // FACET_CORE_MODEL_GPU_MEMORY_H_
