// facet-trainer as users run it: a real process, real files, real signals.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <regex>

#include "core/engine/face_engine_factory.h"
#include "core/image/image_decoder.h"
#include "opencv2/core.hpp"
#include "core/repository/model_repository.h"
#include "tests/util/subprocess.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string TrainerPath() { return testing::TrainerBinary(); }

std::vector<std::string> TrainArgs(const std::string& to, std::vector<std::string> extra) {
  std::vector<std::string> args = {TrainerPath(), "train", "--to=" + to, "--preset=tiny",
                                   "--threads=1", "--loader_threads=1", "--seed=1",
                                   "--log_every=1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Returns the last "<key>=<float>" value in `log`, or -1.
double LastValue(const std::string& log, const std::string& key) {
  std::regex re("\\b" + key + "=([0-9.eE+-]+)");
  double v = -1;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), re); it != std::sregex_iterator(); ++it) {
    v = std::stod((*it)[1]);
  }
  return v;
}

class TrainerCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("facet-trainer-cli"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

constexpr char kLearningPreset[] = "64,64,16,16,19,2,16,32";

// The network learns: a fixed small configuration and seed on synthetic
// faces clears a calibrated validation mIoU within a few hundred CPU steps.
TEST_F(TrainerCliTest, LearnsToParseSyntheticFaces) {
  // 64 px, base 16, channels 16..32, two body blocks, batch 4, lr 1.5e-3,
  // seed 1, one thread: calibrated once at validation mIoU 0.338 after 800
  // steps (majority-class baseline 0.033; the tiny preset reached only
  // 0.27). The run is deterministic for a given machine and thread count.
  std::vector<std::string> args = TrainArgs(
      dir_ + "/repo/m", {"--steps=800", "--batch_size=4", "--val_every=0", "--publish_every=0",
                         "--val_batches=8", "--lr=1.5e-3"});
  args[3] = "--preset=" + std::string(kLearningPreset);
  testing::Subprocess p(args, dir_ + "/train.log");
  ASSERT_EQ(p.Wait(seconds(540)), 0) << p.Log();
  const std::string log = p.Log();
  const double miou = LastValue(log, "miou");
  const double baseline = LastValue(log, "majority_baseline_miou");
  RecordProperty("miou", std::to_string(miou));
  RecordProperty("majority_baseline_miou", std::to_string(baseline));
  std::cerr << "validation mIoU " << miou << ", majority baseline " << baseline << "\n";
  EXPECT_GE(miou, 0.30) << log;
  EXPECT_GE(miou, 5 * baseline) << log;
  EXPECT_TRUE(ModelRepository::ValidateVersionDir(dir_ + "/repo/m/1").ok());
  // `evaluate` reads the published version and reports the same number.
  testing::Subprocess eval({TrainerPath(), "evaluate", "--weights=" + dir_ + "/repo/m/1",
                            "--seed=1", "--batch_size=4", "--val_batches=8", "--threads=1"},
                           dir_ + "/eval.log");
  ASSERT_EQ(eval.Wait(seconds(120)), 0) << eval.Log();
  EXPECT_NE(eval.Log().find("mIoU"), std::string::npos) << eval.Log();
  const double eval_miou = LastValue(std::regex_replace(eval.Log(), std::regex("mIoU "), "miou="), "miou");
  EXPECT_NEAR(eval_miou, miou, 1e-3) << eval.Log();
}

// SIGTERM finishes the step, saves the training state and exits 0;
// --resume continues from that step.
TEST_F(TrainerCliTest, SigtermSavesStateAndResumeContinues) {
  const std::string to = dir_ + "/repo/m";
  {
    testing::Subprocess p(TrainArgs(to, {"--steps=100000", "--batch_size=2", "--val_every=0",
                                         "--publish_every=0"}),
                          dir_ + "/a.log");
    ASSERT_TRUE(p.WaitForLog("step=3/", seconds(120))) << p.Log();
    p.Signal(SIGTERM);
    ASSERT_EQ(p.Wait(seconds(60)), 0) << p.Log();
    EXPECT_NE(p.Log().find("stopped by signal"), std::string::npos) << p.Log();
  }
  std::ifstream latest(dir_ + "/repo/.train-m/LATEST");
  std::string name;
  ASSERT_TRUE(std::getline(latest, name)) << "no LATEST checkpoint";
  const int64_t step = std::stoll(name.substr(name.find('-') + 1));
  ASSERT_GE(step, 3);
  testing::Subprocess q(TrainArgs(to, {"--steps=" + std::to_string(step + 2), "--batch_size=2",
                                       "--val_every=0", "--publish_every=0", "--val_batches=1",
                                       "--resume"}),
                        dir_ + "/b.log");
  ASSERT_EQ(q.Wait(seconds(120)), 0) << q.Log();
  EXPECT_NE(q.Log().find("at step " + std::to_string(step)), std::string::npos) << q.Log();
  EXPECT_NE(q.Log().find("step=" + std::to_string(step + 1) + "/"), std::string::npos) << q.Log();
  EXPECT_EQ(q.Log().find("step=1/"), std::string::npos) << q.Log();
}

// Training in two stages with --lr_schedule_steps set to the last stage's
// --steps follows the one cosine schedule of a single run: the same learning
// rate and the same loss at every step.
TEST_F(TrainerCliTest, StagedTrainingFollowsOneCosineSchedule) {
  const std::vector<std::string> common = {
      "--batch_size=2",  "--val_every=0",        "--publish_every=0",
      "--val_batches=1", "--lr_schedule=cosine", "--lr=1e-3"};
  auto run = [&](const std::string& to, std::vector<std::string> extra,
                 const std::string& log) {
    extra.insert(extra.begin(), common.begin(), common.end());
    testing::Subprocess p(TrainArgs(to, extra), log);
    EXPECT_EQ(p.Wait(seconds(120)), 0) << p.Log();
    return p.Log();
  };
  const std::string single = run(dir_ + "/a/m", {"--steps=4"}, dir_ + "/a.log");
  run(dir_ + "/b/m", {"--steps=2", "--lr_schedule_steps=4"}, dir_ + "/b1.log");
  const std::string staged =
      run(dir_ + "/b/m", {"--steps=4", "--lr_schedule_steps=4", "--resume"},
          dir_ + "/b2.log");
  for (int step : {3, 4}) {
    std::smatch a, b;
    const std::regex re("step=" + std::to_string(step) +
                        "/4 loss=([0-9.eE+-]+).* lr=([0-9.eE+-]+)");
    ASSERT_TRUE(std::regex_search(single, a, re)) << single;
    ASSERT_TRUE(std::regex_search(staged, b, re)) << staged;
    EXPECT_EQ(a[2], b[2]) << "learning rate at step " << step;
    EXPECT_EQ(a[1], b[1]) << "loss at step " << step;
  }
  // A stage that ends early is not at the end of its schedule.
  const std::string first = run(dir_ + "/c/m", {"--steps=2"}, dir_ + "/c.log");
  std::smatch a, c;
  const std::regex re2("step=2/[24] loss=[0-9.eE+-]+.* lr=([0-9.eE+-]+)");
  ASSERT_TRUE(std::regex_search(first, c, re2)) << first;
  ASSERT_TRUE(std::regex_search(single, a, re2)) << single;
  EXPECT_NE(a[1], c[1]) << "--steps=2 alone spans its own, shorter schedule";
}

// SIGKILL at random instants while the trainer publishes every step: every
// version folder that exists is complete and its checksums hold, and a new
// trainer cleans what the killed one left behind.
TEST_F(TrainerCliTest, KilledWhilePublishingLeavesOnlyCompleteVersions) {
  const std::string to = dir_ + "/repo/m";
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> delay_ms(200, 1500);
  for (int round = 0; round < 6; ++round) {
    testing::Subprocess p(TrainArgs(to, {"--steps=100000", "--batch_size=1", "--val_every=0",
                                         "--publish_every=1", "--val_batches=1",
                                         "--keep_versions=4", "--checkpoint_every=0"}),
                          dir_ + "/kill.log");
    ASSERT_TRUE(p.WaitForLog("training ", seconds(60))) << p.Log();
    std::this_thread::sleep_for(milliseconds(delay_ms(rng)));
    p.Signal(SIGKILL);
    EXPECT_EQ(p.Wait(seconds(10)), 128 + SIGKILL);
    auto repo = ModelRepository::Create(dir_ + "/repo");
    ASSERT_TRUE(repo.ok());
    auto versions = (*repo)->ListVersions("m");
    if (!versions.ok()) continue;  // Killed before the first publish.
    for (int64_t v : *versions) {
      absl::Status s = ModelRepository::ValidateVersionDir((*repo)->VersionDir("m", v));
      EXPECT_TRUE(s.ok()) << "round " << round << " version " << v << ": " << s;
    }
  }
  // The next start removes staging folders of dead publishers.
  testing::Subprocess p(TrainArgs(to, {"--steps=1", "--batch_size=1", "--val_batches=1"}),
                        dir_ + "/last.log");
  ASSERT_EQ(p.Wait(seconds(60)), 0) << p.Log();
  for (const auto& e : fs::directory_iterator(to)) {
    EXPECT_NE(e.path().filename().string().rfind(".staging", 0), 0u) << e.path();
  }
}

TEST_F(TrainerCliTest, BadFlagsAreClearErrors) {
  struct Case {
    std::vector<std::string> extra;
    std::string message;
  } cases[] = {
      {{"--preset=huge"}, "huge"},
      {{"--data=imagenet"}, "--data=imagenet"},
      {{"--publish_policy=sometimes"}, "--publish_policy=sometimes"},
      {{"--pixel_loss=l3"}, "--pixel_loss=l3"},
      {{"--steps=0"}, "--steps=0"},
      {{"--device=tpu"}, "tpu"},
      {{"--init_weights=/nonexistent.pth"}, "/nonexistent.pth"},
      {{"--batch_size=4", "--micro_batch_size=5"}, "--micro_batch_size=5"},
      {{"--bucket_mb=0"}, "--bucket_mb=0"},
      {{"--weight_check_every=-1"}, "--weight_check_every=-1"},
      {{"--memory_limit=lots"}, "lots"},
      {{"--part_loss_weight=0"}, "--part_loss_weight=0"},
      {{"--part_loss_weight=nan"}, "--part_loss_weight=nan"},
      {{"--pixel_weight=-1"}, "--pixel_weight=-1"},
      {{"--lr_schedule_steps=-5"}, "--lr_schedule_steps=-5"},
  };
  for (const Case& c : cases) {
    testing::Subprocess p(TrainArgs(dir_ + "/repo/m", c.extra), dir_ + "/bad.log");
    const int rc = p.Wait(seconds(60));
    EXPECT_TRUE(rc == 1 || rc == 2) << c.message << ": rc " << rc;
    EXPECT_NE(p.Log().find(c.message), std::string::npos) << p.Log();
  }
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {

// Upstream weights in, our repository version out, upstream weights back:
// the exported file loads strictly in Debian's torch with identical tensors,
// and predicts the same label maps as the original.
TEST_F(TrainerCliTest, ImportExportRoundTripThroughUpstreamFormat) {
  const std::string golden = testing::FixturesDir() + "/golden";
  if (!fs::exists(golden + "/small.legacy.pth")) GTEST_SKIP() << "no fixtures";
  testing::Subprocess imp({TrainerPath(), "import-weights", "--from=" + golden + "/small.legacy.pth",
                           "--to=" + dir_ + "/repo/fpn", "--input_size=64"},
                          dir_ + "/import.log");
  ASSERT_EQ(imp.Wait(seconds(60)), 0) << imp.Log();
  ASSERT_TRUE(ModelRepository::ValidateVersionDir(dir_ + "/repo/fpn/1").ok());
  testing::Subprocess exp({TrainerPath(), "export-weights", "--from=" + dir_ + "/repo/fpn/1",
                           "--to=" + dir_ + "/out.pth"},
                          dir_ + "/export.log");
  ASSERT_EQ(exp.Wait(seconds(60)), 0) << exp.Log();
  if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0) {
    const std::string check = "/usr/bin/python3 " + testing::SourceDir() +
                              "/tests/python/pth_check_load.py " + dir_ + "/out.pth --reference " +
                              golden + "/small.zip.pth";
    EXPECT_EQ(std::system(check.c_str()), 0) << check;
  }
  std::vector<cv::Mat> predicted;
  for (const std::string& weights : {golden + "/small.zip.pth", dir_ + "/out.pth"}) {
    const std::string out = dir_ + "/pred" + std::to_string(predicted.size());
    testing::Subprocess p({TrainerPath(), "predict", "--weights=" + weights, "--input_size=64",
                           "--fold_batch_norm=false", "--out=" + out, golden + "/input.png"},
                          dir_ + "/predict.log");
    ASSERT_EQ(p.Wait(seconds(60)), 0) << p.Log();
    auto labels = ReadImageFile(out + "/input.labels.png", DecodeLimits());
    ASSERT_TRUE(labels.ok()) << labels.status();
    predicted.push_back(*labels);
  }
  auto truth = ReadImageFile(golden + "/labels.png", DecodeLimits());
  ASSERT_TRUE(truth.ok());
  EXPECT_EQ(cv::norm(predicted[0], predicted[1], cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(predicted[0], *truth, cv::NORM_INF), 0);
}

TEST_F(TrainerCliTest, ImportRejectsForeignFilesWithTheReason) {
  std::ofstream(dir_ + "/random.pth") << "this is not a checkpoint at all";
  testing::Subprocess imp({TrainerPath(), "import-weights", "--from=" + dir_ + "/random.pth",
                           "--to=" + dir_ + "/repo/fpn"},
                          dir_ + "/import.log");
  EXPECT_EQ(imp.Wait(seconds(60)), 1);
  EXPECT_NE(imp.Log().find(dir_ + "/random.pth"), std::string::npos) << imp.Log();
  EXPECT_FALSE(fs::exists(dir_ + "/repo/fpn/1"));
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {

// predict: a bad image fails alone (named, exit 1, the others written); bad
// weights and missing arguments are clear errors.
TEST_F(TrainerCliTest, PredictReportsBadInputsAndKeepsGoing) {
  const std::string golden = testing::FixturesDir() + "/golden";
  if (!fs::exists(golden + "/small.safetensors")) GTEST_SKIP() << "no fixtures";
  std::ofstream(dir_ + "/notes.png") << "not an image";
  testing::Subprocess p({TrainerPath(), "predict", "--weights=" + golden + "/small.safetensors",
                         "--input_size=64", "--out=" + dir_ + "/out", golden + "/input.png",
                         dir_ + "/notes.png"},
                        dir_ + "/predict.log");
  EXPECT_EQ(p.Wait(seconds(60)), 1) << p.Log();
  EXPECT_NE(p.Log().find(dir_ + "/notes.png"), std::string::npos) << p.Log();
  EXPECT_NE(p.Log().find("1 of 2 images parsed"), std::string::npos) << p.Log();
  EXPECT_TRUE(fs::exists(dir_ + "/out/input.labels.png"));
  EXPECT_FALSE(fs::exists(dir_ + "/out/notes.labels.png"));

  testing::Subprocess bad({TrainerPath(), "predict", "--weights=" + dir_ + "/notes.png",
                           "--out=" + dir_ + "/out2", golden + "/input.png"},
                          dir_ + "/bad.log");
  EXPECT_EQ(bad.Wait(seconds(60)), 1);
  EXPECT_NE(bad.Log().find("unknown weights file type"), std::string::npos) << bad.Log();

  testing::Subprocess usage({TrainerPath(), "predict"}, dir_ + "/usage.log");
  EXPECT_EQ(usage.Wait(seconds(60)), 2);
  EXPECT_NE(usage.Log().find("usage: facet-trainer predict"), std::string::npos) << usage.Log();
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {

// predict, evaluate and train give the network every usable core by
// default (the loader threads of train share them) and log the counts.
TEST_F(TrainerCliTest, ThreadsDefaultToEveryUsableCoreAndAreLogged) {
  const int cores = UsableCores();
  const std::string network = "threads: usable_cores=" + std::to_string(cores) +
                              " intra_op_threads=" + std::to_string(cores);
  testing::Subprocess init({TrainerPath(), "init-weights", "--to=" + dir_ + "/repo/m",
                            "--preset=tiny"},
                           dir_ + "/init.log");
  ASSERT_EQ(init.Wait(seconds(60)), 0) << init.Log();
  testing::Subprocess faces({TrainerPath(), "synth-faces", "--out=" + dir_ + "/faces", "--faces=1"},
                            dir_ + "/faces.log");
  ASSERT_EQ(faces.Wait(seconds(60)), 0) << faces.Log();

  testing::Subprocess predict({TrainerPath(), "predict", "--weights=" + dir_ + "/repo/m/1",
                               "--out=" + dir_ + "/out", dir_ + "/faces/synthetic_00000.png"},
                              dir_ + "/predict.log");
  ASSERT_EQ(predict.Wait(seconds(60)), 0) << predict.Log();
  EXPECT_NE(predict.Log().find(network), std::string::npos) << predict.Log();

  testing::Subprocess evaluate({TrainerPath(), "evaluate", "--weights=" + dir_ + "/repo/m/1",
                                "--val_batches=1", "--batch_size=1"},
                               dir_ + "/evaluate.log");
  ASSERT_EQ(evaluate.Wait(seconds(120)), 0) << evaluate.Log();
  EXPECT_NE(evaluate.Log().find(network + " loader_threads=0"), std::string::npos)
      << evaluate.Log();

  const int loaders = cores >= 2 ? std::max(1, cores / 4) : 0;
  testing::Subprocess train({TrainerPath(), "train", "--to=" + dir_ + "/repo/t", "--preset=tiny",
                             "--steps=1", "--batch_size=1", "--val_batches=1"},
                            dir_ + "/train.log");
  ASSERT_EQ(train.Wait(seconds(120)), 0) << train.Log();
  EXPECT_NE(train.Log().find(network + " loader_threads=" + std::to_string(loaders)),
            std::string::npos)
      << train.Log();
}

}  // namespace
}  // namespace facet

namespace facet {
namespace {

// int8 as a user meets it: predict refuses without ranges, naming the file
// and the command; calibrate writes them into the version folder; predict
// --precision int8 then runs (through CreateFaceEngine, as the server does).
TEST_F(TrainerCliTest, CalibrateThenPredictInt8) {
  testing::Subprocess init({TrainerPath(), "init-weights",
                            "--to=" + dir_ + "/repo/m", "--preset=tiny"},
                           dir_ + "/init.log");
  ASSERT_EQ(init.Wait(seconds(60)), 0) << init.Log();
  testing::Subprocess faces(
      {TrainerPath(), "synth-faces", "--out=" + dir_ + "/faces", "--faces=1"},
      dir_ + "/faces.log");
  ASSERT_EQ(faces.Wait(seconds(60)), 0) << faces.Log();
  const std::string version = dir_ + "/repo/m/1";
  const std::string scales = version + "/int8_scales.safetensors";
  const std::vector<std::string> predict = {
      TrainerPath(),
      "predict",
      "--weights=" + version,
      "--engine=onednn",
      "--precision=int8",
      "--out=" + dir_ + "/out",
      dir_ + "/faces/synthetic_00000.png"};
  testing::Subprocess refused(predict, dir_ + "/refused.log");
  ASSERT_EQ(refused.Wait(seconds(60)), 1) << refused.Log();
  if (refused.Log().find("needs a CPU with AVX2") != std::string::npos ||
      refused.Log().find("not built into this binary") != std::string::npos) {
    GTEST_SKIP() << "no int8 here: " << refused.Log();
  }
  EXPECT_NE(refused.Log().find(scales), std::string::npos) << refused.Log();
  EXPECT_NE(refused.Log().find("facet-trainer calibrate"), std::string::npos)
      << refused.Log();

  testing::Subprocess bad({TrainerPath(), "calibrate", "--weights=" + version,
                           "--calibration_faces=1", "--int8_method=mean"},
                          dir_ + "/bad.log");
  EXPECT_EQ(bad.Wait(seconds(120)), 2) << bad.Log();
  EXPECT_NE(bad.Log().find("--int8_method"), std::string::npos) << bad.Log();
  EXPECT_FALSE(fs::exists(scales));

  testing::Subprocess calibrate(
      {TrainerPath(), "calibrate", "--weights=" + version,
       "--calibration_faces=2"},
      dir_ + "/calibrate.log");
  ASSERT_EQ(calibrate.Wait(seconds(120)), 0) << calibrate.Log();
  EXPECT_NE(calibrate.Log().find("wrote " + scales), std::string::npos)
      << calibrate.Log();
  ASSERT_TRUE(fs::exists(scales));
  // The version stays valid with the extra file.
  EXPECT_TRUE(ModelRepository::ValidateVersionDir(version).ok());

  testing::Subprocess ok(predict, dir_ + "/ok.log");
  ASSERT_EQ(ok.Wait(seconds(60)), 0) << ok.Log();
  EXPECT_NE(ok.Log().find("precision=int8"), std::string::npos) << ok.Log();
  EXPECT_TRUE(fs::exists(dir_ + "/out/synthetic_00000.labels.png"));
}

}  // namespace
}  // namespace facet
