#include "core/onednn/fpn_layers.h"

#include <cmath>
#include <cstring>
#include <utility>

namespace facet {
namespace onednn {
namespace {

constexpr double kBatchNormEps = 1e-5;

// Element i of a floating-point tensor (F32, F64, F16 or BF16), as double.
double ElementAt(const RawTensor& t, int64_t i) {
  const uint8_t* p = t.data.data();
  switch (t.dtype) {
    case DType::kFloat64: {
      double v;
      std::memcpy(&v, p + i * 8, 8);
      return v;
    }
    case DType::kBFloat16: {
      uint16_t h;
      std::memcpy(&h, p + i * 2, 2);
      const uint32_t bits = uint32_t{h} << 16;
      float v;
      std::memcpy(&v, &bits, 4);
      return v;
    }
    case DType::kFloat16: {
      uint16_t h;
      std::memcpy(&h, p + i * 2, 2);
      const int sign = (h >> 15) ? -1 : 1;
      const int exp = (h >> 10) & 0x1f;
      const int mant = h & 0x3ff;
      if (exp == 0) return sign * std::ldexp(mant, -24);
      if (exp == 31) return mant ? NAN : sign * INFINITY;
      return sign * std::ldexp(mant + 1024, exp - 25);
    }
    default: {
      float v;
      std::memcpy(&v, p + i * 4, 4);
      return v;
    }
  }
}

std::vector<double> ToDoubles(const RawTensor& t) {
  std::vector<double> out(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) out[i] = ElementAt(t, i);
  return out;
}

// The ConvLayer at `prefix` with its BatchNorm (if any) folded in.
FpnConv FoldConvLayer(const RawTensorMap& weights, const std::string& prefix,
                      bool batch_norm) {
  FpnConv conv;
  conv.name = prefix;
  const RawTensor& w = weights.at(prefix + ".conv2d.weight");
  conv.out_ch = w.shape[0];
  conv.in_ch = w.shape[1];
  std::vector<double> wd = ToDoubles(w);
  std::vector<double> bias(conv.out_ch, 0.0), scale(conv.out_ch, 1.0);
  if (!batch_norm) {
    bias = ToDoubles(weights.at(prefix + ".conv2d.bias"));
  } else {
    const std::string bn = prefix + ".norm.norm.";
    std::vector<double> gamma = ToDoubles(weights.at(bn + "weight"));
    std::vector<double> beta = ToDoubles(weights.at(bn + "bias"));
    std::vector<double> mean = ToDoubles(weights.at(bn + "running_mean"));
    std::vector<double> var = ToDoubles(weights.at(bn + "running_var"));
    for (int64_t o = 0; o < conv.out_ch; ++o) {
      scale[o] = gamma[o] / std::sqrt(var[o] + kBatchNormEps);
      bias[o] = beta[o] + (0.0 - mean[o]) * scale[o];
    }
  }
  const int64_t per_out = conv.in_ch * 9;
  conv.weight.resize(wd.size());
  for (int64_t o = 0; o < conv.out_ch; ++o) {
    for (int64_t k = 0; k < per_out; ++k) {
      conv.weight[o * per_out + k] = static_cast<float>(wd[o * per_out + k] * scale[o]);
    }
  }
  conv.bias.assign(bias.begin(), bias.end());
  return conv;
}

enum class Resample { kNone, kDown, kUp };

void AddBlockConvs(const RawTensorMap& weights, const std::string& prefix,
                   int64_t in_ch, int64_t out_ch, Resample resample,
                   std::vector<FpnConv>* convs) {
  int partner = -1;
  if (resample != Resample::kNone || in_ch != out_ch) {
    partner = static_cast<int>(convs->size());
    FpnConv shortcut = FoldConvLayer(weights, prefix + ".shortcut_func", false);
    shortcut.stride = resample == Resample::kDown ? 2 : 1;
    shortcut.upsample = resample == Resample::kUp;
    convs->push_back(std::move(shortcut));
  }
  FpnConv conv1 = FoldConvLayer(weights, prefix + ".conv1", true);
  conv1.upsample = resample == Resample::kUp;
  conv1.leaky_relu = true;
  convs->push_back(std::move(conv1));
  FpnConv conv2 = FoldConvLayer(weights, prefix + ".conv2", true);
  conv2.stride = resample == Resample::kDown ? 2 : 1;
  conv2.sum = true;
  conv2.sum_partner = partner;
  convs->push_back(std::move(conv2));
}

// The channel counts of every block, as FaceParsingNetImpl computes them.
struct BlockSpec {
  std::string prefix;
  int64_t in_ch, out_ch;
  Resample resample;
};

std::vector<BlockSpec> Blocks(const NetConfig& c, std::vector<BlockSpec>* body,
                              std::vector<BlockSpec>* decoder) {
  const int64_t b = c.base_ch, d = c.down_steps(), u = c.up_steps();
  std::vector<BlockSpec> encoder;
  for (int64_t i = 0; i < d; ++i) {
    encoder.push_back({"encoder." + std::to_string(i + 1), c.Clip(b << i),
                       c.Clip(b << (i + 1)), Resample::kDown});
  }
  const int64_t body_ch = c.Clip(b << d);
  for (int64_t i = 0; i < c.res_depth; ++i) {
    body->push_back({"body." + std::to_string(i), body_ch, body_ch, Resample::kNone});
  }
  for (int64_t j = 0; j < u; ++j) {
    const int64_t next = d - j - 1 >= 0 ? (b << (d - j - 1)) : 0;
    decoder->push_back({"decoder." + std::to_string(j), c.Clip(b << (d - j)),
                        c.Clip(next), Resample::kUp});
  }
  return encoder;
}

bool HasShortcutConv(const BlockSpec& block) {
  return block.resample != Resample::kNone || block.in_ch != block.out_ch;
}

}  // namespace

ModelResult<std::vector<FpnConv>> BuildFpnConvs(const NetConfig& config,
                                                const RawTensorMap& weights) {
  ModelStatus valid = config.Validate();
  if (!valid.ok()) return valid;
  ModelStatus shapes = CheckStateDictShapes(config, weights);
  if (!shapes.ok()) return shapes;
  std::vector<BlockSpec> body, decoder;
  std::vector<BlockSpec> encoder = Blocks(config, &body, &decoder);
  std::vector<FpnConv> convs;
  convs.push_back(FoldConvLayer(weights, "encoder.0", false));
  for (const auto* group : {&encoder, &body, &decoder}) {
    for (const BlockSpec& block : *group) {
      AddBlockConvs(weights, block.prefix, block.in_ch, block.out_ch,
                    block.resample, &convs);
    }
  }
  // One convolution for both heads: parsing channels first, then the image.
  FpnConv mask = FoldConvLayer(weights, "out_mask_conv", false);
  FpnConv img = FoldConvLayer(weights, "out_img_conv", false);
  FpnConv heads;
  heads.name = "heads";
  heads.in_ch = mask.in_ch;
  heads.out_ch = mask.out_ch + img.out_ch;
  heads.weight = std::move(mask.weight);
  heads.weight.insert(heads.weight.end(), img.weight.begin(), img.weight.end());
  heads.bias = std::move(mask.bias);
  heads.bias.insert(heads.bias.end(), img.bias.begin(), img.bias.end());
  convs.push_back(std::move(heads));
  return convs;
}

namespace {

// Appends the steps of one block reading `*cur`; afterwards `*cur` holds the
// block's output and `*other` is free.
void AddBlockSteps(const BlockSpec& block, const std::vector<int>& layouts, int* conv_index,
                   TensorRef* cur, TensorRef* other, std::vector<FpnStep>* steps) {
  const bool up = block.resample == Resample::kUp;
  const bool down = block.resample == Resample::kDown;
  const int64_t h = up ? cur->height * 2 : cur->height;
  const int64_t w = up ? cur->width * 2 : cur->width;
  const int64_t oh = down ? h / 2 : h, ow = down ? w / 2 : w;
  const bool shortcut = HasShortcutConv(block);
  const int sc = shortcut ? (*conv_index)++ : -1;
  const int c1 = (*conv_index)++, c2 = (*conv_index)++;
  const TensorRef pad_a{Slot::kPadA, block.in_ch, h + 2, w + 2, layouts[c1]};
  const TensorRef mid{Slot::kMid, block.out_ch, h, w, layouts[c1]};
  const TensorRef pad_b{Slot::kPadB, block.out_ch, h + 2, w + 2, layouts[c2]};
  const TensorRef out{shortcut ? other->slot : cur->slot, block.out_ch, oh, ow, layouts[c2]};

  steps->push_back({FpnStep::Kind::kPad, block.prefix + ".pad", -1, up, *cur, pad_a});
  if (shortcut) {
    TensorRef sc_src = pad_a;
    if (layouts[sc] != layouts[c1]) {
      sc_src = {Slot::kPadS, block.in_ch, h + 2, w + 2, layouts[sc]};
      steps->push_back({FpnStep::Kind::kPad, block.prefix + ".shortcut_func.pad", -1, up,
                        *cur, sc_src});
    }
    steps->push_back({FpnStep::Kind::kConv, block.prefix + ".shortcut_func", sc, false, sc_src,
                      out});
  }
  steps->push_back({FpnStep::Kind::kConv, block.prefix + ".conv1", c1, false, pad_a, mid});
  steps->push_back({FpnStep::Kind::kPad, block.prefix + ".conv1.pad", -1, false, mid, pad_b});
  steps->push_back({FpnStep::Kind::kConv, block.prefix + ".conv2", c2, false, pad_b, out});
  if (shortcut) std::swap(*cur, *other);
  *cur = out;
}

}  // namespace

std::vector<FpnStep> BuildFpnProgram(const NetConfig& config,
                                     const std::vector<FpnConv>& convs,
                                     int64_t height, int64_t width,
                                     const std::vector<int>& conv_layouts) {
  std::vector<int> layouts = conv_layouts;
  layouts.resize(convs.size(), 0);
  std::vector<BlockSpec> body, decoder;
  std::vector<BlockSpec> encoder = Blocks(config, &body, &decoder);
  std::vector<FpnStep> steps;
  const TensorRef input{Slot::kInput, 3, height + 2, width + 2, layouts[0]};
  steps.push_back({FpnStep::Kind::kInput, "input", -1, false, {}, input});
  TensorRef cur{Slot::kAct0, convs[0].out_ch, height, width, layouts[0]};
  TensorRef other{Slot::kAct1, 0, 0, 0, 0};
  steps.push_back({FpnStep::Kind::kConv, "encoder.0", 0, false, input, cur});
  int conv_index = 1;
  for (const BlockSpec& block : encoder) {
    AddBlockSteps(block, layouts, &conv_index, &cur, &other, &steps);
  }
  // feat stays in `feat`; the body runs in place on a copy of it, in the
  // layout of the body's summing convolutions.
  const TensorRef feat = cur;
  const int body_layout = body.empty() ? feat.layout : layouts[conv_index + 1];
  TensorRef x{other.slot, feat.channels, feat.height, feat.width, body_layout};
  steps.push_back({FpnStep::Kind::kCopy, "body.copy", -1, false, feat, x});
  TensorRef spare = feat;
  for (const BlockSpec& block : body) {
    AddBlockSteps(block, layouts, &conv_index, &x, &spare, &steps);
  }
  steps.push_back({FpnStep::Kind::kAdd, "body.skip_add", -1, false, feat, x});
  cur = x;
  other = feat;
  for (const BlockSpec& block : decoder) {
    AddBlockSteps(block, layouts, &conv_index, &cur, &other, &steps);
  }
  const int heads_layout = layouts[conv_index];
  const TensorRef pad_a{Slot::kPadA, cur.channels, cur.height + 2, cur.width + 2, heads_layout};
  steps.push_back({FpnStep::Kind::kPad, "heads.pad", -1, false, cur, pad_a});
  const TensorRef heads{Slot::kHeads, convs.back().out_ch, cur.height, cur.width, heads_layout};
  steps.push_back({FpnStep::Kind::kConv, "heads", conv_index, false, pad_a, heads});
  steps.push_back({FpnStep::Kind::kOutput, "output", -1, false, heads, {}});
  return steps;
}

}  // namespace onednn
}  // namespace facet
