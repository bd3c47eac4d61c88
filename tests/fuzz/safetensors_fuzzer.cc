// Fuzzes ParseSafetensors (core/model/safetensors.h), whole files: any bytes
// give tensors or a clean error. Property: what parses serializes, and the
// serialized bytes parse back to the same tensors and metadata.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/model/safetensors.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

bool SameTensors(const facet::RawTensorMap& a, const facet::RawTensorMap& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first || i->second.dtype != j->second.dtype ||
        i->second.shape != j->second.shape ||
        i->second.data != j->second.data) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  facet::ModelResult<facet::SafetensorsContents> contents =
      facet::ParseSafetensors(bytes, "fuzz.safetensors");
  if (!contents.ok()) return 0;
  for (const auto& [name, tensor] : contents->tensors) {
    FUZZ_CHECK(tensor.data.size() == static_cast<size_t>(tensor.numel()) *
                                         facet::DTypeSize(tensor.dtype),
               "tensor bytes differ from numel * element size");
  }
  if (!facet::CheckSerializable(contents->tensors, contents->metadata).ok()) {
    return 0;
  }
  const std::string again =
      facet::SerializeSafetensors(contents->tensors, contents->metadata);
  facet::ModelResult<facet::SafetensorsContents> back =
      facet::ParseSafetensors(again, "fuzz-again.safetensors");
  FUZZ_CHECK(back.ok(), "a parsed file does not parse after serializing");
  FUZZ_CHECK(SameTensors(contents->tensors, back->tensors),
             "tensors changed in the round trip");
  FUZZ_CHECK(contents->metadata == back->metadata,
             "metadata changed in the round trip");
  return 0;
}
