#include "core/image/image_decoder.h"

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/image/image_test_util.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using image_test::MakePattern;
using image_test::MakeRedBlue;
using image_test::MaxDiff;
using image_test::OpenCvEncode;
using image_test::RgbToBgr;

bool Contains(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

cv::Vec3b MeanRgb(const cv::Mat& rgb, const cv::Rect& area) {
  const cv::Scalar mean = cv::mean(rgb(area));
  return cv::Vec3b(cv::saturate_cast<uint8_t>(mean[0]),
                   cv::saturate_cast<uint8_t>(mean[1]),
                   cv::saturate_cast<uint8_t>(mean[2]));
}

// Checks that `rgb` is the 64x48 red/blue picture (see MakeRedBlue) within
// `tolerance` per channel, judged on the middle of each half.
void ExpectRedBlue(const cv::Mat& rgb, int tolerance, const std::string& what) {
  ASSERT_EQ(rgb.type(), CV_8UC3) << what;
  const int w = rgb.cols, h = rgb.rows;
  const cv::Vec3b left = MeanRgb(rgb, cv::Rect(w / 8, h / 4, w / 4, h / 2));
  const cv::Vec3b right =
      MeanRgb(rgb, cv::Rect(w / 2 + w / 8, h / 4, w / 4, h / 2));
  EXPECT_LE(cv::norm(left, cv::Vec3b(200, 30, 30), cv::NORM_INF), tolerance)
      << what << " left half " << left;
  EXPECT_LE(cv::norm(right, cv::Vec3b(30, 30, 200), cv::NORM_INF), tolerance)
      << what << " right half " << right;
}

TEST(DecodeImageTest, AstronautIsRgbNotBgr) {
  const std::string fixtures = testing::FixturesDirIfPresent();
  if (fixtures.empty()) GTEST_SKIP() << "shared fixtures folder not found";
  const std::string path = fixtures + "/astronaut.png";
  absl::StatusOr<cv::Mat> rgb = ReadImageFile(path, DecodeLimits());
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  EXPECT_EQ(rgb->cols, 512);
  EXPECT_EQ(rgb->rows, 512);
  ASSERT_EQ(rgb->type(), CV_8UC3);
  EXPECT_TRUE(rgb->isContinuous());

  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_EQ(bgr.size(), rgb->size());
  cv::Mat expected;
  cv::cvtColor(bgr, expected, cv::COLOR_BGR2RGB);
  EXPECT_EQ(MaxDiff(*rgb, expected), 0);
  // The check above means something only if red and blue differ.
  std::vector<cv::Mat> channels;
  cv::split(*rgb, channels);
  EXPECT_GT(cv::norm(channels[0], channels[2], cv::NORM_L1), 1e6);
}

struct LosslessCase {
  const char* ext;
  std::vector<int> params;
};

TEST(DecodeImageTest, LosslessFormatsDecodeExactly) {
  const std::vector<LosslessCase> cases = {
      {".png", {}},  {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}},   {".bmp", {}},
      {".tiff", {}}, {".tiff", {cv::IMWRITE_TIFF_COMPRESSION, 1}},
  };
  const cv::Mat rgb = MakePattern(45, 31);
  for (const LosslessCase& c : cases) {
    absl::StatusOr<cv::Mat> decoded = DecodeImage(
        OpenCvEncode(RgbToBgr(rgb), c.ext, c.params), DecodeLimits());
    ASSERT_TRUE(decoded.ok()) << c.ext << ": " << decoded.status();
    ASSERT_EQ(decoded->type(), CV_8UC3) << c.ext;
    ASSERT_EQ(decoded->size(), rgb.size()) << c.ext;
    EXPECT_EQ(MaxDiff(*decoded, rgb), 0) << c.ext;
  }
}

TEST(DecodeImageTest, LossyFormatsKeepColours) {
  const cv::Mat bgr = RgbToBgr(MakeRedBlue(64, 48));
  ExpectRedBlue(*DecodeImage(OpenCvEncode(bgr, ".jpg"), DecodeLimits()), 8,
                "jpeg");
  ExpectRedBlue(
      *DecodeImage(OpenCvEncode(bgr, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}),
                   DecodeLimits()),
      8, "progressive jpeg");
  ExpectRedBlue(
      *DecodeImage(OpenCvEncode(bgr, ".webp", {cv::IMWRITE_WEBP_QUALITY, 90}),
                   DecodeLimits()),
      8, "lossy webp");
}

