// The FPN as the oneDNN engine runs it: its convolutions in forward order
// with BatchNorm folded in (FpnConv), and the forward as a short program of
// steps over a few reusable buffers (FpnStep). Standard library only; the
// engine (onednn_face_engine.cc) turns convolutions into oneDNN primitives
// and the other steps into its own kernels (blocked_kernels.h).
//
// Program of one ResidualBlock with a shortcut convolution (down/up blocks):
//   pad(x -> PAD_A, upsample for up blocks)
//   [pad(x -> PAD_S) when the shortcut runs in another layout than conv1]
//   shortcut: PAD_A (or PAD_S) -> OUT (bias)
//   conv1:    PAD_A -> MID            (folded BN, LeakyReLU 0.2)
//   pad(MID -> PAD_B)
//   conv2:    PAD_B -> OUT += ...     (folded BN, sum post-op)
// With an identity shortcut (body blocks) conv2 sums straight into x's
// buffer, which then is the block's output. The long skip feat + body(feat)
// runs the body on a copy of feat and adds feat once at the end; the two
// heads are one convolution with parsing_ch + 3 outputs (parsing first).
#ifndef FACET_CORE_ONEDNN_FPN_LAYERS_H_
#define FACET_CORE_ONEDNN_FPN_LAYERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model_status.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"

namespace facet {
namespace onednn {

// One 3x3 convolution (padding 0 on an already padded input).
struct FpnConv {
  std::string name;           // "encoder.1.conv1", "heads", ...
  int64_t in_ch = 0;
  int64_t out_ch = 0;
  int64_t stride = 1;         // 2 for the down-sampling convolutions.
  bool upsample = false;      // Its input is upsampled x2 before padding.
  bool leaky_relu = false;    // LeakyReLU(0.2) after the bias.
  bool sum = false;           // Adds into the destination's contents.
  // For a summing convolution: the convolution that wrote the destination
  // first (the block's shortcut), or -1 when the destination is the block's
  // own input (identity shortcut). Both must run in one layout.
  int sum_partner = -1;
  std::vector<float> weight;  // [out_ch, in_ch, 3, 3], BatchNorm folded.
  std::vector<float> bias;    // [out_ch], BatchNorm folded.
  // int8 (set by the engine, not BuildFpnConvs): the input is quantized to
  // s8 as round(x * input_scale), the weights per output channel as
  // round(w * weight_scale[o]); the s32 sums are scaled back to float.
  bool int8 = false;
  float input_scale = 1.0f;
  std::vector<float> weight_scale;  // [out_ch] when int8.
};

// The network's convolutions in forward order, weights converted to float
// and BatchNorm folded in double precision (w' = w*s, b' = beta + (b -
// mean)*s, s = gamma / sqrt(var + 1e-5)). The heads come last, as one
// convolution. InvalidArgument (CheckStateDictShapes' message) for weights
// that do not match `config`.
ModelResult<std::vector<FpnConv>> BuildFpnConvs(const NetConfig& config,
                                                const RawTensorMap& weights);

// Buffers the program uses; each is sized for its largest use.
enum class Slot {
  kInput,  // encoder.0's padded 3-channel source (the conv's own layout).
  kPadA,   // A block's padded (and upsampled) input.
  kPadB,   // conv1's padded output.
  kPadS,   // The shortcut's padded input, when its layout differs from conv1's.
  kMid,    // conv1's output.
  kAct0,   // Block outputs, ping-pong.
  kAct1,
  kHeads,  // The heads' output (parsing_ch + 3 channels, float).
};
constexpr int kNumSlots = 8;

// A tensor a step reads or writes: buffer, logical shape (per image) and
// layout (an index into the engine's list of layouts).
struct TensorRef {
  Slot slot = Slot::kInput;
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int layout = 0;
};

struct FpnStep {
  enum class Kind {
    kInput,   // RGB bytes -> x/255*2-1, reflection padded, into dst.
    kPad,     // Reflection pad 1 px of src (after x2 nearest if upsample).
    kConv,    // FpnConv `conv`: src -> dst.
    kCopy,    // dst = src (converting the layout if they differ).
    kAdd,     // dst += src (idem).
    kOutput,  // Labels, restored image and raw outputs from src.
  };
  Kind kind = Kind::kPad;
  std::string name;      // For profiles: the module name or "pad", ...
  int conv = -1;         // Index into the convolutions (kConv).
  bool upsample = false; // kPad.
  TensorRef src;
  TensorRef dst;
};

// The forward for input images of height x width, convolution i running in
// layout conv_layouts[i] (all 0 when empty); every tensor a convolution
// reads or writes is in its layout, and the pad, copy and add steps convert.
// REQUIRES: `convs` from BuildFpnConvs(config, ...); sides multiples of
// 2^down_steps; a summing convolution in the layout of its sum_partner, and
// all identity-block ones (sum_partner -1) in one layout.
std::vector<FpnStep> BuildFpnProgram(const NetConfig& config,
                                     const std::vector<FpnConv>& convs,
                                     int64_t height, int64_t width,
                                     const std::vector<int>& conv_layouts = {});

}  // namespace onednn
}  // namespace facet

#endif  // FACET_CORE_ONEDNN_FPN_LAYERS_H_
