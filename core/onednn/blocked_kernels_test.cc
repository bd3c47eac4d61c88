// The engine's own kernels against naive definitions, in channel-blocked,
// channels-last and channels-first layouts.
#include "core/onednn/blocked_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace facet {
namespace onednn {
namespace {

// A dense layout of n x c x h x w with `block` channels per chunk; block 0
// means channels-last (all channels in one chunk).
ActLayout Dense(int64_t n, int64_t c, int64_t h, int64_t w, int64_t block) {
  ActLayout l{n, c, h, w};
  l.block = block == 0 ? c : block;
  l.chunks = (c + l.block - 1) / l.block;
  l.sw = l.block;
  l.sh = w * l.sw;
  l.sc = h * l.sh;
  l.sn = l.chunks * l.sc;
  return l;
}

int64_t Size(const ActLayout& l) { return l.n * l.sn; }

int64_t Reflect(int64_t i, int64_t size) {
  return i < 0 ? -i : (i >= size ? 2 * size - 2 - i : i);
}

struct PadCase {
  int64_t block, c;
  bool upsample, leaky;
  int64_t dst_block = -1;  // -1: as the source.
};

class PadKernelTest : public ::testing::TestWithParam<PadCase> {};

TEST_P(PadKernelTest, MatchesNaiveDefinition) {
  const PadCase p = GetParam();
  const int64_t n = 2, h = 5, w = 6;
  const ActLayout src = Dense(n, p.c, h, w, p.block);
  const int64_t uh = p.upsample ? 2 * h : h, uw = p.upsample ? 2 * w : w;
  const ActLayout dst = Dense(n, p.c, uh + 2, uw + 2, p.dst_block < 0 ? p.block : p.dst_block);
  std::vector<float> in(Size(src), 0.0f), out(Size(dst), -7.0f);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < p.c; ++c)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) in[src.Offset(b, c, y, x)] = u(rng);
  PadKernel<float>(src, in.data(), dst, out.data(), p.upsample, p.leaky);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t c = 0; c < p.c; ++c) {
      for (int64_t y = 0; y < dst.h; ++y) {
        for (int64_t x = 0; x < dst.w; ++x) {
          int64_t sy = Reflect(y - 1, uh), sx = Reflect(x - 1, uw);
          if (p.upsample) sy /= 2, sx /= 2;
          float v = in[src.Offset(b, c, sy, sx)];
          if (p.leaky && v < 0) v *= 0.2f;
          ASSERT_EQ(out[dst.Offset(b, c, y, x)], v) << b << " " << c << " " << y << " " << x;
        }
      }
    }
  }
  // Padded channels of a blocked layout stay zero.
  if (p.block > 0 && p.c % p.block && p.dst_block < 0) {
    EXPECT_EQ(out[dst.Offset(0, p.c, 0, 0)], 0.0f);
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, PadKernelTest,
                         ::testing::Values(PadCase{16, 24, false, false},
                                           PadCase{16, 24, true, false},
                                           PadCase{16, 8, true, true},
                                           PadCase{8, 16, false, true},
                                           PadCase{0, 5, true, false},
                                           PadCase{1, 3, false, true},
                                           // Converting: blocked <-> channels-last.
                                           PadCase{16, 32, false, true, 0},
                                           PadCase{0, 32, true, false, 16},
                                           PadCase{8, 16, true, true, 16},
                                           PadCase{16, 8, false, false, 0},
                                           PadCase{0, 24, false, false, 16}));

class QuantizePadKernelTest : public ::testing::TestWithParam<PadCase> {};

// The quantizing pad equals the float pad followed by round-to-nearest-even
// of v * scale, saturated to s8, at every logical element.
TEST_P(QuantizePadKernelTest, MatchesFloatPadThenRounding) {
  const PadCase p = GetParam();
  const int64_t n = 2, h = 5, w = 6;
  const float scale = 40.0f;  // |v| <= 4 covers [-160, 160]: some saturate.
  const ActLayout src = Dense(n, p.c, h, w, p.block);
  const int64_t uh = p.upsample ? 2 * h : h, uw = p.upsample ? 2 * w : w;
  const ActLayout dst =
      Dense(n, p.c, uh + 2, uw + 2, p.dst_block < 0 ? p.block : p.dst_block);
  std::vector<float> in(Size(src), 0.0f), ref(Size(dst), 0.0f);
  std::vector<int8_t> out(Size(dst), 99);
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(-4, 4);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < p.c; ++c)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) in[src.Offset(b, c, y, x)] = u(rng);
  in[src.Offset(0, 0, 0, 0)] = 2.5f / scale;   // Ties round to even: 2.
  in[src.Offset(0, 0, 0, 1)] = -3.5f / scale;  // -4.
  PadKernel<float>(src, in.data(), dst, ref.data(), p.upsample, p.leaky);
  QuantizePadKernel(src, in.data(), dst, out.data(), p.upsample, p.leaky,
                    scale);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t c = 0; c < p.c; ++c) {
      for (int64_t y = 0; y < dst.h; ++y) {
        for (int64_t x = 0; x < dst.w; ++x) {
          const float v = std::nearbyint(std::min(
              std::max(ref[dst.Offset(b, c, y, x)] * scale, -128.0f), 127.0f));
          ASSERT_EQ(out[dst.Offset(b, c, y, x)], static_cast<int8_t>(v))
              << b << " " << c << " " << y << " " << x;
        }
      }
    }
  }
  if (!p.upsample && !p.leaky) {
    EXPECT_EQ(out[dst.Offset(0, 0, 1, 1)], 2);
    EXPECT_EQ(out[dst.Offset(0, 0, 1, 2)], -4);
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, QuantizePadKernelTest,
                         ::testing::Values(PadCase{16, 32, false, false},
                                           PadCase{16, 24, true, true},
                                           PadCase{0, 32, false, true},
                                           PadCase{0, 5, true, false},
                                           PadCase{16, 32, true, true, 0},
                                           PadCase{0, 32, false, false, 16},
                                           PadCase{8, 16, true, false, 16},
                                           PadCase{0, 3, false, true, 16}));