TEST(DecodeImageTest, GrayBecomesThreeEqualChannels) {
  cv::Mat gray(20, 30, CV_8UC1);
  cv::randu(gray, 0, 256);
  absl::StatusOr<cv::Mat> rgb =
      DecodeImage(OpenCvEncode(gray, ".png"), DecodeLimits());
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  cv::Mat expected;
  cv::cvtColor(gray, expected, cv::COLOR_GRAY2RGB);
  EXPECT_EQ(MaxDiff(*rgb, expected), 0);
}

TEST(DecodeImageTest, AlphaIsDroppedNotComposited) {
  const cv::Mat rgb = MakePattern(16, 12);
  struct Case {
    const char* ext;
    std::vector<int> params;
    uint8_t alpha;  // Of the left half.
  };
  // libwebp's lossless encoder discards the colour of fully transparent
  // pixels, so WebP gets a translucent half instead.
  const std::vector<Case> cases = {
      {".png", {}, 0},
      {".tiff", {}, 0},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}, 60},
  };
  for (const Case& c : cases) {
    cv::Mat bgra;
    cv::cvtColor(RgbToBgr(rgb), bgra, cv::COLOR_BGR2BGRA);
    for (int y = 0; y < bgra.rows; ++y) {
      for (int x = 0; x < bgra.cols / 2; ++x) {
        bgra.at<cv::Vec4b>(y, x)[3] = c.alpha;
      }
    }
    absl::StatusOr<cv::Mat> decoded =
        DecodeImage(OpenCvEncode(bgra, c.ext, c.params), DecodeLimits());
    ASSERT_TRUE(decoded.ok()) << c.ext << ": " << decoded.status();
    ASSERT_EQ(decoded->type(), CV_8UC3) << c.ext;
    EXPECT_EQ(MaxDiff(*decoded, rgb), 0) << c.ext;
  }
}

TEST(DecodeImageTest, SixteenBitIsScaledToEightBit) {
  const cv::Mat rgb = MakePattern(10, 8);
  cv::Mat wide;
  RgbToBgr(rgb).convertTo(wide, CV_16UC3, 257.0);  // v -> v * 257: top byte v.
  cv::Mat gray8(8, 10, CV_8UC1), gray16;
  cv::randu(gray8, 0, 256);
  gray8.convertTo(gray16, CV_16UC1, 257.0);
  cv::Mat gray_rgb;
  cv::cvtColor(gray8, gray_rgb, cv::COLOR_GRAY2RGB);
  for (const char* ext : {".png", ".tiff"}) {
    absl::StatusOr<cv::Mat> color =
        DecodeImage(OpenCvEncode(wide, ext), DecodeLimits());
    ASSERT_TRUE(color.ok()) << ext << ": " << color.status();
    EXPECT_EQ(MaxDiff(*color, rgb), 0) << ext;
    absl::StatusOr<cv::Mat> gray =
        DecodeImage(OpenCvEncode(gray16, ext), DecodeLimits());
    ASSERT_TRUE(gray.ok()) << ext << ": " << gray.status();
    EXPECT_EQ(MaxDiff(*gray, gray_rgb), 0) << ext;
  }
}

// A top-down (negative height) 24-bit BMP written by hand: OpenCV's encoder
// only writes bottom-up ones.
TEST(DecodeImageTest, TopDownBmp) {
  const cv::Mat rgb = MakePattern(3, 2);
  const int stride = 12;  // 3 pixels * 3 bytes = 9, padded to 4.
  auto le32 = [](uint32_t v) {
    return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
  };
  std::string bmp =
      "BM" + le32(54 + stride * 2) + le32(0) + le32(54) + le32(40) + le32(3) +
      le32(uint32_t(-2)) + std::string("\x01\x00\x18\x00", 4) + le32(0) +
      le32(stride * 2) + le32(2835) + le32(2835) + le32(0) + le32(0);
  for (int y = 0; y < 2; ++y) {  // First row stored first.
    for (int x = 0; x < 3; ++x) {
      const cv::Vec3b p = rgb.at<cv::Vec3b>(y, x);
      bmp += std::string{char(p[2]), char(p[1]), char(p[0])};
    }
    bmp += std::string(stride - 9, '\0');
  }
  absl::StatusOr<cv::Mat> decoded = DecodeImage(bmp, DecodeLimits());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(MaxDiff(*decoded, rgb), 0);
}

