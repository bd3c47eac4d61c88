#include "core/model/raw_tensor.h"

namespace facet {
namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kFloat32, "F32", 4}, {DType::kFloat16, "F16", 2},
    {DType::kBFloat16, "BF16", 2}, {DType::kFloat64, "F64", 8},
    {DType::kInt64, "I64", 8},   {DType::kInt32, "I32", 4},
    {DType::kInt16, "I16", 2},   {DType::kInt8, "I8", 1},
    {DType::kUInt8, "U8", 1},    {DType::kBool, "BOOL", 1},
};

const DTypeInfo& Info(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info;
  }
  return kDTypes[0];  // Unreachable for valid enum values.
}

}  // namespace

size_t DTypeSize(DType dtype) { return Info(dtype).size; }

const char* DTypeName(DType dtype) { return Info(dtype).name; }

ModelResult<DType> DTypeFromName(const std::string& name) {
  for (const DTypeInfo& info : kDTypes) {
    if (name == info.name) return info.dtype;
  }
  return ModelStatus::InvalidArgument(
      "unknown dtype \"" + name +
      "\" (expected one of F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
}

int64_t RawTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace facet
