// FaceParser: runs a FaceParsingNet for inference on a device chosen at run
// time, behind a header with no LibTorch types, so that the server, the
// trainer's tools and tests call it with plain bytes.
//
// Input: RGB uint8 faces, already resized to the network size (core/image
// does that). Output per face: the label map (argmax of the parsing logits)
// and the restored face (the image head), both at the network's output size,
// and optionally the raw float outputs.
//
// Thread safety: Parse() may be called concurrently from several threads; it
// runs in eval mode under torch::InferenceMode. The intra-op thread count is
// process-wide in LibTorch (see FaceParserOptions::intra_op_threads).
#ifndef FACET_CORE_MODEL_FACE_PARSER_H_
#define FACET_CORE_MODEL_FACE_PARSER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model/model_status.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"

namespace facet {

struct FaceParserOptions {
  // Network architecture; must match the weights. Default: published.
  NetConfig config;
  // "auto" (CUDA when torch::cuda::is_available(), else CPU), "cpu",
  // "cuda" or "cuda:N". Default: "auto".
  std::string device = "auto";
  // Intra-op threads for CPU inference; 0 leaves LibTorch's setting alone.
  // Process-wide: the last FaceParser created wins. Default: 0.
  int intra_op_threads = 0;
  // Fold BatchNorm into the convolutions (about 1e-6 relative difference
  // from the plain path). Default: true.
  bool fold_batch_norm = true;
};

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
  int64_t height = 0;            // Output rows.
  int64_t width = 0;             // Output columns.
  std::vector<uint8_t> labels;   // height*width class ids.
  std::vector<uint8_t> restored; // height*width*3 RGB (if want_restored).
  std::vector<float> logits;     // parsing_ch*height*width (if want_raw).
  std::vector<float> image;      // 3*height*width in [-1, 1]-ish (if want_raw).
};

class FaceParser {
 public:
  // Builds the network, loads `weights` strictly (CheckStateDictShapes),
  // moves it to the device and switches to eval mode. InvalidArgument for a
  // bad configuration, weights or device string; FailedPrecondition when
  // "cuda" is asked for and unavailable.
  static ModelResult<std::unique_ptr<FaceParser>> Create(
      const RawTensorMap& weights, const FaceParserOptions& options);

  FaceParser(const FaceParser&) = delete;
  FaceParser& operator=(const FaceParser&) = delete;
  ~FaceParser();

  // Runs one batch. Every image must have the same size, a multiple of
  // 2^down_steps on each side (the network size in practice).
  // InvalidArgument for an empty batch or bad sizes; Internal if LibTorch
  // fails (the message carries its error).
  ModelResult<std::vector<ParseResult>> Parse(
      const std::vector<RgbImageView>& batch,
      const ParseOptions& options = ParseOptions()) const;

  const NetConfig& config() const;
  // "cpu" or "cuda:0".
  std::string device() const;
  // "float32".
  std::string precision() const;

 private:
  struct Impl;
  explicit FaceParser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True iff LibTorch sees a usable CUDA device.
bool CudaAvailable();

}  // namespace facet

#endif  // FACET_CORE_MODEL_FACE_PARSER_H_