TEST(DecodeImageTest, ExtremeShapes) {
  for (const cv::Size size :
       {cv::Size(1, 1), cv::Size(4000, 1), cv::Size(1, 4000)}) {
    const cv::Mat rgb = MakePattern(size.width, size.height);
    for (const char* ext : {".png", ".jpg"}) {
      absl::StatusOr<cv::Mat> decoded =
          DecodeImage(OpenCvEncode(RgbToBgr(rgb), ext), DecodeLimits());
      ASSERT_TRUE(decoded.ok()) << size << ext << ": " << decoded.status();
      EXPECT_EQ(decoded->size(), size) << ext;
      if (std::string(ext) == ".png") EXPECT_EQ(MaxDiff(*decoded, rgb), 0);
    }
  }
}

// Images only PIL can make, written by tests/python/make_image_fixtures.py.
class PilFixtureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new std::string(testing::MakeTempDirRemovedAtExit("facet_image_test"));
    const std::string command = "/usr/bin/python3 " + testing::SourceDir() +
                                "/tests/python/make_image_fixtures.py " +
                                *dir_ + " >/dev/null 2>&1";
    ok_ = std::system(command.c_str()) == 0;
  }
  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "/usr/bin/python3 with PIL is not available";
  }
  absl::StatusOr<cv::Mat> Read(const std::string& name) {
    return ReadImageFile(*dir_ + "/" + name, DecodeLimits());
  }
  static std::string* dir_;
  static bool ok_;
};
std::string* PilFixtureTest::dir_ = nullptr;
bool PilFixtureTest::ok_ = false;

TEST_F(PilFixtureTest, CmykJpeg) {
  absl::StatusOr<cv::Mat> rgb = Read("cmyk.jpg");
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  EXPECT_EQ(rgb->size(), cv::Size(64, 48));
  ExpectRedBlue(*rgb, 12, "cmyk jpeg");
}

TEST_F(PilFixtureTest, ProgressiveJpegAndPalettePng) {
  for (const char* name : {"progressive.jpg", "palette.png"}) {
    absl::StatusOr<cv::Mat> rgb = Read(name);
    ASSERT_TRUE(rgb.ok()) << name << ": " << rgb.status();
    EXPECT_EQ(rgb->size(), cv::Size(64, 48)) << name;
    ExpectRedBlue(*rgb, 8, name);
  }
}

TEST_F(PilFixtureTest, GrayAlphaPng) {
  absl::StatusOr<cv::Mat> rgb = Read("gray_alpha.png");
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  EXPECT_EQ(MaxDiff(*rgb, cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(100))), 0);
}

TEST_F(PilFixtureTest, ExifOrientationIsApplied) {
  absl::StatusOr<cv::Mat> rgb = Read("rotated.jpg");
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  // Stored 64x48 with orientation 6: displayed rotated 90 degrees clockwise,
  // so the left (red) half is now on top.
  ASSERT_EQ(rgb->size(), cv::Size(48, 64));
  cv::Mat upright;
  cv::rotate(*rgb, upright, cv::ROTATE_90_COUNTERCLOCKWISE);
  ExpectRedBlue(upright, 8, "rotated jpeg");
}

TEST(DecodeImageTest, ByteLimitNamesLimitAndSize) {
  const std::string png = OpenCvEncode(MakePattern(8, 8), ".png");
  DecodeLimits limits;
  limits.max_bytes = static_cast<int64_t>(png.size());
  EXPECT_TRUE(DecodeImage(png, limits).ok());
  limits.max_bytes = static_cast<int64_t>(png.size()) - 1;
  absl::StatusOr<cv::Mat> result = DecodeImage(png, limits);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      Contains(result.status(), "image is " + std::to_string(png.size()) +
                                    " bytes, over the limit --max_bytes=" +
                                    std::to_string(png.size() - 1)))
      << result.status();
}

TEST(DecodeImageTest, SideLimitNamesLimitAndSize) {
  const std::string png = OpenCvEncode(MakePattern(300, 10), ".png");
  DecodeLimits limits;
  limits.max_side = 300;
  EXPECT_TRUE(DecodeImage(png, limits).ok());
  limits.max_side = 299;
  absl::StatusOr<cv::Mat> result = DecodeImage(png, limits);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(result.status(),
                       "image is 300x10, a side of 300 pixels is over the "
                       "limit --max_side=299"))
      << result.status();
}

TEST(DecodeImageTest, PixelLimitNamesLimitAndSize) {
  const std::string png = OpenCvEncode(MakePattern(100, 50), ".png");
  DecodeLimits limits;
  limits.max_pixels = 5000;
  EXPECT_TRUE(DecodeImage(png, limits).ok());
  limits.max_pixels = 4999;
  absl::StatusOr<cv::Mat> result = DecodeImage(png, limits);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(result.status(),
                       "image is 100x50 = 5000 pixels, over the limit "
                       "--max_pixels=4999"))
      << result.status();
}

