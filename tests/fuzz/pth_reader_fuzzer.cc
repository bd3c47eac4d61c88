// Fuzzes ParsePth (core/model/pth_reader.h), zip and legacy formats: any
// bytes give tensors or a clean error; every tensor returned holds exactly
// numel * element-size bytes, what parses writes (pth_writer.h) and reads
// back the same, and a state dict normalizes or fails cleanly.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "core/model/pth_reader.h"
#include "core/model/pth_writer.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  facet::ModelResult<facet::RawTensorMap> tensors =
      facet::ParsePth(bytes, "fuzz.pth");
  if (!tensors.ok()) return 0;
  for (const auto& [name, tensor] : tensors.value()) {
    for (int64_t d : tensor.shape) FUZZ_CHECK(d >= 0, "negative dimension");
    FUZZ_CHECK(tensor.data.size() == static_cast<size_t>(tensor.numel()) *
                                         facet::DTypeSize(tensor.dtype),
               "tensor bytes differ from numel * element size");
  }
  facet::ModelResult<std::string> again =
      facet::SerializePthZip(tensors.value());
  if (again.ok()) {
    facet::ModelResult<facet::RawTensorMap> back =
        facet::ParsePth(again.value(), "fuzz-again.pth");
    FUZZ_CHECK(back.ok(), "a parsed .pth does not parse after writing it");
    FUZZ_CHECK(back->size() == tensors->size(), "tensor count changed");
    for (auto i = back->begin(), j = tensors->begin(); i != back->end();
         ++i, ++j) {
      FUZZ_CHECK(i->first == j->first && i->second.dtype == j->second.dtype &&
                     i->second.shape == j->second.shape &&
                     i->second.data == j->second.data,
                 "a tensor changed in the write-read round trip");
    }
  }
  (void)facet::NormalizeUpstreamStateDict(std::move(tensors).value());
  return 0;
}
