#include "trainer/data/celebamask_hq.h"

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "core/image/label_palette.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "trainer/data/data_test_util.h"

namespace facet {
namespace {

namespace fs = std::filesystem;
using testing_util::TempFolder;
using testing_util::WriteBytes;
using testing_util::WriteImage;

constexpr int kSide = 128;  // Fixture masks and images (real: 512 / 1024).

std::string MaskName(int k, const char* part) {
  char name[64];
  std::snprintf(name, sizeof(name), "%05d_%s.png", k, part);
  return name;
}

cv::Mat Rect(int x0, int y0, int x1, int y1) {
  cv::Mat m = cv::Mat::zeros(kSide, kSide, CV_8UC1);
  m(cv::Rect(x0, y0, x1 - x0, y1 - y0)).setTo(255);
  return m;
}

// Writes a tiny CelebAMask-HQ tree in the real layout:
//   train: 0 good, 1 image missing, 2 empty image, 3 corrupt image,
//          4 no masks, 8 an empty mask file, 9 good (3-channel nose mask);
//   val: 5; test: 6, 7.
// plus files that are not part of the dataset.
void WriteFixture(const fs::path& root, bool with_mapping = true) {
  const fs::path images = root / "CelebA-HQ-img";
  const fs::path masks = root / "CelebAMask-HQ-mask-anno" / "0";
  cv::Mat face(kSide, kSide, CV_8UC3);
  cv::randu(face, 0, 255);
  for (int k : {0, 3, 4, 5, 6, 7, 8, 9}) {
    if (k == 3) {
      WriteBytes(images / "3.jpg", "this is not a JPEG file at all");
    } else {
      WriteImage(images / (std::to_string(k) + ".jpg"), face);
    }
  }
  WriteBytes(images / "2.jpg", "");
  WriteBytes(images / "notes.txt", "not an image");
  for (int k : {0, 1, 2, 3, 5, 6, 7, 8, 9}) {
    WriteImage(masks / MaskName(k, "skin"), Rect(16, 16, 112, 112));
    WriteImage(masks / MaskName(k, "hair"), Rect(0, 0, 128, 40));
    WriteImage(masks / MaskName(k, "neck"), Rect(48, 90, 80, 128));
    WriteImage(masks / MaskName(k, "cloth"), Rect(0, 110, 128, 128));
  }
  cv::Mat nose3;
  cv::cvtColor(Rect(56, 56, 72, 72), nose3, cv::COLOR_GRAY2BGR);
  WriteImage(masks / MaskName(9, "nose"), nose3);
  WriteBytes(masks / MaskName(8, "l_eye"), "");
  WriteBytes(masks / "readme.txt", "hello");
  WriteImage(masks / MaskName(9, "unknown"), Rect(0, 0, 2, 2));
  WriteBytes(root / "CelebAMask-HQ-mask-anno" / "extra.txt", "x");
  if (with_mapping) {
    WriteBytes(root / "CelebA-HQ-to-CelebA-mapping.txt",
               "idx orig_idx orig_file\n"
               "0 10 11.jpg\n1 20 21.jpg\n2 30 31.jpg\n3 40 41.jpg\n"
               "4 50 51.jpg\n5 170000 170001.jpg\n6 190000 190001.jpg\n"
               "7 190001 190002.jpg\n8 60 61.jpg\n9 70 71.jpg\n");
  }
}

absl::StatusOr<std::unique_ptr<CelebAMaskHQ>> Open(const fs::path& root,
                                                   CelebASplit split,
                                                   bool verify = false) {
  CelebAMaskHQ::Options options;
  options.root = root.string();
  options.split = split;
  options.image_size = 64;
  options.verify = verify;
  return CelebAMaskHQ::Create(options);
}

bool Mentions(const std::vector<CelebAMaskHQ::Skipped>& skipped,
              const std::string& file, const std::string& reason) {
  for (const auto& s : skipped) {
    if (absl::EndsWith(s.path, file) && absl::StrContains(s.reason, reason)) {
      return true;
    }
  }
  return false;
}

TEST(CelebAMaskHQTest, SkipsAndNamesBadSamplesWithoutFailing) {
  TempFolder dir;
  WriteFixture(dir.path());
  auto set = Open(dir.path(), CelebASplit::kTrain);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ((*set)->size(), 3u);  // 0, 3 (corrupt, found on Get) and 9.
  EXPECT_EQ((*set)->ImageNumber(0), 0);
  EXPECT_EQ((*set)->ImageNumber(1), 3);
  EXPECT_EQ((*set)->ImageNumber(2), 9);
  const auto& skipped = (*set)->skipped();
  EXPECT_EQ(skipped.size(), 4u);
  EXPECT_TRUE(Mentions(skipped, "1.jpg", "missing image"));
  EXPECT_TRUE(Mentions(skipped, "2.jpg", "empty file"));
  EXPECT_TRUE(Mentions(skipped, "00004_skin.png", "no mask files"));
  EXPECT_TRUE(Mentions(skipped, "00008_l_eye.png", "empty file"));
  EXPECT_EQ((*set)->ignored_files(), 2);  // readme.txt, 00009_unknown.png
}

TEST(CelebAMaskHQTest, CorruptImageIsADataLossNamingTheFile) {
  TempFolder dir;
  WriteFixture(dir.path());
  auto set = Open(dir.path(), CelebASplit::kTrain);
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<FaceSample> bad = (*set)->Get(1);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "3.jpg"))
      << bad.status();
  EXPECT_EQ((*set)->Get(3).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(CelebAMaskHQTest, VerifySkipsUndecodableFilesUpFront) {
  TempFolder dir;
  WriteFixture(dir.path());
  auto set = Open(dir.path(), CelebASplit::kTrain, /*verify=*/true);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 2u);
  EXPECT_TRUE(Mentions((*set)->skipped(), "3.jpg", "3.jpg"));
}

TEST(CelebAMaskHQTest, MergesMasksInIdOrderAtTheRequestedSize) {
  TempFolder dir;
  WriteFixture(dir.path());
  auto set = Open(dir.path(), CelebASplit::kTrain);
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<FaceSample> s = (*set)->Get(2);  // Image 9.
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->image.size(), cv::Size(64, 64));
  EXPECT_EQ(s->image.type(), CV_8UC3);
  ASSERT_EQ(s->labels.size(), cv::Size(64, 64));
  // Fixture coordinates halved: skin 8..56, hair rows 0..20, neck x 24..40
  // rows 45..64, cloth rows 55..64, nose 28..36.
  struct Probe {
    int x, y, label;
  } probes[] = {{20, 30, kSkin}, {2, 2, kHair},    {30, 12, kHair},
                {30, 50, kNeck}, {30, 60, kCloth}, {4, 40, kBackground},
                {32, 32, kNose}};
  for (const Probe& p : probes) {
    EXPECT_EQ(s->labels.at<uint8_t>(p.y, p.x), p.label)
        << "at (" << p.x << ", " << p.y << ")";
  }
}

