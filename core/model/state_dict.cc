#include "core/model/state_dict.h"

#include <cstring>
#include <string>
#include <unordered_map>

namespace facet {
namespace {

ModelResult<torch::ScalarType> ToScalarType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return torch::kFloat32;
    case DType::kFloat16:
      return torch::kFloat16;
    case DType::kBFloat16:
      return torch::kBFloat16;
    case DType::kFloat64:
      return torch::kFloat64;
    case DType::kInt64:
      return torch::kInt64;
    case DType::kInt32:
      return torch::kInt32;
    case DType::kInt16:
      return torch::kInt16;
    case DType::kInt8:
      return torch::kInt8;
    case DType::kUInt8:
      return torch::kUInt8;
    case DType::kBool:
      return torch::kBool;
  }
  return ModelStatus::InvalidArgument("unsupported dtype");
}

ModelResult<DType> FromScalarType(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return DType::kFloat32;
    case torch::kFloat16:
      return DType::kFloat16;
    case torch::kBFloat16:
      return DType::kBFloat16;
    case torch::kFloat64:
      return DType::kFloat64;
    case torch::kInt64:
      return DType::kInt64;
    case torch::kInt32:
      return DType::kInt32;
    case torch::kInt16:
      return DType::kInt16;
    case torch::kInt8:
      return DType::kInt8;
    case torch::kUInt8:
      return DType::kUInt8;
    case torch::kBool:
      return DType::kBool;
    default:
      return ModelStatus::InvalidArgument(std::string("unsupported dtype ") +
                                          c10::toString(type));
  }
}

std::unordered_map<std::string, torch::Tensor> NamedTensors(
    FaceParsingNet& net) {
  std::unordered_map<std::string, torch::Tensor> named;
  for (const auto& item : net->named_parameters()) named[item.key()] = item.value();
  for (const auto& item : net->named_buffers()) named[item.key()] = item.value();
  return named;
}

}  // namespace

RawTensor ToRawTensor(const torch::Tensor& tensor) {
  torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
  RawTensor raw;
  raw.dtype = FromScalarType(cpu.scalar_type()).value();
  raw.shape.assign(cpu.sizes().begin(), cpu.sizes().end());
  raw.data.resize(cpu.numel() * cpu.element_size());
  if (!raw.data.empty()) std::memcpy(raw.data.data(), cpu.data_ptr(), raw.data.size());
  return raw;
}

ModelResult<torch::Tensor> FromRawTensor(const RawTensor& raw) {
  ModelResult<torch::ScalarType> type = ToScalarType(raw.dtype);
  if (!type.ok()) return type.status();
  for (int64_t d : raw.shape) {
    if (d < 0) return ModelStatus::InvalidArgument("negative dimension in " + ShapeToString(raw.shape));
  }
  if (raw.data.size() != static_cast<size_t>(raw.numel()) * DTypeSize(raw.dtype)) {
    return ModelStatus::InvalidArgument(
        "tensor of shape " + ShapeToString(raw.shape) + " holds " +
        std::to_string(raw.data.size()) + " bytes, expected " +
        std::to_string(raw.numel() * DTypeSize(raw.dtype)));
  }
  torch::Tensor t = torch::empty(raw.shape, torch::TensorOptions().dtype(*type));
  if (!raw.data.empty()) std::memcpy(t.data_ptr(), raw.data.data(), raw.data.size());
  return t;
}

ModelStatus LoadStateDict(const RawTensorMap& tensors, FaceParsingNet& net) {
  ModelStatus shapes = CheckStateDictShapes(net->config(), tensors);
  if (!shapes.ok()) return shapes;
  auto named = NamedTensors(net);
  // Convert everything first so that a failure leaves `net` untouched.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
  for (const auto& [name, raw] : tensors) {
    auto target = named.find(name);
    if (target == named.end()) {
      return ModelStatus::InvalidArgument("unexpected tensor \"" + name + "\"");
    }
    ModelResult<torch::Tensor> source = FromRawTensor(raw);
    if (!source.ok()) {
      return ModelStatus::InvalidArgument("tensor \"" + name + "\": " +
                                          source.status().message());
    }
    copies.emplace_back(target->second, source->to(target->second.scalar_type()));
  }
  torch::NoGradGuard no_grad;
  for (auto& [target, source] : copies) target.copy_(source);
  return ModelStatus::Ok();
}

RawTensorMap ExtractStateDict(FaceParsingNet& net) {
  RawTensorMap out;
  for (const auto& [name, tensor] : NamedTensors(net)) out[name] = ToRawTensor(tensor);
  return out;
}

}  // namespace facet
