#include "core/model/face_parsing_net.h"

#include <string>

namespace facet {
namespace {

namespace F = torch::nn::functional;

constexpr double kLeakySlope = 0.2;
constexpr double kBatchNormEps = 1e-5;
constexpr double kBatchNormMomentum = 0.1;

// Upstream wraps BatchNorm2d in a NormLayer module whose child is `norm`;
// this empty holder reproduces the `norm.norm.*` state-dict names.
class NormHolderImpl : public torch::nn::Module {
 public:
  explicit NormHolderImpl(torch::nn::BatchNorm2d bn) {
    register_module("norm", bn);
  }
};
TORCH_MODULE(NormHolder);

// 1-pixel reflection padding. LibTorch 1.13's CPU reflection_pad2d has no
// bfloat16 kernel, so reduced precision on the CPU pads by concatenating the
// mirrored rows and columns (the same values, in any dtype).
torch::Tensor ReflectPad1(const torch::Tensor& x) {
  if (!x.is_cpu() || x.scalar_type() == torch::kFloat32 ||
      x.scalar_type() == torch::kFloat64) {
    return F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReflect));
  }
  const int64_t h = x.size(2), w = x.size(3);
  torch::Tensor rows = torch::cat({x.narrow(2, 1, 1), x, x.narrow(2, h - 2, 1)}, 2);
  return torch::cat({rows.narrow(3, 1, 1), rows, rows.narrow(3, w - 2, 1)}, 3)
      .contiguous(x.suggest_memory_format());
}

}  // namespace

ConvLayerImpl::ConvLayerImpl(int64_t in_ch, int64_t out_ch, Resample resample,
                             bool batch_norm, bool activation)
    : resample_(resample), activation_(activation) {
  conv2d_ = register_module(
      "conv2d",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(in_ch, out_ch, 3)
                            .stride(resample == Resample::kDown ? 2 : 1)
                            .padding(0)
                            .bias(!batch_norm)));
  if (batch_norm) {
    batch_norm_ = torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out_ch)
                                             .eps(kBatchNormEps)
                                             .momentum(kBatchNormMomentum));
    register_module("norm", NormHolder(batch_norm_));
  }
}

torch::Tensor ConvLayerImpl::forward(torch::Tensor x) {
  if (resample_ == Resample::kUp) {
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .scale_factor(std::vector<double>{2.0, 2.0})
                              .mode(torch::kNearest));
  }
  x = ReflectPad1(x);
  if (folded_weight_.defined()) {
    x = F::conv2d(x, folded_weight_,
                  F::Conv2dFuncOptions()
                      .bias(folded_bias_)
                      .stride(resample_ == Resample::kDown ? 2 : 1));
  } else {
    x = conv2d_(x);
    if (batch_norm_) {
      x = batch_norm_override_ && is_training()
              ? batch_norm_override_(x, *batch_norm_)
              : batch_norm_(x);
    }
  }
  if (activation_) x = F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(kLeakySlope));
  return x;
}

void ConvLayerImpl::FoldBatchNorm() {
  torch::NoGradGuard no_grad;
  torch::Tensor w = conv2d_->weight.detach();
  if (!batch_norm_) {
    folded_weight_ = w.clone();
    folded_bias_ = conv2d_->bias.detach().clone();
    return;
  }
  // y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta
  //   = conv_{w * s}(x) + (beta - mean * s),  s = gamma / sqrt(var + eps).
  torch::Tensor scale = batch_norm_->weight.detach() /
                        torch::sqrt(batch_norm_->running_var + kBatchNormEps);
  folded_weight_ = w * scale.reshape({-1, 1, 1, 1});
  folded_bias_ = batch_norm_->bias.detach() - batch_norm_->running_mean * scale;
}

void ConvLayerImpl::SetBatchNormOverride(BatchNormOverride override_fn) {
  batch_norm_override_ = std::move(override_fn);
}

void ConvLayerImpl::UnfoldBatchNorm() {
  folded_weight_ = torch::Tensor();
  folded_bias_ = torch::Tensor();
}

void ConvLayerImpl::ConvertForInference(torch::Dtype dtype, bool channels_last) {
  torch::NoGradGuard no_grad;
  const auto format = channels_last ? torch::MemoryFormat::ChannelsLast
                                    : torch::MemoryFormat::Contiguous;
  conv2d_->weight.set_data(conv2d_->weight.to(dtype).contiguous(format));
  if (folded_weight_.defined()) {
    folded_weight_ = folded_weight_.to(dtype).contiguous(format);
    folded_bias_ = folded_bias_.to(dtype);
  }
}

