#include "core/onednn/blocked_kernels.h"

#include <algorithm>
#include <cmath>

namespace facet {
namespace onednn {
namespace {

// Reflection of index i into [0, size) for a 1-pixel pad (i in [-1, size]).
inline int64_t Reflect(int64_t i, int64_t size) {
  if (i < 0) return -i;
  if (i >= size) return 2 * size - 2 - i;
  return i;
}

template <typename T>
inline T FromFloat(float v);
template <>
inline float FromFloat<float>(float v) { return v; }
template <>
inline bf16_t FromFloat<bf16_t>(float v) { return FloatToBf16(v); }

template <typename T>
inline float ToFloat(T v);
template <>
inline float ToFloat<float>(float v) { return v; }
template <>
inline float ToFloat<bf16_t>(bf16_t v) { return Bf16ToFloat(v); }

template <typename T>
inline T Leaky(T v) {
  const float f = ToFloat<T>(v);
  return f > 0.0f ? v : FromFloat<T>(f * 0.2f);
}

// Copies one pixel's chunk of B channels (applying LeakyReLU(0.2) when
// kLeaky); B is a compile-time constant in the common cases so the copy
// becomes a few vector moves. B = 0: runtime `b`.
template <typename T, int B, bool kLeaky>
inline void CopyChunk(const T* s, T* d, int64_t b) {
  const int64_t n = B > 0 ? B : b;
  for (int64_t i = 0; i < n; ++i) d[i] = kLeaky ? Leaky(s[i]) : s[i];
}

template <typename T, int B, bool kLeaky>
void PadRows(const ActLayout& s, const T* in, const ActLayout& d, T* out,
             bool upsample) {
  constexpr auto Copy = CopyChunk<T, B, kLeaky>;
  const int64_t b = s.block;
  const int64_t uh = upsample ? s.h * 2 : s.h, uw = upsample ? s.w * 2 : s.w;
  const bool dense = s.sw == b && d.sw == b;
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t n = 0; n < d.n; ++n) {
    for (int64_t k = 0; k < d.chunks; ++k) {
      for (int64_t oy = 0; oy < d.h; ++oy) {
        const int64_t uy = Reflect(oy - 1, uh);
        const int64_t sy = upsample ? uy / 2 : uy;
        const T* srow = in + n * s.sn + k * s.sc + sy * s.sh;
        T* drow = out + n * d.sn + k * d.sc + oy * d.sh;
        if (!upsample) {
          Copy(srow + 1 * s.sw, drow, b);
          if (dense && !kLeaky) {
            std::memcpy(drow + d.sw, srow, s.w * b * sizeof(T));
          } else if (dense) {
            CopyChunk<T, 0, kLeaky>(srow, drow + d.sw, s.w * b);
          } else {
            for (int64_t x = 0; x < s.w; ++x) Copy(srow + x * s.sw, drow + (x + 1) * d.sw, b);
          }
          Copy(srow + (s.w - 2) * s.sw, drow + (s.w + 1) * d.sw, b);
        } else {
          Copy(srow, drow, b);  // Column -1 reflects to 1, i.e. source 0.
          for (int64_t x = 0; x < s.w; ++x) {
            const T* sp = srow + x * s.sw;
            Copy(sp, drow + (2 * x + 1) * d.sw, b);
            Copy(sp, drow + (2 * x + 2) * d.sw, b);
          }
          // Column uw reflects to uw - 2, i.e. source w - 1.
          Copy(srow + (s.w - 1) * s.sw, drow + (uw + 1) * d.sw, b);
        }
      }
    }
  }
}

// Channels moved together when converting between layouts: the smaller
// block (16 between nChw16c and nhwc), or 0 when the layouts do not nest.
inline int64_t CommonChunk(const ActLayout& a, const ActLayout& b) {
  const int64_t g = std::min(a.block, b.block);
  return g > 0 && a.block % g == 0 && b.block % g == 0 ? g : 0;
}

// Pad between layouts (REQUIRES CommonChunk(s, d) == G, or G == 0 and
// runtime `g`). Parallel over the destination's rows; within a row, pixels
// then chunks when the destination keeps more channels together (writes
// stay contiguous), else one chunk's row at a time.
template <typename T, int G, bool kLeaky>
void PadConvertRows(const ActLayout& s, const T* in, const ActLayout& d, T* out, bool upsample,
                    int64_t g) {
  constexpr auto Copy = CopyChunk<T, G, kLeaky>;
  const int64_t uh = upsample ? s.h * 2 : s.h, uw = upsample ? s.w * 2 : s.w;
  const int64_t chunks = (s.c + g - 1) / g;
  std::vector<int64_t> s_chunk(chunks), d_chunk(chunks);
  for (int64_t k = 0; k < chunks; ++k) {
    s_chunk[k] = s.ChannelOffset(k * g);
    d_chunk[k] = d.ChannelOffset(k * g);
  }
  if (d.block >= s.block) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < d.n; ++n) {
      for (int64_t oy = 0; oy < d.h; ++oy) {
        const int64_t uy = Reflect(oy - 1, uh), sy = upsample ? uy / 2 : uy;
        const T* srow = in + n * s.sn + sy * s.sh;
        T* drow = out + n * d.sn + oy * d.sh;
        for (int64_t ox = 0; ox < d.w; ++ox) {
          const int64_t ux = Reflect(ox - 1, uw), sx = upsample ? ux / 2 : ux;
          const T* sp = srow + sx * s.sw;
          T* dp = drow + ox * d.sw;
          for (int64_t k = 0; k < chunks; ++k) Copy(sp + s_chunk[k], dp + d_chunk[k], g);
        }
      }
    }
    return;
  }
#pragma omp parallel for collapse(3) schedule(static)
  for (int64_t n = 0; n < d.n; ++n) {
    for (int64_t k = 0; k < chunks; ++k) {
      for (int64_t oy = 0; oy < d.h; ++oy) {
        const int64_t uy = Reflect(oy - 1, uh), sy = upsample ? uy / 2 : uy;
        const T* srow = in + n * s.sn + sy * s.sh + s_chunk[k];
        T* drow = out + n * d.sn + oy * d.sh + d_chunk[k];
        for (int64_t ox = 0; ox < d.w; ++ox) {
          const int64_t ux = Reflect(ox - 1, uw), sx = upsample ? ux / 2 : ux;
          Copy(srow + sx * s.sw, drow + ox * d.sw, g);
        }
      }
    }
  }
}