std::string PngHeaderOnly(uint32_t width, uint32_t height) {
  auto be32 = [](uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  return std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(width) +
         be32(height) + std::string("\x08\x02\0\0\0", 5) + be32(0);
}

// A 33-byte file claiming a huge canvas is refused by the limits, not by
// the decoder, which proves the check runs before decoding.
TEST(DecodeImageTest, LimitsAreCheckedBeforeDecoding) {
  absl::StatusOr<cv::Mat> result =
      DecodeImage(PngHeaderOnly(100000, 100000), DecodeLimits());
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(result.status(), "--max_side=8192")) << result.status();

  DecodeLimits limits;
  limits.max_side = 10000;
  result = DecodeImage(PngHeaderOnly(9000, 9000), limits);
  EXPECT_EQ(result.status().message(),
            "image is 9000x9000 = 81000000 pixels, over the limit "
            "--max_pixels=36000000");

  // Within the limits the same bytes reach the decoder, which fails.
  result = DecodeImage(PngHeaderOnly(100, 100), DecodeLimits());
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(result.status(), "could not decode the PNG data"))
      << result.status();
}

TEST(DecodeImageTest, EmptyUnknownAndUndecodable) {
  struct Case {
    std::string bytes;
    const char* message;
  };
  const std::string png = OpenCvEncode(MakePattern(8, 8), ".png");
  std::string corrupt = png;
  for (size_t i = 40; i < corrupt.size() - 12; ++i) corrupt[i] ^= 0x5a;
  const std::vector<Case> cases = {
      {"", "image data is empty"},
      {"GIF89a....", "unknown image format"},
      {"P6\n1 1\n255\n\x01\x02\x03", "unknown image format"},
      {corrupt, "could not decode the PNG data"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<cv::Mat> result = DecodeImage(c.bytes, DecodeLimits());
    ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_TRUE(Contains(result.status(), c.message)) << result.status();
  }
}

struct CodecCase {
  const char* ext;
  std::vector<int> params;
};

const std::vector<CodecCase>& AllCodecs() {
  static const auto* cases = new std::vector<CodecCase>{
      {".png", {}},
      {".jpg", {}},
      {".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 80}},
      {".bmp", {}},
      {".tiff", {}},
  };
  return *cases;
}

// Truncated files fail with InvalidArgument, including a JPEG cut inside
// its scan, which libjpeg alone would pad with gray and accept.
TEST(DecodeImageTest, TruncatedFilesAreRejected) {
  const cv::Mat bgr = RgbToBgr(MakePattern(64, 48));
  for (const CodecCase& c : AllCodecs()) {
    const std::string bytes = OpenCvEncode(bgr, c.ext, c.params);
    ASSERT_TRUE(DecodeImage(bytes, DecodeLimits()).ok()) << c.ext;
    for (size_t cut :
         {size_t{1}, size_t{8}, size_t{30}, bytes.size() / 4, bytes.size() / 2,
          bytes.size() * 3 / 4, bytes.size() - 2, bytes.size() - 1}) {
      absl::StatusOr<cv::Mat> result =
          DecodeImage(bytes.substr(0, cut), DecodeLimits());
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
          << c.ext << " cut at " << cut << " of " << bytes.size();
    }
  }
}

// Random bytes behind each format's magic, and valid files with random
// bytes flipped, never crash: each either fails with InvalidArgument or
// decodes to an RGB image within the limits.
TEST(DecodeImageTest, GarbageNeverCrashes) {
  std::mt19937 rng(42);
  DecodeLimits limits;
  limits.max_side = 512;
  auto check = [&](const std::string& bytes, const std::string& what) {
    absl::StatusOr<cv::Mat> result = DecodeImage(bytes, limits);
    if (result.ok()) {
      EXPECT_EQ(result->type(), CV_8UC3) << what;
      EXPECT_LE(result->cols, limits.max_side) << what;
      EXPECT_LE(result->rows, limits.max_side) << what;
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
          << what << ": " << result.status();
    }
  };
  const cv::Mat bgr = RgbToBgr(MakePattern(24, 16));
  for (const CodecCase& c : AllCodecs()) {
    const std::string bytes = OpenCvEncode(bgr, c.ext, c.params);
    for (int i = 0; i < 40; ++i) {
      std::string noise = bytes.substr(0, 4);
      const int n = 1 + rng() % 200;
      for (int j = 0; j < n; ++j) noise += static_cast<char>(rng());
      check(noise, std::string(c.ext) + " magic + noise");

      std::string mutated = bytes;
      const int flips = 1 + rng() % 4;
      for (int j = 0; j < flips; ++j) {
        mutated[rng() % mutated.size()] = static_cast<char>(rng());
      }
      check(mutated, std::string(c.ext) + " mutated");
    }
  }
}

TEST(ReadImageFileTest, ReadsAndNamesThePathInErrors) {
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_image_test");
  const std::string good = dir + "/good.png";
  const cv::Mat rgb = MakePattern(12, 9);
  testing::WriteFile(good, OpenCvEncode(RgbToBgr(rgb), ".png"));
  absl::StatusOr<cv::Mat> image = ReadImageFile(good, DecodeLimits());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(MaxDiff(*image, rgb), 0);

  const std::string missing = dir + "/missing.png";
  image = ReadImageFile(missing, DecodeLimits());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Contains(image.status(), missing)) << image.status();

  image = ReadImageFile(dir + "/no_such_folder/x.png", DecodeLimits());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kNotFound);

  image = ReadImageFile(dir, DecodeLimits());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(image.status(), "is a directory")) << image.status();

  const std::string text = dir + "/notes.png";
  testing::WriteFile(text, "not an image");
  image = ReadImageFile(text, DecodeLimits());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(image.status(), text + ": unknown image format"))
      << image.status();

  DecodeLimits small;
  small.max_bytes = 10;
  image = ReadImageFile(good, small);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(image.status(), good)) << image.status();
  EXPECT_TRUE(Contains(image.status(), "over the limit --max_bytes=10"))
      << image.status();
}

