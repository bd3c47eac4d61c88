#include "trainer/training/training_malloc_policy.h"

#include <malloc.h>

#include <cstdlib>

namespace facet {

std::string ApplyTrainingMallocPolicy() {
  for (const char* name :
       {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) {
    if (std::getenv(name) != nullptr) {
      return std::string("environment (") + name + ")";
    }
  }
  constexpr int kMmapThreshold = 64 << 20;
  constexpr int kTrimThreshold = 256 << 20;
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1 ||
      mallopt(M_TRIM_THRESHOLD, kTrimThreshold) != 1) {
    return "glibc default (mallopt failed)";
  }
  return "mmap_threshold=64MiB trim_threshold=256MiB";
}

}  // namespace facet
