#include "trainer/degrade_command.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "trainer/data/data_test_util.h"
#include "trainer/data/synthetic_face_painter.h"
#include "trainer/trainer_flags.h"

ABSL_DECLARE_FLAG(int32_t, count);
ABSL_DECLARE_FLAG(bool, contact_sheet);

namespace facet {
namespace {

namespace fs = std::filesystem;
using testing_util::TempFolder;
using testing_util::WriteBytes;
using testing_util::WriteImage;

class DegradeCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_count, 3);
    absl::SetFlag(&FLAGS_contact_sheet, false);
    absl::SetFlag(&FLAGS_seed, 4);
    absl::SetFlag(&FLAGS_input_size, 512);
    absl::SetFlag(&FLAGS_out, "");
    face_ = dir_.path() / "in" / "face.png";
    WriteImage(face_, PaintSyntheticFace(1, 3, 256).image);
  }

  int CountFiles(const fs::path& folder, const std::string& ext) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(folder)) {
      n += e.path().extension() == ext;
    }
    return n;
  }

  TempFolder dir_;
  fs::path face_;
};

TEST_F(DegradeCommandTest, WritesCountImagesAndTheirParameters) {
  const fs::path out = dir_.path() / "out";
  ASSERT_EQ(RunDegradeCommand({face_.string(), out.string()}), 0);
  EXPECT_EQ(CountFiles(out, ".png"), 3);
  cv::Mat first = cv::imread((out / "face_0.png").string());
  EXPECT_EQ(first.size(), cv::Size(512, 512));
  std::ifstream table(out / "degradations.tsv");
  std::string line;
  int lines = 0;
  while (std::getline(table, line)) ++lines;
  EXPECT_EQ(lines, 4);  // Header and three rows.
}

TEST_F(DegradeCommandTest, EqualSeedsGiveEqualFiles) {
  const fs::path a = dir_.path() / "a", b = dir_.path() / "b";
  ASSERT_EQ(RunDegradeCommand({face_.string(), a.string()}), 0);
  ASSERT_EQ(RunDegradeCommand({face_.string(), b.string()}), 0);
  auto read = [](const fs::path& p) {
    std::stringstream s;
    s << std::ifstream(p, std::ios::binary).rdbuf();
    return s.str();
  };
  EXPECT_EQ(read(a / "face_2.png"), read(b / "face_2.png"));
  EXPECT_EQ(read(a / "degradations.tsv"), read(b / "degradations.tsv"));
}

TEST_F(DegradeCommandTest, ContactSheetIsOneGrid) {
  absl::SetFlag(&FLAGS_contact_sheet, true);
  absl::SetFlag(&FLAGS_count, 5);
  const fs::path out = dir_.path() / "sheet";
  absl::SetFlag(&FLAGS_out, out.string());
  ASSERT_EQ(RunDegradeCommand({face_.string()}), 0);
  cv::Mat sheet = cv::imread((out / "face_sheet.png").string());
  ASSERT_FALSE(sheet.empty());
  EXPECT_GT(sheet.cols, 3 * 256);  // 6 tiles in a 3-column grid.
  EXPECT_GT(sheet.rows, 2 * 256);
}

TEST_F(DegradeCommandTest, FolderWithBadFilesWritesTheGoodOnesAndFails) {
  const fs::path in = face_.parent_path();
  WriteBytes(in / "broken.jpg", "not a jpeg");
  WriteBytes(in / "empty.png", "");
  WriteBytes(in / "notes.txt", "ignored: not an image name");
  const fs::path out = dir_.path() / "out";
  EXPECT_EQ(RunDegradeCommand({in.string(), out.string()}), 1);
  EXPECT_EQ(CountFiles(out, ".png"), 3);
}

TEST_F(DegradeCommandTest, BadUsage) {
  EXPECT_EQ(RunDegradeCommand({}), 2);
  EXPECT_EQ(RunDegradeCommand({face_.string()}), 2);  // No OUT, no --out.
  absl::SetFlag(&FLAGS_count, 0);
  EXPECT_EQ(RunDegradeCommand({face_.string(), (dir_.path() / "o").string()}),
            2);
  absl::SetFlag(&FLAGS_count, 2);
  EXPECT_EQ(RunDegradeCommand({(dir_.path() / "missing.png").string(),
                               (dir_.path() / "o").string()}),
            1);
  fs::create_directories(dir_.path() / "no_images");
  EXPECT_EQ(RunDegradeCommand({(dir_.path() / "no_images").string(),
                               (dir_.path() / "o").string()}),
            1);
}

}  // namespace
}  // namespace facet
