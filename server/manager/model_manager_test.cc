// ModelManager with an injected loader and no file watching: the test hands
// it the versions present (SetAspiredVersions) and controls each load.
#include "server/manager/model_manager.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "core/repository/serving_lease.h"
#include "gtest/gtest.h"
#include "tests/util/fake_clock.h"
#include "tests/util/fake_face_engine.h"

namespace facet {
namespace {

std::string TempRepository() {
  std::string root = ::testing::TempDir() + "/facet_manager_XXXXXX";
  EXPECT_NE(mkdtemp(root.data()), nullptr);
  EXPECT_EQ(mkdir((root + "/m").c_str(), 0755), 0);
  return root;
}

// A loader that succeeds for every version except those in `failing`,
// counting its calls per version.
class FakeLoader {
 public:
  absl::StatusOr<ModelHandle> Load(const std::string& path,
                                   const std::string& name, int64_t version) {
    absl::MutexLock lock(&mu_);
    ++calls_[version];
    paths_[version] = path;
    if (failing_.count(version) > 0) {
      return absl::DataLossError("fake: version " + std::to_string(version) +
                                 " is corrupt");
    }
    return testing::MakeFakeModel(name, version);
  }
  void Fail(int64_t version) {
    absl::MutexLock lock(&mu_);
    failing_.insert(version);
  }
  int calls(int64_t version) {
    absl::MutexLock lock(&mu_);
    return calls_[version];
  }
  std::string path(int64_t version) {
    absl::MutexLock lock(&mu_);
    return paths_[version];
  }

