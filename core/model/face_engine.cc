#include "core/model/face_engine.h"

namespace facet {

ModelStatus ValidateBatch(const std::vector<RgbImageView>& batch,
                          const NetConfig& config) {
  if (batch.empty()) return ModelStatus::InvalidArgument("empty batch");
  const int64_t h = batch[0].height, w = batch[0].width;
  const int64_t multiple = int64_t{1} << config.down_steps();
  for (size_t i = 0; i < batch.size(); ++i) {
    const RgbImageView& v = batch[i];
    if (v.data == nullptr || v.height != h || v.width != w) {
      return ModelStatus::InvalidArgument(
          "batch item " + std::to_string(i) + " is " + std::to_string(v.width) +
          "x" + std::to_string(v.height) + ", expected " + std::to_string(w) +
          "x" + std::to_string(h) + " like the first item");
    }
  }
  if (h <= 0 || w <= 0 || h % multiple != 0 || w % multiple != 0) {
    return ModelStatus::InvalidArgument(
        "image is " + std::to_string(w) + "x" + std::to_string(h) +
        ", expected sides that are positive multiples of " +
        std::to_string(multiple) + " (the network size is " +
        std::to_string(config.in_size) + ")");
  }
  return ModelStatus::Ok();
}

ModelResult<Precision> ParsePrecision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "fp16") return Precision::kFp16;
  if (name == "int8") return Precision::kInt8;
  return ModelStatus::InvalidArgument("precision \"" + name +
                                      "\": expected fp32, bf16, fp16 or int8");
}

const char* PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kFp32: return "fp32";
    case Precision::kBf16: return "bf16";
    case Precision::kFp16: return "fp16";
    case Precision::kInt8: return "int8";
  }
  return "fp32";
}

}  // namespace facet