template <typename T, bool kLeaky>
void PadConvert(const ActLayout& src, const T* in, const ActLayout& dst, T* out,
                bool upsample) {
  const int64_t g = CommonChunk(src, dst);
  switch (g) {
    case 16: return PadConvertRows<T, 16, kLeaky>(src, in, dst, out, upsample, g);
    case 8: return PadConvertRows<T, 8, kLeaky>(src, in, dst, out, upsample, g);
    default: return PadConvertRows<T, 0, kLeaky>(src, in, dst, out, upsample, g > 0 ? g : 1);
  }
}

inline bool SameLayout(const ActLayout& a, const ActLayout& b) {
  return a.block == b.block && a.chunks == b.chunks && a.sw == a.block && b.sw == b.block;
}

template <typename T, bool kLeaky>
void PadDispatch(const ActLayout& src, const T* in, const ActLayout& dst, T* out,
                 bool upsample) {
  switch (src.block) {
    case 16: return PadRows<T, 16, kLeaky>(src, in, dst, out, upsample);
    case 8: return PadRows<T, 8, kLeaky>(src, in, dst, out, upsample);
    case 4: return PadRows<T, 4, kLeaky>(src, in, dst, out, upsample);
    case 1: return PadRows<T, 1, kLeaky>(src, in, dst, out, upsample);
    default: return PadRows<T, 0, kLeaky>(src, in, dst, out, upsample);
  }
}

constexpr float kRoundMagic = 12582912.0f;  // 1.5 * 2^23.

