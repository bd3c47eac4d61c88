// RawTensor: a tensor as bytes, with no torch types, so that weight-file
// readers and writers, the repository and the tools can handle weights
// without LibTorch headers.
//
// A RawTensorMap is what a weight file holds: names (state-dict keys) to
// contiguous, row-major, little-endian tensors. state_dict.h converts it to
// and from a FaceParsingNet.
#ifndef FACET_CORE_MODEL_RAW_TENSOR_H_
#define FACET_CORE_MODEL_RAW_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/model/model_status.h"

namespace facet {

// Element types met in weight files. Values are stable; do not renumber.
enum class DType {
  kFloat32 = 0,
  kFloat16 = 1,
  kBFloat16 = 2,
  kFloat64 = 3,
  kInt64 = 4,
  kInt32 = 5,
  kInt16 = 6,
  kInt8 = 7,
  kUInt8 = 8,
  kBool = 9,
};

// Bytes per element of `dtype`.
size_t DTypeSize(DType dtype);
// The safetensors spelling: "F32", "F16", "BF16", "F64", "I64", "I32",
// "I16", "I8", "U8", "BOOL".
const char* DTypeName(DType dtype);
// Parses a safetensors dtype name. InvalidArgument for anything else.
ModelResult<DType> DTypeFromName(const std::string& name);

struct RawTensor {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;  // Empty for a scalar.
  std::vector<uint8_t> data;   // numel() * DTypeSize(dtype) bytes.

  // Product of shape (1 for a scalar). REQUIRES: no negative dimension.
  int64_t numel() const;
};

// Keys in sorted order, which is also the order safetensors writes them.
using RawTensorMap = std::map<std::string, RawTensor>;

// "[16, 8, 3, 3]"; "[]" for a scalar.
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace facet

#endif  // FACET_CORE_MODEL_RAW_TENSOR_H_
