#include "core/image/image_header.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/image/image_test_util.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using image_test::MakePattern;
using image_test::OpenCvEncode;

// Byte-string builders for hand-made headers.
std::string Be16(uint32_t v) { return {char(v >> 8), char(v)}; }
std::string Be32(uint32_t v) { return Be16(v >> 16) + Be16(v); }
std::string Le16(uint32_t v) { return {char(v), char(v >> 8)}; }
std::string Le24(uint32_t v) { return {char(v), char(v >> 8), char(v >> 16)}; }
std::string Le32(uint32_t v) { return Le16(v) + Le16(v >> 16); }
std::string Zeros(int n) { return std::string(n, '\0'); }

std::string Png(uint32_t width, uint32_t height) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + Be32(13) + "IHDR" + Be32(width) +
         Be32(height) + "\x08\x02" + Zeros(3) + Be32(0);
}

std::string JpegSegment(uint8_t marker, const std::string& payload) {
  return std::string{'\xff', char(marker)} + Be16(payload.size() + 2) + payload;
}

std::string JpegSof(uint8_t marker, uint32_t width, uint32_t height) {
  return JpegSegment(marker,
                     "\x08" + Be16(height) + Be16(width) + "\x03" + Zeros(9));
}

const std::string kSoi = "\xff\xd8";
const std::string kApp0 =
    JpegSegment(0xE0, std::string("JFIF\0", 5) + Zeros(9));

std::string Bmp(uint32_t dib_size, const std::string& sizes) {
  return "BM" + Le32(1000) + Zeros(4) + Le32(54) + Le32(dib_size) + sizes +
         Zeros(24);
}

std::string Webp(const std::string& fourcc, const std::string& payload) {
  return "RIFF" + Le32(payload.size() + 12) + "WEBP" + fourcc +
         Le32(payload.size()) + payload;
}

std::string TiffEntry(bool big, uint32_t tag, uint32_t type, uint32_t value) {
  auto u16 = big ? Be16 : Le16;
  auto u32 = big ? Be32 : Le32;
  const std::string field = type == 3 ? u16(value) + Zeros(2) : u32(value);
  return u16(tag) + u16(type) + u32(1) + field;
}

std::string Tiff(bool big, const std::vector<std::string>& entries) {
  auto u16 = big ? Be16 : Le16;
  auto u32 = big ? Be32 : Le32;
  std::string out = (big ? std::string("MM\0*", 4) : std::string("II*\0", 4)) +
                    u32(8) + u16(entries.size());
  for (const std::string& e : entries) out += e;
  return out + u32(0);
}

struct GoodCase {
  const char* name;
  std::string bytes;
  ImageFormat format;
  int64_t width, height;
};

TEST(ImageHeaderTest, ReadsDeclaredSize) {
  const std::vector<GoodCase> cases = {
      {"png", Png(640, 480), ImageFormat::kPng, 640, 480},
      {"png huge", Png(100000, 100000), ImageFormat::kPng, 100000, 100000},
      {"jpeg sof0", kSoi + kApp0 + JpegSof(0xC0, 300, 200), ImageFormat::kJpeg,
       300, 200},
      {"jpeg progressive sof2 after dht and fill bytes",
       kSoi + kApp0 + JpegSegment(0xC4, Zeros(20)) + "\xff\xff" +
           JpegSof(0xC2, 17, 4000),
       ImageFormat::kJpeg, 17, 4000},
      {"jpeg skips JPG and DAC",
       kSoi + JpegSegment(0xC8, Zeros(4)) + JpegSegment(0xCC, Zeros(2)) +
           JpegSof(0xCF, 9, 8),
       ImageFormat::kJpeg, 9, 8},
      {"jpeg standalone marker", kSoi + "\xff\xd0" + JpegSof(0xC1, 65535, 1),
       ImageFormat::kJpeg, 65535, 1},
      {"bmp info header", Bmp(40, Le32(123) + Le32(45)), ImageFormat::kBmp, 123,
       45},
      {"bmp top-down", Bmp(124, Le32(7) + Le32(uint32_t(-300))),
       ImageFormat::kBmp, 7, 300},
      {"bmp core header", Bmp(12, Le16(640) + Le16(480)), ImageFormat::kBmp,
       640, 480},
      {"webp lossy",
       Webp("VP8 ", std::string("\x10\x02\x00\x9d\x01\x2a", 6) + Le16(320) +
                        Le16(0xC000 | 240) + Zeros(4)),
       ImageFormat::kWebp, 320, 240},
      {"webp lossless",
       Webp("VP8L", "\x2f" + Le32((99 - 1) | (uint32_t{77 - 1} << 14))),
       ImageFormat::kWebp, 99, 77},
      {"webp extended", Webp("VP8X", Zeros(4) + Le24(16383) + Le24(0)),
       ImageFormat::kWebp, 16384, 1},
      {"tiff little-endian short",
       Tiff(false, {TiffEntry(false, 254, 4, 0), TiffEntry(false, 256, 3, 321),
                    TiffEntry(false, 257, 3, 123)}),
       ImageFormat::kTiff, 321, 123},
      {"tiff big-endian long",
       Tiff(true, {TiffEntry(true, 256, 4, 70000), TiffEntry(true, 257, 3, 5)}),
       ImageFormat::kTiff, 70000, 5},
  };
  for (const GoodCase& c : cases) {
    absl::StatusOr<ImageHeader> header = ReadImageHeader(c.bytes);
    ASSERT_TRUE(header.ok()) << c.name << ": " << header.status();
    EXPECT_EQ(header->format, c.format) << c.name;
    EXPECT_EQ(header->width, c.width) << c.name;
    EXPECT_EQ(header->height, c.height) << c.name;
  }
}

