// Fuzzes ParsePth (core/model/pth_reader.h), zip and legacy formats: any
// bytes give tensors or a clean error; every tensor returned holds exactly
// numel * element-size bytes, and a state dict normalizes or fails cleanly.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "core/model/pth_reader.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  facet::ModelResult<facet::RawTensorMap> tensors = facet::ParsePth(bytes, "fuzz.pth");
  if (!tensors.ok()) return 0;
  for (const auto& [name, tensor] : tensors.value()) {
    for (int64_t d : tensor.shape) FUZZ_CHECK(d >= 0, "negative dimension");
    FUZZ_CHECK(tensor.data.size() ==
                   static_cast<size_t>(tensor.numel()) * facet::DTypeSize(tensor.dtype),
               "tensor bytes differ from numel * element size");
  }
  (void)facet::NormalizeUpstreamStateDict(std::move(tensors).value());
  return 0;
}
