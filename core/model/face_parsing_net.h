// FaceParsingNet: PSFR-GAN's face parsing network (upstream class
// `ParseNet`), as spec sections 1-4 describe it: same layers in the same
// order, same forward, same parameter and buffer names, so upstream weight
// files load strictly.
//
// This header includes LibTorch; only core/model and trainer/ include it.
// Everyone else runs the network through FaceParser (face_parser.h).
//
// Thread safety: forward() in eval mode under torch::InferenceMode may be
// called concurrently; training and FoldBatchNorm() need exclusive access.
#ifndef FACET_CORE_MODEL_FACE_PARSING_NET_H_
#define FACET_CORE_MODEL_FACE_PARSING_NET_H_

#include <torch/torch.h>

#include <functional>
#include <utility>

#include "core/model/net_config.h"

namespace facet {

enum class Resample { kNone, kDown, kUp };

// A replacement for a layer's BatchNorm call in training mode, given the
// conv output and the layer's BatchNorm2d (its weight, bias and running
// statistics): e.g. BatchNorm synchronised across data-parallel trainers
// (trainer/distributed/sync_batch_norm.h). It must leave the running
// statistics updated as BatchNorm2d would. Eval mode never calls it.
using BatchNormOverride = std::function<torch::Tensor(
    const torch::Tensor&, torch::nn::BatchNorm2dImpl&)>;

// Optional nearest x2 upsample, 1-pixel reflection pad, 3x3 conv (stride 2
// when down-sampling), optional BatchNorm, optional LeakyReLU(0.2). The conv
// has a bias only when no BatchNorm follows. Children: `conv2d` and, with
// BatchNorm, `norm` whose own child `norm` is the BatchNorm2d (upstream
// wraps it in a NormLayer, hence `norm.norm.*` names).
class ConvLayerImpl : public torch::nn::Module {
 public:
  ConvLayerImpl(int64_t in_ch, int64_t out_ch, Resample resample,
                bool batch_norm, bool activation);

  torch::Tensor forward(torch::Tensor x);

  // Replaces conv + BatchNorm by one conv with folded weights and bias
  // (eval-mode arithmetic). Parameters stay as they are, so the state dict
  // is unchanged; UnfoldBatchNorm() returns to the plain path.
  void FoldBatchNorm();
  void UnfoldBatchNorm();

  // See BatchNormOverride; an empty function restores BatchNorm2d.
  void SetBatchNormOverride(BatchNormOverride override_fn);

  // Casts the weights (plain and folded) to `dtype` and, when
  // `channels_last`, stores 4-D weights in channels-last memory format.
  // Inference only: do it after FoldBatchNorm().
  void ConvertForInference(torch::Dtype dtype, bool channels_last);

 private:
  Resample resample_;
  bool activation_;
  torch::nn::Conv2d conv2d_{nullptr};
  torch::nn::BatchNorm2d batch_norm_{nullptr};  // Held by the `norm` child.
  BatchNormOverride batch_norm_override_;
  torch::Tensor folded_weight_, folded_bias_;  // Defined only when folded.
};
TORCH_MODULE(ConvLayer);

// shortcut(x) + conv2(conv1(x)); conv1 up-samples (for kUp), conv2
// down-samples (for kDown). The shortcut is identity only when there is no
// resampling and the channel counts match; otherwise a biased ConvLayer
// with the block's resampling and no norm or activation.
class ResidualBlockImpl : public torch::nn::Module {
 public:
  ResidualBlockImpl(int64_t in_ch, int64_t out_ch, Resample resample);

  torch::Tensor forward(torch::Tensor x);

 private:
  ConvLayer shortcut_func_{nullptr};  // Null for the identity shortcut.
  ConvLayer conv1_{nullptr};
  ConvLayer conv2_{nullptr};
};
TORCH_MODULE(ResidualBlock);

class FaceParsingNetImpl : public torch::nn::Module {
 public:
  // REQUIRES: config.Validate().ok().
  explicit FaceParsingNetImpl(const NetConfig& config = NetConfig());

  // x: [N, 3, H, W] RGB in [-1, 1], H and W multiples of 2^down_steps.
  // Returns (parsing logits [N, parsing_ch, H', W'], image [N, 3, H', W']),
  // H' = H * 2^(up_steps - down_steps).
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor x);

  // Folds every BatchNorm into its conv for faster inference (see
  // ConvLayerImpl::FoldBatchNorm). REQUIRES: eval mode, weights loaded.
  void FoldBatchNorm();
  void UnfoldBatchNorm();

  // Sets `override_fn` on every layer with BatchNorm (see
  // BatchNormOverride); an empty function restores BatchNorm2d.
  void SetBatchNormOverride(const BatchNormOverride& override_fn);

  // Casts every parameter, buffer and folded weight to `dtype`, and 4-D
  // weights to channels-last memory format when asked (see
  // ConvLayerImpl::ConvertForInference). REQUIRES: eval mode.
  void ConvertForInference(torch::Dtype dtype, bool channels_last);

  const NetConfig& config() const { return config_; }

 private:
  NetConfig config_;
  torch::nn::Sequential encoder_{nullptr};
  torch::nn::Sequential body_{nullptr};
  torch::nn::Sequential decoder_{nullptr};
  ConvLayer out_img_conv_{nullptr};
  ConvLayer out_mask_conv_{nullptr};
};
TORCH_MODULE(FaceParsingNet);

}  // namespace facet

#endif  // FACET_CORE_MODEL_FACE_PARSING_NET_H_