// Quantizing pad: like PadConvertRows with G = CommonChunk(s, d) (0:
// runtime `g`), each value leaky-ReLU'd (kLeaky), scaled, rounded to
// nearest even and saturated to s8. Parallel over destination rows.
template <int G, bool kLeaky>
void QuantizePadRows(const ActLayout& s, const float* in, const ActLayout& d,
                     int8_t* out, bool upsample, float scale, int64_t g) {
  const int64_t n_ch = G > 0 ? G : g;
  const int64_t uh = upsample ? s.h * 2 : s.h, uw = upsample ? s.w * 2 : s.w;
  const int64_t chunks = (s.c + n_ch - 1) / n_ch;
  std::vector<int64_t> s_chunk(chunks), d_chunk(chunks);
  for (int64_t k = 0; k < chunks; ++k) {
    s_chunk[k] = s.ChannelOffset(k * n_ch);
    d_chunk[k] = d.ChannelOffset(k * n_ch);
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < d.n; ++n) {
    for (int64_t oy = 0; oy < d.h; ++oy) {
      const int64_t uy = Reflect(oy - 1, uh), sy = upsample ? uy / 2 : uy;
      const float* srow = in + n * s.sn + sy * s.sh;
      int8_t* drow = out + n * d.sn + oy * d.sh;
      for (int64_t ox = 0; ox < d.w; ++ox) {
        const int64_t ux = Reflect(ox - 1, uw), sx = upsample ? ux / 2 : ux;
        const float* sp = srow + sx * s.sw;
        int8_t* dp = drow + ox * d.sw;
        for (int64_t k = 0; k < chunks; ++k) {
          const float* a = sp + s_chunk[k];
          int8_t* b = dp + d_chunk[k];
          for (int64_t i = 0; i < n_ch; ++i) {
            float v = a[i];
            if (kLeaky) v = v > 0.0f ? v : v * 0.2f;
            v = std::min(std::max(v * scale, -128.0f), 127.0f);
            // Round to nearest even without a library call (vectorizes):
            // adding 1.5 * 2^23 leaves no fraction bits for |v| < 2^22.
            v = (v + kRoundMagic) - kRoundMagic;
            b[i] = static_cast<int8_t>(static_cast<int32_t>(v));
          }
        }
      }
    }
  }
}

template <bool kLeaky>
void QuantizePadDispatch(const ActLayout& s, const float* in,
                         const ActLayout& d, int8_t* out, bool upsample,
                         float scale) {
  int64_t g = CommonChunk(s, d);
  // A chunk may not run past the logical channels of a plain (nhwc) side:
  // only blocked layouts have zero padding behind the last channel.
  if (g == 0 || (s.c % g != 0 && (s.chunks == 1 || d.chunks == 1))) g = 1;
  switch (g) {
    case 16:
      return QuantizePadRows<16, kLeaky>(s, in, d, out, upsample, scale, g);
    case 8:
      return QuantizePadRows<8, kLeaky>(s, in, d, out, upsample, scale, g);
    default:
      return QuantizePadRows<0, kLeaky>(s, in, d, out, upsample, scale, g);
  }
}

}  // namespace

void QuantizePadKernel(const ActLayout& src, const float* in,
                       const ActLayout& dst, int8_t* out, bool upsample,
                       bool leaky_relu, float scale) {
  if (leaky_relu)
    return QuantizePadDispatch<true>(src, in, dst, out, upsample, scale);
  QuantizePadDispatch<false>(src, in, dst, out, upsample, scale);
}

template <typename T>
void InputKernel(const std::vector<RgbImageView>& batch, const ActLayout& dst,
                 T* out) {
  float lut[256];
  for (int v = 0; v < 256; ++v) lut[v] = static_cast<float>(v) / 255.0f * 2.0f - 1.0f;
  const int64_t h = dst.h - 2, w = dst.w - 2;
  const int64_t ch[3] = {dst.ChannelOffset(0), dst.ChannelOffset(1), dst.ChannelOffset(2)};
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < dst.n; ++n) {
    for (int64_t oy = 0; oy < dst.h; ++oy) {
      const uint8_t* row = batch[n].data + Reflect(oy - 1, h) * w * 3;
      T* drow = out + n * dst.sn + oy * dst.sh;
      for (int64_t ox = 0; ox < dst.w; ++ox) {
        const uint8_t* px = row + Reflect(ox - 1, w) * 3;
        T* d = drow + ox * dst.sw;
        for (int64_t c = 0; c < 3; ++c) d[ch[c]] = FromFloat<T>(lut[px[c]]);
      }
    }
  }
}

template <typename T>
void PadKernel(const ActLayout& src, const T* in, const ActLayout& dst, T* out,
               bool upsample, bool leaky_relu) {
  if (!SameLayout(src, dst)) {
    if (leaky_relu) return PadConvert<T, true>(src, in, dst, out, upsample);
    return PadConvert<T, false>(src, in, dst, out, upsample);
  }
  if (leaky_relu) return PadDispatch<T, true>(src, in, dst, out, upsample);
  PadDispatch<T, false>(src, in, dst, out, upsample);
}