 private:
  absl::Mutex mu_;
  std::set<int64_t> failing_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, int> calls_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, std::string> paths_ ABSL_GUARDED_BY(mu_);
};

std::unique_ptr<ModelManager> MakeManager(
    const std::string& root,
    std::function<absl::StatusOr<ModelHandle>(const std::string&,
                                              const std::string&, int64_t)>
        load) {
  ModelManagerOptions options;
  options.repository_root = root;
  options.model_name = "m";
  options.watch_repository = false;
  options.load_model = std::move(load);
  auto manager = ModelManager::Create(options);
  EXPECT_TRUE(manager.ok()) << manager.status();
  return std::move(manager).value();
}

// Options for a manager of model "m" in `root` that loads through `loader`
// and does not watch the folder.
ModelManagerOptions LoaderOptions(const std::string& root, FakeLoader* loader) {
  ModelManagerOptions options;
  options.repository_root = root;
  options.model_name = "m";
  options.watch_repository = false;
  options.load_model = [loader](const std::string& p, const std::string& n,
                                int64_t v) { return loader->Load(p, n, v); };
  return options;
}

AspiredVersions Versions(std::vector<int64_t> versions,
                         VersionPolicy policy = VersionPolicy()) {
  return AspiredVersions{std::move(versions), policy};
}

TEST(ModelManagerTest, LoadsTheNewestVersionFromItsFolder) {
  const std::string root = TempRepository();
  FakeLoader loader;
  auto manager =
      MakeManager(root, [&](const std::string& p, const std::string& n,
                            int64_t v) { return loader.Load(p, n, v); });
  EXPECT_EQ(manager->Current(), nullptr);
  manager->SetAspiredVersions(Versions({3, 2, 1}));
  ASSERT_NE(manager->Current(), nullptr);
  EXPECT_EQ(manager->Current()->version, 3);
  EXPECT_EQ(loader.path(3), root + "/m/3");
  EXPECT_EQ(loader.calls(2), 0);
  // Nothing newer: nothing loads again.
  manager->SetAspiredVersions(Versions({3, 2, 1}));
  EXPECT_EQ(loader.calls(3), 1);
  EXPECT_EQ(manager->PolicyString(), "latest");
}

// The old version serves until the new one has loaded and warmed up.
TEST(ModelManagerTest, SwapsOnlyAfterTheNewVersionIsWarm) {
  const std::string root = TempRepository();
  absl::Notification loading, release;
  auto manager =
      MakeManager(root,
                  [&](const std::string&, const std::string& name,
                      int64_t v) -> absl::StatusOr<ModelHandle> {
                    if (v == 2) {
                      loading.Notify();
                      release.WaitForNotification();  // Warm-up in progress.
                    }
                    return testing::MakeFakeModel(name, v);
                  });
  manager->SetAspiredVersions(Versions({1}));
  ASSERT_EQ(manager->Current()->version, 1);
  std::thread reload([&] { manager->SetAspiredVersions(Versions({2, 1})); });
  loading.WaitForNotification();
  EXPECT_EQ(manager->Current()->version, 1) << "swapped before warm-up";
  release.Notify();
  reload.join();
  EXPECT_EQ(manager->Current()->version, 2);
}

// A version that fails keeps the old one serving, is remembered and is not
// retried; an older candidate is tried next.
TEST(ModelManagerTest, FailedLoadKeepsTheOldVersion) {
  const std::string root = TempRepository();
  FakeLoader loader;
  auto manager =
      MakeManager(root, [&](const std::string& p, const std::string& n,
                            int64_t v) { return loader.Load(p, n, v); });
  manager->SetAspiredVersions(Versions({1}));
  loader.Fail(3);
  manager->SetAspiredVersions(Versions({3, 1}));
  EXPECT_EQ(manager->Current()->version, 1);
  EXPECT_EQ(manager->FailedVersions(), (std::vector<int64_t>{3}));
  manager->SetAspiredVersions(Versions({3, 1}));
  EXPECT_EQ(loader.calls(3), 1) << "a failed version was retried";
  loader.Fail(5);
  manager->SetAspiredVersions(Versions({5, 4, 3, 1}));
  EXPECT_EQ(manager->Current()->version, 4);
  EXPECT_EQ(manager->FailedVersions(), (std::vector<int64_t>{3, 5}));
}

// A pinned version is served even when newer ones exist, and nothing is
// loaded when the pinned one is absent.
TEST(ModelManagerTest, FollowsThePolicy) {
  const std::string root = TempRepository();
  FakeLoader loader;
  auto manager =
      MakeManager(root, [&](const std::string& p, const std::string& n,
                            int64_t v) { return loader.Load(p, n, v); });
  const VersionPolicy pin2{VersionPolicy::Kind::kPinned, 2};
  manager->SetAspiredVersions(Versions({3, 2, 1}, pin2));
  EXPECT_EQ(manager->Current()->version, 2);
  EXPECT_EQ(manager->PolicyString(), "pinned:2");
  const VersionPolicy pin9{VersionPolicy::Kind::kPinned, 9};
  manager->SetAspiredVersions(Versions({3, 2, 1}, pin9));
  EXPECT_EQ(manager->Current()->version, 2);  // Nothing better to load.
  EXPECT_EQ(loader.calls(3), 0);
}

TEST(ModelManagerTest, RejectsBadOptions) {
  ModelManagerOptions none;
  EXPECT_TRUE(absl::IsInvalidArgument(ModelManager::Create(none).status()));
  ModelManagerOptions bad_name;
  bad_name.repository_root = "/tmp";
  bad_name.model_name = "../etc";
  absl::Status status = ModelManager::Create(bad_name).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_NE(status.message().find("--model_name"), std::string::npos);
  ModelManagerOptions lease_too_rare;
  lease_too_rare.repository_root = "/tmp";
  lease_too_rare.lease_refresh_interval = kDefaultLeaseMaxAge;
  status = ModelManager::Create(lease_too_rare).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_NE(status.message().find("lease refresh interval 5m"),
            std::string::npos)
      << status;
}

// A replaced version's memory goes back to the system (malloc_trim) on the
// manager's thread once its last handle is gone, not on the thread of the
// batch that dropped it, and once per version.
TEST(ModelManagerTest, ReturnsMemoryOfAReplacedVersionOnceItIsGone) {
  const std::string root = TempRepository();
  FakeLoader loader;
  std::atomic<int> returned{0};
  ModelManagerOptions options = LoaderOptions(root, &loader);
  options.return_freed_memory = [&returned] { ++returned; };
  auto created = ModelManager::Create(options);
  ASSERT_TRUE(created.ok()) << created.status();
  ModelManager& manager = **created;

  manager.SetAspiredVersions(Versions({1}));
  EXPECT_EQ(returned.load(), 0) << "nothing was replaced";
  ModelHandle in_flight = manager.Current();  // A batch on version 1.
  manager.SetAspiredVersions(Versions({2, 1}));
  ASSERT_EQ(manager.Current()->version, 2);
  EXPECT_EQ(returned.load(), 0) << "version 1 is still in use";
  in_flight.reset();  // The batch ends; its thread does not trim.
  EXPECT_EQ(returned.load(), 0);
  manager.SetAspiredVersions(Versions({2, 1}));  // The next scan does.
  EXPECT_EQ(returned.load(), 1);
  manager.SetAspiredVersions(Versions({2, 1}));
  EXPECT_EQ(returned.load(), 1) << "returned twice for one version";
  // No batch holds version 2: its memory goes back in the same scan.
  manager.SetAspiredVersions(Versions({3, 2, 1}));
  ASSERT_EQ(manager.Current()->version, 3);
  EXPECT_EQ(returned.load(), 2);
}

// The lease file's content, or "" when there is none.
std::string ReadLease(const std::string& model_dir) {
  std::ifstream in(model_dir + "/" + kLeaseDirName + "/" + ThisLeaseHolder());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Scans rewrite the lease (an fsync) only when the version served changed,
// the last write failed, or the last write is lease_refresh_interval old.
// The test removes the lease file between scans: it comes back only when
// the manager wrote it.
TEST(ModelManagerTest, RewritesTheLeaseOnlyWhenChangedFailedOrOld) {
  const std::string root = TempRepository();
  const std::string model_dir = root + "/m";
  const std::string lease_dir = model_dir + "/" + kLeaseDirName;
  const std::string lease = lease_dir + "/" + ThisLeaseHolder();
  testing::FakeClock clock;
  FakeLoader loader;
  ModelManagerOptions options = LoaderOptions(root, &loader);
  options.clock = &clock;
  options.lease_refresh_interval = absl::Seconds(75);
  auto created = ModelManager::Create(options);
  ASSERT_TRUE(created.ok()) << created.status();
  ModelManager& manager = **created;

  manager.SetAspiredVersions(Versions({1}));
  EXPECT_EQ(ReadLease(model_dir), "version 1\n");
  ASSERT_EQ(std::remove(lease.c_str()), 0);
  // Scans within the interval leave the (here: missing) lease alone.
  for (int i = 0; i < 3; ++i) {
    clock.Advance(absl::Seconds(20));
    manager.SetAspiredVersions(Versions({1}));
    EXPECT_EQ(ReadLease(model_dir), "")
        << "rewritten after " << 20 * (i + 1) << " s of a 75 s interval";
  }
  // 80 s after the write: refreshed.
  clock.Advance(absl::Seconds(20));
  manager.SetAspiredVersions(Versions({1}));
  EXPECT_EQ(ReadLease(model_dir), "version 1\n");

  // A new version is written at once.
  clock.Advance(absl::Seconds(1));
  manager.SetAspiredVersions(Versions({2, 1}));
  ASSERT_EQ(manager.Current()->version, 2);
  EXPECT_EQ(ReadLease(model_dir), "version 2\n");

  // A failed write (the lease folder is a file) is retried at the next scan,
  // 1 s later, not after the interval.
  ASSERT_EQ(std::remove(lease.c_str()), 0);
  ASSERT_EQ(rmdir(lease_dir.c_str()), 0);
  std::ofstream(lease_dir) << "in the way\n";
  clock.Advance(absl::Seconds(1));
  manager.SetAspiredVersions(Versions({3, 2, 1}));  // Fails: not a folder.
  ASSERT_EQ(manager.Current()->version, 3);
  ASSERT_EQ(std::remove(lease_dir.c_str()), 0);
  clock.Advance(absl::Seconds(1));
  manager.SetAspiredVersions(Versions({3, 2, 1}));
  EXPECT_EQ(ReadLease(model_dir), "version 3\n");
}

}  // namespace
}  // namespace facet
