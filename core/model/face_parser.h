// FaceParser: the LibTorch FaceEngine. Runs a FaceParsingNet for inference
// on a device chosen at run time, behind a header with no LibTorch types.
// It is the reference every other engine is tested against, and the engine
// for CUDA.
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

#include "core/model/cuda_device.h"  // CudaAvailable, BuiltWithCuda.
#include "core/model/face_engine.h"
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
  // Arithmetic of the forward: kFp32, kBf16 (CPU and CUDA), kFp16 (CUDA
  // only: LibTorch's CPU convolutions have no half kernels). BatchNorm is
  // folded in fp32 before the cast. Default: kFp32.
  Precision precision = Precision::kFp32;
  // Activations and weights in channels-last (NHWC) memory format: "auto"
  // (on for CUDA, where cuDNN's tensor-core kernels want it; off on CPU),
  // "on" or "off". Default: "auto".
  std::string channels_last = "auto";
  // CUDA only: let cuDNN time its convolution algorithms at warm-up and keep
  // the fastest for each shape. Default: true.
  bool cudnn_benchmark = true;
  // CUDA only: capture the forward as a CUDA graph per batch size on first
  // use (the server's warm-up does that before serving) and replay it, which removes
  // per-kernel launch overhead. Requests of one batch size then run one at a
  // time. FailedPrecondition on a CPU device. Default: false.
  bool cuda_graphs = false;
};

class FaceParser : public FaceEngine {
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
      const ParseOptions& options = ParseOptions()) const override;

  const NetConfig& config() const override;
  // "torch".
  std::string engine() const override;
  // "cpu" or "cuda:0".
  std::string device() const override;
  // "fp32", "bf16" or "fp16".
  std::string precision() const override;
  std::string Describe() const override;

 private:
  struct Impl;
  explicit FaceParser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facet

#endif  // FACET_CORE_MODEL_FACE_PARSER_H_
