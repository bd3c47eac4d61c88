#include "trainer/training/checkpoint_publisher.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/status/errno_status.h"
#include "core/status/model_status_conversion.h"
#include "tests/util/random_state_dict.h"
#include "tests/util/test_paths.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

class CheckpointPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::MakeTempDir("facet-publisher"); }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
  NetConfig config_ = testing::TinyNetConfig();
};

TEST_F(CheckpointPublisherTest, EveryPublishesEachTimeAndKeepsK) {
  CheckpointPublisherOptions o;
  o.repository = root_ + "/repo";
  o.model = "m";
  o.keep = 2;
  auto p = CheckpointPublisher::Create(o);
  ASSERT_TRUE(p.ok()) << p.status();
  for (int i = 1; i <= 4; ++i) {
    auto v = (*p)->MaybePublish(testing::RandomStateDict(config_, i), config_, i * 10, {{"val_miou", 0.1}});
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(*v, i);
  }
  auto repo = ModelRepository::Create(o.repository);
  ASSERT_TRUE(repo.ok());
  auto versions = (*repo)->ListVersions("m");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(*versions, (std::vector<int64_t>{4, 3}));
  EXPECT_TRUE(ModelRepository::ValidateVersionDir((*repo)->VersionDir("m", 4)).ok());
  // No hidden leftovers from retention.
  int hidden = 0;
  for (const auto& e : fs::directory_iterator(o.repository + "/m")) {
    hidden += e.path().filename().string()[0] == '.';
  }
  EXPECT_EQ(hidden, 0);
}

TEST_F(CheckpointPublisherTest, BestPublishesOnlyOnImprovementAcrossRestarts) {
  CheckpointPublisherOptions o;
  o.repository = root_ + "/repo";
  o.model = "m";
  o.policy = PublishPolicy::kBest;
  o.keep = 0;
  auto p = CheckpointPublisher::Create(o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*(*p)->MaybePublish(testing::RandomStateDict(config_, 1), config_, 1, {{"val_miou", 0.2}}), 1);
  EXPECT_EQ(*(*p)->MaybePublish(testing::RandomStateDict(config_, 2), config_, 2, {{"val_miou", 0.15}}), 0);
  EXPECT_EQ(*(*p)->MaybePublish(testing::RandomStateDict(config_, 3), config_, 3, {{"val_miou", 0.2}}), 0);
  EXPECT_EQ(*(*p)->MaybePublish(testing::RandomStateDict(config_, 4), config_, 4, {{"val_miou", 0.3}}), 2);
  EXPECT_EQ(*(*p)->MaybePublish(testing::RandomStateDict(config_, 5), config_, 5, {}), 0);
  // A restarted trainer remembers the best published mIoU.
  auto again = CheckpointPublisher::Create(o);
  ASSERT_TRUE(again.ok());
  EXPECT_DOUBLE_EQ((*again)->best_miou(), 0.3);
  EXPECT_EQ(*(*again)->MaybePublish(testing::RandomStateDict(config_, 6), config_, 6, {{"val_miou", 0.25}}), 0);
  EXPECT_EQ(*(*again)->MaybePublish(testing::RandomStateDict(config_, 7), config_, 7, {{"val_miou", 0.31}}), 3);
}

TEST_F(CheckpointPublisherTest, NonFiniteWeightsAreNeverPublished) {
  CheckpointPublisherOptions o;
  o.repository = root_ + "/repo";
  auto p = CheckpointPublisher::Create(o);
  ASSERT_TRUE(p.ok());
  RawTensorMap w = testing::RandomStateDict(config_, 1);
  reinterpret_cast<float*>(w["body.0.conv1.conv2d.weight"].data.data())[3] = NAN;
  auto v = (*p)->MaybePublish(w, config_, 1, {});
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("body.0.conv1.conv2d.weight"), std::string::npos)
      << v.status();
  EXPECT_EQ((*p)->failures(), 1);
  EXPECT_EQ((*p)->last_version(), 0);
}

// A full disk, simulated with RLIMIT_FSIZE (works as root too): the
// publish fails and is counted, nothing half-written appears, and the
// version already published stays valid.
TEST_F(CheckpointPublisherTest, FullDiskFailsCleanlyAndKeepsPublished) {
  CheckpointPublisherOptions o;
  o.repository = root_ + "/repo";
  o.model = "m";
  auto p = CheckpointPublisher::Create(o);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(*(*p)->MaybePublish(testing::RandomStateDict(config_, 1), config_, 1, {}), 1);
  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  signal(SIGXFSZ, SIG_IGN);  // Writes past the limit fail with EFBIG instead.
  struct rlimit small = old_limit;
  small.rlim_cur = 16 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  auto v = (*p)->MaybePublish(testing::RandomStateDict(config_, 2), config_, 2, {});
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, SIG_DFL);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ((*p)->failures(), 1);
  auto repo = ModelRepository::Create(o.repository);
  EXPECT_EQ(*(*repo)->ListVersions("m"), (std::vector<int64_t>{1}));
  EXPECT_TRUE(ModelRepository::ValidateVersionDir(o.repository + "/m/1").ok());
  for (const auto& e : fs::directory_iterator(o.repository + "/m")) {
    EXPECT_NE(e.path().filename().string().rfind(".staging", 0), 0u) << e.path();
  }
}

struct ReasonCase {
  absl::Status status;
  std::string reason;
};

// The label comes from the errno the status carries, not its text.
TEST(WriteFailureReasonTest, FromTheErrnoThenTheCode) {
  const std::vector<ReasonCase> cases = {
      {ErrnoToStatus(ENOSPC, "write", "/r/w"), "no_space"},
      {ErrnoToStatus(EDQUOT, "write", "/r/w"), "no_space"},
      {ErrnoToStatus(EROFS, "create staging folder", "/r/m"), "read_only"},
      {ErrnoToStatus(EACCES, "create staging folder", "/r/m"), "permission"},
      {ErrnoToStatus(EPERM, "rename", "/r/m"), "permission"},
      // DataLoss by code, but a disk error, not a non-finite weight.
      {ErrnoToStatus(EIO, "fsync", "/r/w"), "other"},
      {ErrnoToStatus(ENOENT, "open", "/r/w"), "other"},
      // A checkpoint's own code with the errno attached.
      {WithErrno(absl::UnavailableError("cannot create /c"), EROFS),
       "read_only"},
      // Through facet_model's ModelStatus (the weights file).
      {ToAbslStatus(
           ModelStatus::FromIoStatus(ErrnoToIoStatus(EROFS, "create", "/r/w"))),
       "read_only"},
      // No errno: the code decides, and EROFS's text alone does not.
      {absl::ResourceExhaustedError("over the 1 GiB limit"), "no_space"},
      {absl::PermissionDeniedError(std::string("cannot write /r: ") +
                                   std::strerror(EROFS)),
       "permission"},
      {absl::DataLossError("weight \"w\" is not finite at step 3"),
       "non_finite"},
      {absl::InternalError("saving the checkpoint failed"), "other"},
  };
  for (const ReasonCase& c : cases) {
    EXPECT_EQ(WriteFailureReason(c.status), c.reason) << c.status;
    bool listed = false;
    for (const char* reason : kWriteFailureReasons)
      listed |= reason == c.reason;
    EXPECT_TRUE(listed) << c.reason;
  }
}

}  // namespace
}  // namespace facet
