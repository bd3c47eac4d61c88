// The oneDNN engine's own kernels: everything of the FPN's forward that is
// not a convolution, each one OpenMP-parallel pass over the activation
// layout the convolutions use (ActLayout: nChw16c, nChw8c, nhwc or nchw).
//
//   InputKernel   RGB bytes -> x/255*2-1, reflection padded by 1 px;
//   PadKernel     reflection pad by 1 px, optionally after nearest x2
//                 upsampling and/or LeakyReLU(0.2), in one pass;
//   CopyKernel, AddKernel   whole-buffer copy and in-place add;
//   ConvertKernel  the same between two layouts;
//   OutputKernel  labels (argmax, ties to the lowest index), restored RGB
//                 (clip((x+1)*127.5, 0, 255) truncated) and raw outputs.
//
// Element types: float and bf16 (uint16_t holding the upper half of a float,
// rounded to nearest even). Padded channels of a blocked layout are copied
// as they are (zeros), so the buffers keep oneDNN's zero-padding invariant.
// Thread safety: pure functions of their arguments.
#ifndef FACET_CORE_ONEDNN_BLOCKED_KERNELS_H_
#define FACET_CORE_ONEDNN_BLOCKED_KERNELS_H_

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/model/face_engine.h"

namespace facet {
namespace onednn {

// Where element (n, c, y, x) of a 4-D activation lives: channels come in
// chunks of `block` contiguous elements (the inner block of nChw16c, all C
// of nhwc, 1 for nchw); offset = n*sn + (c/block)*sc + y*sh + x*sw +
// c%block, in elements.
struct ActLayout {
  int64_t n = 0, c = 0, h = 0, w = 0;  // Logical dims.
  int64_t block = 1;   // Channels per contiguous chunk.
  int64_t chunks = 0;  // Padded channels / block.
  int64_t sn = 0, sc = 0, sh = 0, sw = 0;
  int64_t Offset(int64_t in, int64_t ic, int64_t y, int64_t x) const {
    return in * sn + ChannelOffset(ic) + y * sh + x * sw;
  }
  // The channel's part of Offset; kernels hoist it out of pixel loops
  // (block is a run-time value, so this divides).
  int64_t ChannelOffset(int64_t ic) const { return (ic / block) * sc + ic % block; }
};

using bf16_t = uint16_t;

inline bf16_t FloatToBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0;  // NaN.
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<bf16_t>(bits >> 16);
}

inline float Bf16ToFloat(bf16_t h) {
  const uint32_t bits = uint32_t{h} << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Writes the batch, scaled to [-1, 1] and reflection padded, into `dst`
// (3 channels, (H+2) x (W+2)). REQUIRES: batch validated, sides >= 2.
template <typename T>
void InputKernel(const std::vector<RgbImageView>& batch, const ActLayout& dst,
                 T* out);

// dst = reflection_pad_1(up ? nearest_x2(f(src)) : f(src)), f = LeakyReLU(0.2)
// when `leaky_relu` (for a convolution that could not fuse it), else the
// identity. The layouts may differ (e.g. nChw16c to nhwc): the kernel
// converts on the way. REQUIRES: dst is (src.h*(up?2:1)+2) x
// (src.w*(up?2:1)+2) with src.c channels, src sides >= 2.
template <typename T>
void PadKernel(const ActLayout& src, const T* in, const ActLayout& dst, T* out,
               bool upsample, bool leaky_relu);

// PadKernel from float to s8 (int8 convolutions' inputs): each value of
// the padded (upsampled, leaky) tensor becomes round(v * scale) (to nearest
// even), saturated to [-128, 127]. Same REQUIREs as PadKernel.
void QuantizePadKernel(const ActLayout& src, const float* in,
                       const ActLayout& dst, int8_t* out, bool upsample,
                       bool leaky_relu, float scale);

// out = in, or out += in (`add`), between two layouts of one shape.
template <typename T>
void ConvertKernel(const ActLayout& src, const T* in, const ActLayout& dst, T* out, bool add);

// out = in, or out += in, over `count` elements (same layout).
template <typename T>
void CopyKernel(const T* in, T* out, int64_t count);
template <typename T>
void AddKernel(const T* in, T* out, int64_t count);

// Fills results[n] (preallocated ParseResult per image) from the heads'
// float output: channels [0, parsing_ch) are the parsing logits, the next 3
// the image.
void OutputKernel(const ActLayout& heads, const float* in, int64_t parsing_ch,
                  const ParseOptions& options, std::vector<ParseResult>* results);

}  // namespace onednn
}  // namespace facet

#endif  // FACET_CORE_ONEDNN_BLOCKED_KERNELS_H_
