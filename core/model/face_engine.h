// FaceEngine: the inference contract every forward engine of the FPN offers,
// with no LibTorch or oneDNN types, so that the server, the trainer's tools,
// the benchmarks and the tests run any engine with plain bytes.
//
// Input: RGB uint8 faces, already resized to the network size (core/image
// does that). Output per face: the label map (argmax of the parsing logits)
// and the restored face (the image head), both at the network's output size,
// and optionally the raw float outputs.
//
// Engines: FaceParser (LibTorch; CPU or CUDA; the reference and the training
// network) and the oneDNN CPU engine (core/onednn). core/engine picks one.
//
// Thread safety: Parse() may be called concurrently from several threads.
#ifndef FACET_CORE_MODEL_FACE_ENGINE_H_
#define FACET_CORE_MODEL_FACE_ENGINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model_status.h"
#include "core/model/net_config.h"

namespace facet {

// A borrowed RGB image: height x width x 3 bytes, row-major, no padding.
// The bytes must stay valid for the duration of the call it is passed to.
struct RgbImageView {
  const uint8_t* data = nullptr;
  int64_t height = 0;
  int64_t width = 0;
};

struct ParseOptions {
  bool want_restored = true;  // Fill ParseResult::restored.
  bool want_raw = false;      // Fill logits and image (float outputs).
};

struct ParseResult {
  int64_t height = 0;             // Output rows.
  int64_t width = 0;              // Output columns.
  std::vector<uint8_t> labels;    // height*width class ids.
  std::vector<uint8_t> restored;  // height*width*3 RGB (if want_restored).
  std::vector<float> logits;      // parsing_ch*height*width (if want_raw).
  std::vector<float> image;       // 3*height*width in [-1, 1]-ish (if want_raw).
};

class FaceEngine {
 public:
  virtual ~FaceEngine() = default;

  // Runs one batch. Every image must have the same size, a multiple of
  // 2^down_steps on each side (the network size in practice; see
  // ValidateBatch). InvalidArgument for an empty batch or bad sizes;
  // Internal if the engine fails (the message carries its error).
  virtual ModelResult<std::vector<ParseResult>> Parse(
      const std::vector<RgbImageView>& batch,
      const ParseOptions& options = ParseOptions()) const = 0;

  virtual const NetConfig& config() const = 0;
  // "torch" or "onednn".
  virtual std::string engine() const = 0;
  // "cpu", "cuda:0", ...
  virtual std::string device() const = 0;
  // Arithmetic of the forward: "fp32", "bf16", "fp16" or "int8".
  virtual std::string precision() const = 0;
  // One line for the load log: engine, device, precision and what the
  // engine chose (ISA, algorithms, threads).
  virtual std::string Describe() const = 0;
};

// The restored face's byte for an image-head value in [-1, 1]: (v + 1) *
// 127.5, clamped to [0, 255] and truncated; NaN gives 0. The conversion of
// every engine that computes it per value (the torch engine does the same
// with tensor ops).
inline uint8_t ImageValueToByte(float v) {
  float b = (v + 1.0f) * 127.5f;
  b = b >= 0.0f ? (b < 255.0f ? b : 255.0f) : 0.0f;  // NaN -> 0.
  return static_cast<uint8_t>(b);
}

// The batch rules every engine applies: non-empty, every item non-null and
// of the first item's size, sides positive multiples of 2^down_steps.
// InvalidArgument naming the item and both sizes otherwise.
ModelStatus ValidateBatch(const std::vector<RgbImageView>& batch,
                          const NetConfig& config);

// Forward precisions by name ("fp32", "bf16", "fp16", "int8"); the names are
// also what engines report. InvalidArgument naming the value otherwise.
enum class Precision { kFp32, kBf16, kFp16, kInt8 };
ModelResult<Precision> ParsePrecision(const std::string& name);
const char* PrecisionName(Precision precision);

}  // namespace facet

#endif  // FACET_CORE_MODEL_FACE_ENGINE_H_