TEST(CelebAMaskHQTest, SplitsFollowTheMappingFile) {
  TempFolder dir;
  WriteFixture(dir.path());
  EXPECT_EQ((*Open(dir.path(), CelebASplit::kVal))->size(), 1u);
  EXPECT_EQ((*Open(dir.path(), CelebASplit::kTest))->size(), 2u);
  EXPECT_EQ((*Open(dir.path(), CelebASplit::kAll))->size(), 6u);
}

TEST(CelebAMaskHQTest, AllSplitNeedsNoMappingFile) {
  TempFolder dir;
  WriteFixture(dir.path(), /*with_mapping=*/false);
  auto all = Open(dir.path(), CelebASplit::kAll);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ((*all)->size(), 6u);  // 0 3 5 6 7 9; notes.txt is not an image.
  auto train = Open(dir.path(), CelebASplit::kTrain);
  EXPECT_EQ(train.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(train.status().message(),
                                "CelebA-HQ-to-CelebA-mapping.txt"))
      << train.status();
}

TEST(CelebAMaskHQTest, WrongRootSaysWhatWasExpected) {
  TempFolder dir;
  auto missing = Open(dir.path() / "nowhere", CelebASplit::kTrain);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "nowhere"));
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "CelebA-HQ-img"));

  auto empty = Open(dir.path(), CelebASplit::kTrain);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* expected :
       {"CelebA-HQ-img", "CelebAMask-HQ-mask-anno",
        "CelebA-HQ-to-CelebA-mapping.txt", "does not look like"}) {
    EXPECT_TRUE(absl::StrContains(empty.status().message(), expected))
        << expected << " in " << empty.status();
  }
}

TEST(CelebAMaskHQTest, NoUsableSampleIsAnError) {
  TempFolder dir;
  fs::create_directories(dir.path() / "CelebA-HQ-img");
  fs::create_directories(dir.path() / "CelebAMask-HQ-mask-anno" / "0");
  WriteBytes(dir.path() / "CelebA-HQ-img" / "0.jpg", "");
  WriteBytes(dir.path() / "CelebA-HQ-to-CelebA-mapping.txt",
             "idx orig_idx orig_file\n0 1 2.jpg\n");
  auto set = Open(dir.path(), CelebASplit::kTrain);
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(set.status().message(), "no usable"))
      << set.status();
  EXPECT_TRUE(absl::StrContains(set.status().message(), "0.jpg"))
      << set.status();
}

}  // namespace
}  // namespace facet