ResidualBlockImpl::ResidualBlockImpl(int64_t in_ch, int64_t out_ch,
                                     Resample resample) {
  if (resample != Resample::kNone || in_ch != out_ch) {
    shortcut_func_ = register_module(
        "shortcut_func", ConvLayer(in_ch, out_ch, resample,
                                   /*batch_norm=*/false, /*activation=*/false));
  }
  conv1_ = register_module(
      "conv1", ConvLayer(in_ch, out_ch,
                         resample == Resample::kUp ? Resample::kUp
                                                   : Resample::kNone,
                         /*batch_norm=*/true, /*activation=*/true));
  conv2_ = register_module(
      "conv2", ConvLayer(out_ch, out_ch,
                         resample == Resample::kDown ? Resample::kDown
                                                     : Resample::kNone,
                         /*batch_norm=*/true, /*activation=*/false));
}

torch::Tensor ResidualBlockImpl::forward(torch::Tensor x) {
  torch::Tensor identity = shortcut_func_ ? shortcut_func_(x) : x;
  return identity + conv2_(conv1_(x));
}

FaceParsingNetImpl::FaceParsingNetImpl(const NetConfig& config)
    : config_(config) {
  const int64_t b = config.base_ch;
  const int64_t d = config.down_steps();
  const int64_t u = config.up_steps();
  torch::nn::Sequential encoder;
  encoder->push_back(ConvLayer(3, b, Resample::kNone, /*batch_norm=*/false,
                               /*activation=*/false));
  for (int64_t i = 0; i < d; ++i) {
    encoder->push_back(ResidualBlock(config.Clip(b << i),
                                     config.Clip(b << (i + 1)),
                                     Resample::kDown));
  }
  torch::nn::Sequential body;
  const int64_t body_ch = config.Clip(b << d);
  for (int64_t i = 0; i < config.res_depth; ++i) {
    body->push_back(ResidualBlock(body_ch, body_ch, Resample::kNone));
  }
  torch::nn::Sequential decoder;
  for (int64_t j = 0; j < u; ++j) {
    const int64_t next = d - j - 1 >= 0 ? (b << (d - j - 1)) : 0;
    decoder->push_back(ResidualBlock(config.Clip(b << (d - j)),
                                     config.Clip(next), Resample::kUp));
  }
  const int64_t head_ch = d - u >= 0 ? config.Clip(b << (d - u)) : config.Clip(0);
  encoder_ = register_module("encoder", encoder);
  body_ = register_module("body", body);
  decoder_ = register_module("decoder", decoder);
  out_img_conv_ = register_module(
      "out_img_conv",
      ConvLayer(head_ch, 3, Resample::kNone, /*batch_norm=*/false,
                /*activation=*/false));
  out_mask_conv_ = register_module(
      "out_mask_conv",
      ConvLayer(head_ch, config.parsing_ch, Resample::kNone,
                /*batch_norm=*/false, /*activation=*/false));
}

std::pair<torch::Tensor, torch::Tensor> FaceParsingNetImpl::forward(
    torch::Tensor x) {
  torch::Tensor feat = encoder_->forward(x);
  // An empty body (res_depth 0) is the identity, as nn.Sequential() is.
  torch::Tensor body = body_->size() ? body_->forward(feat) : feat;
  torch::Tensor y = decoder_->size() ? decoder_->forward(feat + body)
                                     : feat + body;
  return {out_mask_conv_(y), out_img_conv_(y)};
}

void FaceParsingNetImpl::FoldBatchNorm() {
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<ConvLayerImpl>()) conv->FoldBatchNorm();
  }
}

void FaceParsingNetImpl::ConvertForInference(torch::Dtype dtype,
                                             bool channels_last) {
  to(dtype);
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<ConvLayerImpl>()) {
      conv->ConvertForInference(dtype, channels_last);
    }
  }
}

void FaceParsingNetImpl::SetBatchNormOverride(
    const BatchNormOverride& override_fn) {
  for (const auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<ConvLayerImpl>())
      conv->SetBatchNormOverride(override_fn);
  }
}

void FaceParsingNetImpl::UnfoldBatchNorm() {
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<ConvLayerImpl>()) conv->UnfoldBatchNorm();
  }
}

}  // namespace facet