TEST(BlockedKernelsTest, ConvertCopiesAndAddsBetweenLayouts) {
  const ActLayout a = Dense(2, 32, 3, 4, 16), b = Dense(2, 32, 3, 4, 0);
  std::vector<float> x(Size(a)), y(Size(b), 1.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  ConvertKernel<float>(a, x.data(), b, y.data(), /*add=*/true);
  std::vector<float> z(Size(a), 0.0f);
  ConvertKernel<float>(b, y.data(), a, z.data(), /*add=*/false);
  for (size_t i = 0; i < z.size(); ++i) ASSERT_EQ(z[i], x[i] + 1.0f) << i;
}

TEST(BlockedKernelsTest, InputScalesAndPads) {
  const int64_t h = 3, w = 4;
  std::vector<uint8_t> rgb(h * w * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 20);
  const ActLayout dst = Dense(1, 3, h + 2, w + 2, 16);
  std::vector<float> out(Size(dst), 0.0f);
  InputKernel<float>({{rgb.data(), h, w}}, dst, out.data());
  for (int64_t y = 0; y < h + 2; ++y)
    for (int64_t x = 0; x < w + 2; ++x)
      for (int64_t c = 0; c < 3; ++c) {
        const uint8_t v = rgb[(Reflect(y - 1, h) * w + Reflect(x - 1, w)) * 3 + c];
        EXPECT_EQ(out[dst.Offset(0, c, y, x)], v / 255.0f * 2.0f - 1.0f);
      }
}

TEST(BlockedKernelsTest, OutputArgmaxTiesToLowestAndTruncatesPixels) {
  const int64_t parsing = 4;
  const ActLayout heads = Dense(1, parsing + 3, 1, 2, 8);
  std::vector<float> in(Size(heads), 0.0f);
  // Pixel 0: channels 1 and 3 tie at the maximum; image (-1, 0, 1.5).
  in[heads.Offset(0, 1, 0, 0)] = 2.0f;
  in[heads.Offset(0, 3, 0, 0)] = 2.0f;
  in[heads.Offset(0, parsing + 0, 0, 0)] = -1.0f;
  in[heads.Offset(0, parsing + 1, 0, 0)] = 0.0f;
  in[heads.Offset(0, parsing + 2, 0, 0)] = 1.5f;
  // Pixel 1: all equal -> 0; image 0.999 -> 254.87 truncates to 254.
  in[heads.Offset(0, parsing + 0, 0, 1)] = 0.999f;
  std::vector<ParseResult> results(1);
  results[0].labels.resize(2);
  results[0].restored.resize(6);
  results[0].logits.resize(parsing * 2);
  results[0].image.resize(6);
  ParseOptions options;
  options.want_raw = true;
  OutputKernel(heads, in.data(), parsing, options, &results);
  EXPECT_EQ(results[0].labels, (std::vector<uint8_t>{1, 0}));
  EXPECT_EQ(results[0].restored, (std::vector<uint8_t>{0, 127, 255, 254, 127, 127}));
  EXPECT_EQ(results[0].logits[1 * 2 + 0], 2.0f);
  EXPECT_EQ(results[0].image[2 * 2 + 0], 1.5f);
}

TEST(BlockedKernelsTest, Bf16RoundsToNearestEven) {
  EXPECT_EQ(FloatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(1.0f + 1.0f / 256)), 1.0f);        // Tie -> even.
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(1.0f + 3.0f / 256)), 1.0f + 4.0f / 256);  // Tie -> even.
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(-2.5f)), -2.5f);
  std::vector<bf16_t> a = {FloatToBf16(1.5f)}, b = {FloatToBf16(2.25f)};
  AddKernel<bf16_t>(a.data(), b.data(), 1);
  EXPECT_EQ(Bf16ToFloat(b[0]), 3.75f);
}

}  // namespace
}  // namespace onednn
}  // namespace facet