template <typename T>
void ConvertKernel(const ActLayout& src, const T* in, const ActLayout& dst, T* out, bool add) {
  const int64_t g = std::max<int64_t>(CommonChunk(src, dst), 1);
  const int64_t chunks = (src.c + g - 1) / g;
  std::vector<int64_t> s_chunk(chunks), d_chunk(chunks);
  for (int64_t k = 0; k < chunks; ++k) {
    s_chunk[k] = src.ChannelOffset(k * g);
    d_chunk[k] = dst.ChannelOffset(k * g);
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < dst.n; ++n) {
    for (int64_t y = 0; y < dst.h; ++y) {
      for (int64_t x = 0; x < dst.w; ++x) {
        for (int64_t k = 0; k < chunks; ++k) {
          const T* s = in + n * src.sn + y * src.sh + x * src.sw + s_chunk[k];
          T* d = out + n * dst.sn + y * dst.sh + x * dst.sw + d_chunk[k];
          const int64_t m = std::min(g, src.c - k * g);
          for (int64_t i = 0; i < m; ++i) {
            d[i] = add ? FromFloat<T>(ToFloat<T>(d[i]) + ToFloat<T>(s[i])) : s[i];
          }
        }
      }
    }
  }
}

template <typename T>
void CopyKernel(const T* in, T* out, int64_t count) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) out[i] = in[i];
}

template <typename T>
void AddKernel(const T* in, T* out, int64_t count) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) {
    out[i] = FromFloat<T>(ToFloat<T>(out[i]) + ToFloat<T>(in[i]));
  }
}

void OutputKernel(const ActLayout& heads, const float* in, int64_t parsing_ch,
                  const ParseOptions& options, std::vector<ParseResult>* results) {
  const int64_t h = heads.h, w = heads.w, plane = h * w;
  std::vector<int64_t> ch(parsing_ch + 3);
  for (int64_t c = 0; c < parsing_ch + 3; ++c) ch[c] = heads.ChannelOffset(c);
  const int64_t* co = ch.data();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < heads.n; ++n) {
    for (int64_t y = 0; y < h; ++y) {
      ParseResult& r = (*results)[n];
      for (int64_t x = 0; x < w; ++x) {
        const int64_t p = y * w + x;
        const float* px = in + n * heads.sn + y * heads.sh + x * heads.sw;
        int64_t best = 0;
        float best_v = px[co[0]];
        for (int64_t c = 1; c < parsing_ch; ++c) {
          const float v = px[co[c]];
          if (v > best_v) {
            best_v = v;
            best = c;
          }
        }
        r.labels[p] = static_cast<uint8_t>(best);
        if (options.want_restored) {
          for (int64_t k = 0; k < 3; ++k) {
            r.restored[p * 3 + k] = ImageValueToByte(px[co[parsing_ch + k]]);
          }
        }
        if (options.want_raw) {
          for (int64_t c = 0; c < parsing_ch; ++c) {
            r.logits[c * plane + p] = px[co[c]];
          }
          for (int64_t k = 0; k < 3; ++k) {
            r.image[k * plane + p] = px[co[parsing_ch + k]];
          }
        }
      }
    }
  }
}

template void InputKernel<float>(const std::vector<RgbImageView>&, const ActLayout&, float*);
template void InputKernel<bf16_t>(const std::vector<RgbImageView>&, const ActLayout&, bf16_t*);
template void PadKernel<float>(const ActLayout&, const float*, const ActLayout&, float*, bool,
                               bool);
template void PadKernel<bf16_t>(const ActLayout&, const bf16_t*, const ActLayout&, bf16_t*,
                                bool, bool);
template void ConvertKernel<float>(const ActLayout&, const float*, const ActLayout&, float*,
                                   bool);
template void ConvertKernel<bf16_t>(const ActLayout&, const bf16_t*, const ActLayout&, bf16_t*,
                                    bool);
template void CopyKernel<float>(const float*, float*, int64_t);
template void CopyKernel<bf16_t>(const bf16_t*, bf16_t*, int64_t);
template void AddKernel<float>(const float*, float*, int64_t);
template void AddKernel<bf16_t>(const bf16_t*, bf16_t*, int64_t);

}  // namespace onednn
}  // namespace facet