TEST(ReadImageFileTest, UnreadableFileIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files regardless of mode";
  const std::string path =
      testing::MakeTempDirRemovedAtExit("facet_image_test") + "/secret.png";
  testing::WriteFile(path, OpenCvEncode(MakePattern(4, 4), ".png"));
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  absl::StatusOr<cv::Mat> image = ReadImageFile(path, DecodeLimits());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(image.status(), path)) << image.status();
}

TEST(ImageFromRawPixelsTest, ConvertsEachLayoutToRgb) {
  const cv::Mat rgb = MakePattern(5, 3);
  const cv::Mat bgr = RgbToBgr(rgb);
  auto bytes = [](const cv::Mat& m) {
    return std::string(reinterpret_cast<const char*>(m.data),
                       m.total() * m.elemSize());
  };
  absl::StatusOr<cv::Mat> out =
      ImageFromRawPixels(bytes(rgb), 5, 3, PixelLayout::kRgb, DecodeLimits());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(MaxDiff(*out, rgb), 0);

  out = ImageFromRawPixels(bytes(bgr), 5, 3, PixelLayout::kBgr, DecodeLimits());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(MaxDiff(*out, rgb), 0);

  cv::Mat gray(3, 5, CV_8UC1);
  cv::randu(gray, 0, 256);
  cv::Mat gray_rgb;
  cv::cvtColor(gray, gray_rgb, cv::COLOR_GRAY2RGB);
  out =
      ImageFromRawPixels(bytes(gray), 5, 3, PixelLayout::kGray, DecodeLimits());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->type(), CV_8UC3);
  EXPECT_EQ(MaxDiff(*out, gray_rgb), 0);
}

TEST(ImageFromRawPixelsTest, RejectsBadSizes) {
  struct Case {
    int64_t width, height, bytes;
    PixelLayout layout;
    const char* message;
  };
  DecodeLimits limits;
  limits.max_side = 100;
  limits.max_pixels = 1000;
  const std::vector<Case> cases = {
      {4, 3, 35, PixelLayout::kRgb,
       "raw RGB image of 4x3 needs 36 bytes, got 35"},
      {4, 3, 13, PixelLayout::kGray,
       "raw gray image of 4x3 needs 12 bytes, got 13"},
      {0, 3, 0, PixelLayout::kRgb, "raw image size 0x3 is invalid"},
      {5, -1, 0, PixelLayout::kBgr, "raw image size 5x-1 is invalid"},
      {101, 1, 303, PixelLayout::kRgb, "--max_side=100"},
      {50, 21, 1050, PixelLayout::kGray, "--max_pixels=1000"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<cv::Mat> out = ImageFromRawPixels(
        std::string(c.bytes, '\x7f'), c.width, c.height, c.layout, limits);
    ASSERT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument)
        << c.message;
    EXPECT_TRUE(Contains(out.status(), c.message)) << out.status();
  }
}

}  // namespace
}  // namespace facet
