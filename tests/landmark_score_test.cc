// The real-face score as users run it: `facet-trainer evaluate --data
// landmarks:PATH` on the shared Solvay 1927 and astronaut photos. Random
// weights give the floor; `./facet demo` prints the demo model's score.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "core/image/image_encoder.h"
#include "opencv2/core.hpp"
#include "tests/util/subprocess.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

std::string TrainerPath() { return testing::TrainerBinary(); }

// Returns the value of "<key>=<number>" on the landmark_score line, or -1.
double ScoreValue(const std::string& log, const std::string& key) {
  std::smatch m;
  std::regex re("landmark_score .*\\b" + key + "=([0-9.eE+-]+|nan)");
  if (!std::regex_search(log, m, re) || m[1] == "nan") return -1;
  return std::stod(m[1]);
}

class LandmarkScoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fixtures_ = testing::SharedDir() + "/fixtures";
    if (!fs::exists(fixtures_ + "/solvay_1927.jpg"))
      GTEST_SKIP() << "no fixtures";
    if (!fs::exists("/usr/share/dlib/shape_predictor_68_face_landmarks.dat")) {
      GTEST_SKIP() << "no dlib landmark model (libdlib-data)";
    }
    dir_ = testing::MakeTempDir("facet-landmark-score");
    testing::Subprocess init(
        {TrainerPath(), "init-weights", "--to=" + dir_ + "/repo/random",
         "--preset=tiny", "--seed=1"},
        dir_ + "/init.log");
    ASSERT_EQ(init.Wait(seconds(60)), 0) << init.Log();
    weights_ = dir_ + "/repo/random/1";
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Runs evaluate on `data` and returns its exit code; the output in *log.
  int Evaluate(const std::string& data, std::string* log,
               std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {TrainerPath(), "evaluate",
                                     "--weights=" + weights_,
                                     "--data=landmarks:" + data, "--threads=1"};
    args.insert(args.end(), extra.begin(), extra.end());
    testing::Subprocess p(args, dir_ + "/evaluate.log");
    const int code = p.Wait(seconds(120));
    *log = p.Log();
    return code;
  }

  std::string fixtures_, dir_, weights_;
};

TEST_F(LandmarkScoreTest, RandomWeightsScoreTheFloorOnEverySolvayFace) {
  std::string log;
  ASSERT_EQ(Evaluate(fixtures_ + "/solvay_1927.jpg", &log,
                     {"--sheet=" + dir_ + "/sheet.png"}),
            0)
      << log;
  EXPECT_EQ(ScoreValue(log, "faces"), 28) << log;
  const double mean = ScoreValue(log, "mean_part_iou");
  EXPECT_GE(mean, 0) << log;
  // An untrained network finds no part: the floor a trained one must clear.
  EXPECT_LT(mean, 0.15) << log;
  for (const char* part : {"brows", "eyes", "nose", "lips", "mouth", "skin"}) {
    EXPECT_GE(ScoreValue(log, part), 0) << part << "\n" << log;
  }
  EXPECT_TRUE(fs::exists(dir_ + "/sheet.png")) << log;
}

TEST_F(LandmarkScoreTest, AstronautIsOneFace) {
  std::string log;
  ASSERT_EQ(Evaluate(fixtures_ + "/astronaut.png", &log), 0) << log;
  EXPECT_EQ(ScoreValue(log, "faces"), 1) << log;
}

TEST_F(LandmarkScoreTest, MirrorAveragingScoresTheSameFaces) {
  std::string log;
  ASSERT_EQ(Evaluate(fixtures_ + "/astronaut.png", &log, {"--mirror_average"}),
            0)
      << log;
  EXPECT_EQ(ScoreValue(log, "faces"), 1) << log;
  EXPECT_GE(ScoreValue(log, "mean_part_iou"), 0) << log;
  EXPECT_NE(log.find("mirror averaging (two forwards per face)"),
            std::string::npos)
      << log;
}

TEST_F(LandmarkScoreTest, FacelessAndBrokenImagesAreReportedPerFileAndSkipped) {
  const std::string folder = dir_ + "/photos";
  fs::create_directories(folder);
  fs::copy_file(fixtures_ + "/astronaut.png", folder + "/astronaut.png");
  ASSERT_TRUE(
      WriteImageFile(folder + "/blank.png",
                     cv::Mat(200, 200, CV_8UC3, cv::Scalar(128, 128, 128)))
          .ok());
  std::ofstream(folder + "/broken.jpg") << "not a jpeg";
  std::ofstream(folder + "/notes.txt") << "not an image, not listed";
  std::string log;
  ASSERT_EQ(Evaluate(folder, &log), 0) << log;
  EXPECT_EQ(ScoreValue(log, "faces"), 1) << log;
  EXPECT_NE(log.find("skipped " + folder + "/blank.png: no face found"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("skipped " + folder + "/broken.jpg: "), std::string::npos)
      << log;
  EXPECT_EQ(log.find("notes.txt"), std::string::npos) << log;
  EXPECT_NE(log.find("1 of 3 images"), std::string::npos) << log;
}

TEST_F(LandmarkScoreTest, MissingOrFacelessDataIsAClearError) {
  std::string log;
  EXPECT_EQ(Evaluate(dir_ + "/nowhere", &log), 1) << log;
  EXPECT_NE(log.find("landmarks:" + dir_ + "/nowhere: no such file or folder"),
            std::string::npos)
      << log;
  const std::string blank = dir_ + "/blank.png";
  ASSERT_TRUE(
      WriteImageFile(blank, cv::Mat(100, 100, CV_8UC3, cv::Scalar(0, 0, 0)))
          .ok());
  EXPECT_EQ(Evaluate(blank, &log), 1) << log;
  EXPECT_NE(log.find("no face found in " + blank), std::string::npos) << log;
}

}  // namespace
}  // namespace facet