struct BadCase {
  const char* name;
  std::string bytes;
  const char* message;  // Expected substring of the error.
};

TEST(ImageHeaderTest, RejectsBadHeadersWithReason) {
  const std::string png = Png(10, 10);
  const std::vector<BadCase> cases = {
      {"empty", "", "empty"},
      {"gif", "GIF89a\x01\x00\x01\x00",
       "unknown image format (first bytes: 47 49 46"},
      {"text", "hello", "expected JPEG, PNG, WebP, BMP or TIFF"},
      {"png truncated", png.substr(0, 20), "PNG header is truncated"},
      {"png chunk not ihdr", png.substr(0, 12) + "IDAT" + png.substr(16),
       "first chunk is not IHDR"},
      {"png zero width", Png(0, 10), "declares 0x10"},
      {"png over 2^31", Png(0x80000000u, 1), "2^31-1"},
      {"jpeg only soi", kSoi, "JPEG header is truncated"},
      {"jpeg scan first", kSoi + JpegSegment(0xDA, Zeros(10)),
       "start-of-scan marker at offset 2"},
      {"jpeg eoi first", kSoi + "\xff\xd9", "end-of-image marker"},
      {"jpeg garbage", kSoi + "abc", "expected a marker at offset 2"},
      {"jpeg short length", kSoi + "\xff\xe0" + Be16(1), "length 1 < 2"},
      {"jpeg segment runs off", kSoi + "\xff\xe0" + Be16(500) + Zeros(10),
       "JPEG header is truncated"},
      {"jpeg truncated sof", kSoi + JpegSof(0xC0, 10, 10).substr(0, 6),
       "JPEG header is truncated"},
      {"jpeg dnl height", kSoi + JpegSof(0xC0, 10, 0), "DNL"},
      {"bmp truncated", "BM" + Zeros(10), "BMP header is truncated"},
      {"bmp unknown dib", Bmp(5, Zeros(8)), "DIB header size 5"},
      {"bmp negative width", Bmp(40, Le32(uint32_t(-5)) + Le32(5)),
       "declares -5x5"},
      {"webp truncated", Webp("VP8 ", "\x10\x02"), "WebP header is truncated"},
      {"webp not key frame",
       Webp("VP8 ",
            std::string("\x11\x02\x00\x9d\x01\x2a", 6) + Le16(3) + Le16(3)),
       "key frame"},
      {"webp bad vp8l", Webp("VP8L", "\x2e" + Le32(0)), "VP8L signature"},
      {"webp unknown chunk", Webp("ALPH", Zeros(10)), "not VP8, VP8L or VP8X"},
      {"tiff ifd past end", std::string("II*\0", 4) + Le32(4000) + Zeros(8),
       "TIFF header is truncated"},
      {"tiff ifd entries cut",
       Tiff(false, {TiffEntry(false, 256, 3, 1), TiffEntry(false, 257, 3, 1)})
           .substr(0, 20),
       "TIFF header is truncated"},
      {"tiff no length", Tiff(false, {TiffEntry(false, 256, 3, 1)}),
       "lacks ImageLength (257)"},
      {"tiff ascii width", Tiff(true, {TiffEntry(true, 256, 2, 1)}),
       "tag 256 has type 2"},
      {"tiff zero height",
       Tiff(false, {TiffEntry(false, 256, 3, 4), TiffEntry(false, 257, 4, 0)}),
       "declares 4x0"},
      {"bigtiff", std::string("II+\0", 4) + Zeros(12), "BigTIFF"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<ImageHeader> header = ReadImageHeader(c.bytes);
    ASSERT_FALSE(header.ok()) << c.name;
    EXPECT_EQ(header.status().code(), absl::StatusCode::kInvalidArgument)
        << c.name;
    EXPECT_NE(header.status().message().find(c.message), std::string::npos)
        << c.name << ": got \"" << header.status().message()
        << "\", expected it to contain \"" << c.message << "\"";
  }
}

struct EncodedCase {
  const char* ext;
  std::vector<int> params;
  ImageFormat format;
};

const std::vector<EncodedCase>& EncodedCases() {
  static const auto* cases = new std::vector<EncodedCase>{
      {".png", {}, ImageFormat::kPng},
      {".jpg", {}, ImageFormat::kJpeg},
      {".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}, ImageFormat::kJpeg},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}, ImageFormat::kWebp},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 80}, ImageFormat::kWebp},
      {".bmp", {}, ImageFormat::kBmp},
      {".tiff", {}, ImageFormat::kTiff},
  };
  return *cases;
}

// Files written by real encoders parse to their true size.
TEST(ImageHeaderTest, ReadsFilesFromOpenCvEncoders) {
  const cv::Mat image = MakePattern(37, 23);
  for (const EncodedCase& c : EncodedCases()) {
    absl::StatusOr<ImageHeader> header =
        ReadImageHeader(OpenCvEncode(image, c.ext, c.params));
    ASSERT_TRUE(header.ok()) << c.ext << ": " << header.status();
    EXPECT_EQ(header->format, c.format) << c.ext;
    EXPECT_EQ(header->width, 37) << c.ext;
    EXPECT_EQ(header->height, 23) << c.ext;
  }
}

// Every prefix of a real file either fails with InvalidArgument or, once the
// header is complete, reports the true size; never anything else.
TEST(ImageHeaderTest, EveryPrefixFailsCleanlyOrIsRight) {
  const cv::Mat image = MakePattern(37, 23);
  for (const EncodedCase& c : EncodedCases()) {
    const std::string bytes = OpenCvEncode(image, c.ext, c.params);
    int parsed = 0;
    for (size_t n = 0; n <= bytes.size(); ++n) {
      // A copy so that reading past the prefix would be caught by sanitizers.
      const std::string prefix = bytes.substr(0, n);
      absl::StatusOr<ImageHeader> header = ReadImageHeader(prefix);
      if (header.ok()) {
        ++parsed;
        EXPECT_EQ(header->width, 37) << c.ext << " prefix " << n;
        EXPECT_EQ(header->height, 23) << c.ext << " prefix " << n;
      } else {
        EXPECT_EQ(header.status().code(), absl::StatusCode::kInvalidArgument)
            << c.ext << " prefix " << n;
      }
    }
    EXPECT_GT(parsed, 0) << c.ext;
    EXPECT_FALSE(ReadImageHeader(bytes.substr(0, 8)).ok()) << c.ext;
  }
}

// Random bytes, bare or behind each format's magic, never crash and fail
// only with InvalidArgument; a success reports positive dimensions.
TEST(ImageHeaderTest, RandomBytesNeverCrash) {
  const std::vector<std::string> magics = {"",
                                           std::string("\x89PNG\r\n\x1a\n", 8),
                                           kSoi,
                                           "BM",
                                           std::string("RIFF\0\0\0\0WEBP", 12),
                                           std::string("II*\0", 4),
                                           std::string("MM\0*", 4)};
  std::mt19937 rng(20261129);
  for (const std::string& magic : magics) {
    for (int i = 0; i < 500; ++i) {
      std::string bytes = magic;
      const int n = rng() % 64;
      for (int j = 0; j < n; ++j) bytes += static_cast<char>(rng());
      absl::StatusOr<ImageHeader> header = ReadImageHeader(bytes);
      if (header.ok()) {
        EXPECT_GE(header->width, 1);
        EXPECT_GE(header->height, 1);
      } else {
        EXPECT_EQ(header.status().code(), absl::StatusCode::kInvalidArgument);
      }
    }
  }
}

TEST(ImageHeaderTest, FormatNames) {
  EXPECT_STREQ(ImageFormatName(ImageFormat::kJpeg), "JPEG");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kPng), "PNG");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kWebp), "WebP");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kBmp), "BMP");
  EXPECT_STREQ(ImageFormatName(ImageFormat::kTiff), "TIFF");
}

}  // namespace
}  // namespace facet
