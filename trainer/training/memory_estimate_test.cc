#include "trainer/training/memory_estimate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "trainer/training/process_memory.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

NetConfig Preset(const std::string& name) {
  ModelResult<NetConfig> c = NetConfigPreset(name);
  EXPECT_TRUE(c.ok()) << name;
  return c.value();
}

TEST(MemoryEstimateTest, ParametersMatchTheStateDict) {
  // The published network has ~21.3M parameters (spec); running statistics
  // are not parameters (Adam keeps no state for them).
  const int64_t published = TrainableParameters(NetConfig::Published());
  EXPECT_GT(published, 21'000'000);
  EXPECT_LT(published, 21'500'000);
  EXPECT_EQ(TrainableParameters(Preset("tiny")), 32'766);  // net_config.h
}

TEST(MemoryEstimateTest, PublishedNetworkAt512MatchesTheIssueMeasurement) {
  // Issue 14: one step of the published network at 512 px needs ~3.4 GB per
  // face (batch 2 peaked at 6.8 GB in LibTorch and PyTorch alike).
  TrainingMemoryInputs in;
  in.config = NetConfig::Published();
  in.micro_batch_size = 2;
  in.batch_size = 2;
  const TrainingMemoryEstimate e = EstimateTrainingMemory(in);
  EXPECT_GT(e.BytesPerFace(), int64_t{3'000'000'000});
  EXPECT_LT(e.BytesPerFace(), int64_t{3'800'000'000});
  EXPECT_GT(e.peak_bytes, int64_t{6'300'000'000});
  EXPECT_LT(e.peak_bytes, int64_t{7'800'000'000});
}

TEST(MemoryEstimateTest, ActivationsGrowLinearlyWithTheMicroBatch) {
  TrainingMemoryInputs in;
  in.config = Preset("small");
  in.batch_size = 8;
  in.micro_batch_size = 2;
  const TrainingMemoryEstimate two = EstimateTrainingMemory(in);
  in.micro_batch_size = 8;
  const TrainingMemoryEstimate eight = EstimateTrainingMemory(in);
  EXPECT_NEAR(double(eight.peak_bytes - two.peak_bytes),
              6.0 * two.BytesPerFace(), 8.0);
  EXPECT_EQ(eight.model_state_bytes, two.model_state_bytes);
  EXPECT_EQ(eight.data_buffer_bytes, two.data_buffer_bytes);
  EXPECT_EQ(two.model_state_bytes, 16 * two.parameters);
}

TEST(MemoryEstimateTest, ActivationsScaleWithThePixelCount) {
  // Same architecture at twice the side: every activation has 4x the pixels
  // (the body's feature side grows with it: min_feat_size scales too).
  NetConfig a = NetConfig::Published();
  a.in_size = a.out_size = 256;
  a.min_feat_size = 16;
  NetConfig b = NetConfig::Published();
  const double ratio = double(SavedActivationBytesPerFace(b)) /
                       double(SavedActivationBytesPerFace(a));
  EXPECT_NEAR(ratio, 4.0, 0.1);
}

TEST(MemoryEstimateTest, ToStringNamesTheParts) {
  TrainingMemoryInputs in;
  in.config = NetConfig::Published();
  in.micro_batch_size = 8;
  const std::string s = EstimateTrainingMemory(in).ToString(8);
  EXPECT_NE(s.find("8 faces x "), std::string::npos) << s;
  EXPECT_NE(s.find("weights+gradients+Adam"), std::string::npos) << s;
  EXPECT_NE(s.find("GiB"), std::string::npos) << s;
}

class ProcessMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("facet-process-memory-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "proc/self");
    fs::create_directories(root_ / "cg");
    Write("proc/meminfo",
          "MemTotal:       24683584 kB\nMemAvailable:   20000000 kB\n");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  std::string Proc() const { return (root_ / "proc").string(); }
  std::string Cgroup() const { return (root_ / "cg").string(); }
  fs::path root_;
};

TEST_F(ProcessMemoryTest, PhysicalMemoryWithoutACgroupLimit) {
  Write("proc/self/cgroup", "4:memory:/jobs/a\n0::/\n");
  Write("cg/memory/jobs/a/memory.limit_in_bytes", "9223372036854771712\n");
  Write("cg/memory/memory.limit_in_bytes", "9223372036854771712\n");
  absl::StatusOr<MemoryLimit> limit = ProcessMemoryLimit(Proc(), Cgroup());
  ASSERT_TRUE(limit.ok()) << limit.status();
  EXPECT_EQ(limit->bytes, int64_t{24683584} * 1024);
  EXPECT_NE(limit->source.find("MemTotal"), std::string::npos) << limit->source;
  EXPECT_EQ(AvailableMemoryBytes(Proc()).value_or(-1),
            int64_t{20000000} * 1024);
}

TEST_F(ProcessMemoryTest, CgroupV1LimitOfAnAncestor) {
  Write("proc/self/cgroup", "9:name=systemd:/\n4:cpu,memory:/jobs/a\n");
  Write("cg/memory/jobs/a/memory.limit_in_bytes", "9223372036854771712\n");
  Write("cg/memory/jobs/memory.limit_in_bytes", "8589934592\n");
  absl::StatusOr<MemoryLimit> limit = ProcessMemoryLimit(Proc(), Cgroup());
  ASSERT_TRUE(limit.ok()) << limit.status();
  EXPECT_EQ(limit->bytes, int64_t{8} << 30);
  EXPECT_NE(limit->source.find("cgroup v1"), std::string::npos)
      << limit->source;
  EXPECT_NE(limit->source.find("jobs/memory.limit_in_bytes"), std::string::npos)
      << limit->source;
}

TEST_F(ProcessMemoryTest, CgroupV2SmallestOnThePath) {
  Write("proc/self/cgroup", "0::/a/b\n");
  Write("cg/a/b/memory.max", "max\n");
  Write("cg/a/memory.max", "12884901888\n");
  Write("cg/memory.max", "17179869184\n");
  absl::StatusOr<MemoryLimit> limit = ProcessMemoryLimit(Proc(), Cgroup());
  ASSERT_TRUE(limit.ok()) << limit.status();
  EXPECT_EQ(limit->bytes, int64_t{12} << 30);
  EXPECT_NE(limit->source.find("cgroup v2 memory.max"), std::string::npos)
      << limit->source;
}

TEST_F(ProcessMemoryTest, MissingMeminfoIsAnError) {
  fs::remove(root_ / "proc/meminfo");
  EXPECT_FALSE(ProcessMemoryLimit(Proc(), Cgroup()).ok());
}

TEST(ProcessMemory, ThisProcessHasAPeakAndALimit) {
  EXPECT_GT(PeakResidentBytes().value_or(0), 0);
  absl::StatusOr<MemoryLimit> limit = ProcessMemoryLimit();
  ASSERT_TRUE(limit.ok()) << limit.status();
  EXPECT_GT(limit->bytes, int64_t{1} << 26);
}

TEST(ParseByteCount, SuffixesAndErrors) {
  EXPECT_EQ(ParseByteCount("memory_limit", "12G").value(), int64_t{12} << 30);
  EXPECT_EQ(ParseByteCount("memory_limit", "12GiB").value(), int64_t{12} << 30);
  EXPECT_EQ(ParseByteCount("memory_limit", "800m").value(), int64_t{800} << 20);
  EXPECT_EQ(ParseByteCount("memory_limit", "1.5G").value(), int64_t{3} << 29);
  EXPECT_EQ(ParseByteCount("memory_limit", "1048576").value(), 1048576);
  for (const char* bad : {"", "G", "-1G", "12X", "lots", "0"}) {
    absl::StatusOr<int64_t> r = ParseByteCount("memory_limit", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--memory_limit="), std::string::npos);
  }
}

}  // namespace
}  // namespace facet
