// A running facet-server marks the version it serves with a lease in the
// repository, and the trainer's retention keeps that version even when
// every other rule would delete it; the lease goes when the server exits.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <set>

#include "absl/time/clock.h"
#include "core/repository/model_repository.h"
#include "core/repository/retention.h"
#include "core/repository/serving_lease.h"
#include "tests/server/server_process.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace server_test {
namespace {

namespace fs = std::filesystem;

constexpr char kModel[] = "faces";

// Waits until a live lease names `version`; returns the lease holder or "".
std::string WaitForLease(const std::string& model_dir, int64_t version,
                         absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    for (const ServingLease& lease : ListServingLeases(model_dir, kDefaultLeaseMaxAge)) {
      if (lease.version == version) return lease.holder;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return "";
}

TEST(LeaseTest, RetentionKeepsWhatARunningServerServes) {
  const std::string repo = testing::MakeTempDir("facet-lease");
  const std::string model_dir = repo + "/" + kModel;
  ASSERT_EQ(PublishVersion(repo, kModel, 1), 1);
  auto server = ServerProcess::Start({"--model_repository=" + repo,
                                      "--model_name=" + std::string(kModel),
                                      "--rescan_interval_ms=200"});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string holder = WaitForLease(model_dir, 1);
  ASSERT_FALSE(holder.empty()) << (*server)->Log();

  // Versions 2-4 pass the repository's validation (finite weights) but the
  // server rejects them at load (their outputs overflow), so it keeps
  // serving version 1: old, not pinned, not the newest valid version. Only
  // its lease can keep retention from deleting it.
  for (uint32_t seed = 2; seed <= 4; ++seed) {
    PublishVersion(repo, kModel, seed, /*scale=*/1e30f);
  }
  auto stub = (*server)->NewStub();
  const absl::Time end = absl::Now() + absl::Seconds(30);
  v1::GetModelInfoResponse info;
  while (absl::Now() < end) {
    grpc::ClientContext context;
    info.Clear();
    if (stub->GetModelInfo(&context, {}, &info).ok() && info.failed_versions_size() == 3) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(info.failed_versions_size(), 3) << (*server)->Log();
  ASSERT_EQ(info.version(), 1);

  auto repository = ModelRepository::Create(repo);
  ASSERT_TRUE(repository.ok());
  RetentionOptions options;
  options.keep = 1;
  auto plan = RetainVersions(**repository, kModel, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto versions = (*repository)->ListVersions(kModel);
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(std::set<int64_t>(versions->begin(), versions->end()),
            (std::set<int64_t>{4, 1}));
  ASSERT_EQ(plan->protected_, std::vector<int64_t>{1});
  EXPECT_EQ(plan->reasons[0], "served (live lease)");

  (*server)->Signal(SIGTERM);
  (*server)->Wait(absl::Seconds(30));
  EXPECT_FALSE(fs::exists(model_dir + "/" + kLeaseDirName + "/" + holder))
      << "lease left behind by a server that exited cleanly";
  fs::remove_all(repo);
}

}  // namespace
}  // namespace server_test
}  // namespace facet
