#include "core/repository/retention.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/model/net_config.h"
#include "core/repository/serving_lease.h"
#include "tests/util/random_state_dict.h"
#include "tests/util/test_paths.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

RetentionInput Input(std::vector<int64_t> versions, std::set<int64_t> invalid,
                     int keep) {
  RetentionInput in;
  in.versions = std::move(versions);
  in.is_valid = [invalid](int64_t v) { return invalid.count(v) == 0; };
  in.keep = keep;
  return in;
}

TEST(PlanRetentionTest, KeepsTheNewestAndRemovesTheRest) {
  RetentionPlan plan = PlanRetention(Input({6, 5, 4, 3, 2, 1}, {}, 2));
  EXPECT_EQ(plan.remove, (std::vector<int64_t>{4, 3, 2, 1}));
  EXPECT_TRUE(plan.protected_.empty());
}

TEST(PlanRetentionTest, NeverRemovesTheNewestValidVersion) {
  // The newest two are broken (truncated, non-finite): version 4 is what
  // every server serves and must survive keep=2.
  RetentionPlan plan = PlanRetention(Input({6, 5, 4, 3, 2}, {6, 5}, 2));
  EXPECT_EQ(plan.remove, (std::vector<int64_t>{3, 2}));
  ASSERT_EQ(plan.protected_, std::vector<int64_t>{4});
  EXPECT_EQ(plan.reasons[0], "newest valid version");
}

TEST(PlanRetentionTest, NeverRemovesThePinnedVersion) {
  RetentionInput in = Input({5, 4, 3, 2, 1}, {}, 1);
  in.policy.kind = VersionPolicy::Kind::kPinned;
  in.policy.pinned = 2;
  RetentionPlan plan = PlanRetention(in);
  EXPECT_EQ(plan.remove, (std::vector<int64_t>{4, 3, 1}));
  ASSERT_EQ(plan.protected_, std::vector<int64_t>{2});
  EXPECT_EQ(plan.reasons[0], "pinned in serving_policy.txt");
}

TEST(PlanRetentionTest, KeepsTheRollbackTarget) {
  RetentionInput in = Input({5, 4, 3, 2}, {4}, 1);
  in.policy.kind = VersionPolicy::Kind::kRollback;
  RetentionPlan plan = PlanRetention(in);
  // Rollback serves the newest valid version below 5: 3 (4 is invalid).
  EXPECT_EQ(plan.remove, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(plan.protected_, std::vector<int64_t>{3});
}

TEST(PlanRetentionTest, KeepsLeasedVersionsAndValidatesLazily) {
  RetentionInput in = Input({9, 8, 7, 6}, {}, 1);
  int validations = 0;
  in.is_valid = [&](int64_t) { ++validations; return true; };
  in.leased = {7, 7};
  RetentionPlan plan = PlanRetention(in);
  EXPECT_EQ(plan.remove, (std::vector<int64_t>{8, 6}));
  EXPECT_EQ(plan.protected_, std::vector<int64_t>{7});
  EXPECT_EQ(validations, 1);  // Only the newest had to be read.
}

class RetainVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir("facet-retention");
    auto repo = ModelRepository::Create(root_);
    ASSERT_TRUE(repo.ok());
    repo_ = std::move(*repo);
    config_ = testing::TinyNetConfig();
  }
  void TearDown() override { fs::remove_all(root_); }

  void PublishValid(int n) {
    for (int i = 0; i < n; ++i) {
      Manifest manifest;
      manifest.config = config_;
      auto v = repo_->Publish("m", testing::RandomStateDict(config_, i + 1), manifest);
      ASSERT_TRUE(v.ok()) << v.status();
    }
  }
  void Corrupt(int64_t version) {
    std::ofstream(repo_->VersionDir("m", version) + "/weights.safetensors",
                  std::ios::trunc) << "truncated";
  }
  std::set<int64_t> Versions() {
    auto v = repo_->ListVersions("m");
    return std::set<int64_t>(v->begin(), v->end());
  }

  std::string root_;
  std::unique_ptr<ModelRepository> repo_;
  NetConfig config_;
};

TEST_F(RetainVersionsTest, PinnedNewestValidAndLeasedSurvive) {
  PublishValid(7);
  Corrupt(7);
  Corrupt(6);
  std::ofstream(repo_->ModelDir("m") + "/serving_policy.txt") << "pin 2\n";
  ASSERT_TRUE(WriteServingLease(repo_->ModelDir("m"), "server-a", 3).ok());
  RetentionOptions options;
  options.keep = 2;
  auto plan = RetainVersions(*repo_, "m", options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Versions(), (std::set<int64_t>{7, 6, 5, 3, 2}));
  EXPECT_EQ(plan->remove, (std::vector<int64_t>{4, 1}));
  // No half-deleted folder is left behind.
  for (const auto& e : fs::directory_iterator(repo_->ModelDir("m"))) {
    EXPECT_NE(e.path().filename().string().rfind(".deleting-", 0), 0u) << e.path();
  }
}

TEST_F(RetainVersionsTest, StaleLeasesDoNotProtect) {
  PublishValid(4);
  const std::string dir = repo_->ModelDir("m");
  ASSERT_TRUE(WriteServingLease(dir, "dead-server", 1).ok());
  ASSERT_TRUE(WriteServingLease(dir, "live-server", 2).ok());
  // The dead server last refreshed its lease an hour ago.
  const std::string stale = dir + "/.leases/dead-server";
  struct utimbuf old_time;
  old_time.actime = old_time.modtime = time(nullptr) - 3600;
  ASSERT_EQ(utime(stale.c_str(), &old_time), 0);
  auto leases = ListServingLeases(dir, kDefaultLeaseMaxAge);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].holder, "live-server");
  EXPECT_EQ(leases[0].version, 2);
  RetentionOptions options;
  options.keep = 1;
  ASSERT_TRUE(RetainVersions(*repo_, "m", options).ok());
  EXPECT_EQ(Versions(), (std::set<int64_t>{4, 2}));
  ASSERT_TRUE(RemoveServingLease(dir, "live-server").ok());
  ASSERT_TRUE(RemoveServingLease(dir, "never-existed").ok());
  EXPECT_TRUE(ListServingLeases(dir, kDefaultLeaseMaxAge).empty());
}

TEST_F(RetainVersionsTest, UnreadablePolicyDeletesNothing) {
  PublishValid(3);
  std::ofstream(repo_->ModelDir("m") + "/serving_policy.txt") << "pin three\n";
  RetentionOptions options;
  options.keep = 1;
  auto plan = RetainVersions(*repo_, "m", options);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("serving_policy.txt"), std::string::npos);
  EXPECT_EQ(Versions().size(), 3u);
}

TEST_F(RetainVersionsTest, CleanStagingRemovesAKilledRetentionsLeftovers) {
  PublishValid(1);
  fs::create_directories(repo_->ModelDir("m") + "/.deleting-7/x");
  auto removed = repo_->CleanStaging("m");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(fs::exists(repo_->ModelDir("m") + "/.deleting-7"));
}

}  // namespace
}  // namespace facet
