#include "server/manager/version_source.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

std::string TempDir() {
  std::string templ = ::testing::TempDir() + "/facet_source_XXXXXX";
  std::vector<char> buffer(templ.begin(), templ.end());
  buffer.push_back('\0');
  EXPECT_NE(mkdtemp(buffer.data()), nullptr);
  return buffer.data();
}

TEST(VersionSourceTest, ScanListsVersionFoldersNewestFirst) {
  const std::string root = TempDir();
  const std::string dir = root + "/m";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  for (const char* name : {"1", "12", "3", ".staging-1-x", "07", "notes"}) {
    ASSERT_EQ(mkdir((dir + "/" + name).c_str(), 0755), 0);
  }
  // A version name on a file is not a version (the repository decides).
  std::ofstream(dir + "/5") << "not a folder";
  auto repo = ModelRepository::OpenUnchecked(root);
  auto state = VersionSource::Scan(*repo, "m", VersionPolicy());
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->versions, (std::vector<int64_t>{12, 3, 1}));
  EXPECT_EQ(state->policy.ToString(), "latest");

  std::ofstream(dir + "/" + kPolicyFileName) << "pin 3\n";
  state = VersionSource::Scan(*repo, "m", VersionPolicy());
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->policy.ToString(), "pinned:3");
  // A bad file keeps the previous policy.
  std::ofstream(dir + "/" + kPolicyFileName) << "pin three\n";
  state = VersionSource::Scan(*repo, "m",
                              VersionPolicy{VersionPolicy::Kind::kPinned, 3});
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->policy.ToString(), "pinned:3");

  EXPECT_TRUE(absl::IsNotFound(
      VersionSource::Scan(*repo, "missing", VersionPolicy()).status()));
}

// New folders are reported through inotify well before the (long) rescan,
// also after the watched folder was deleted and created again.
TEST(VersionSourceTest, ReportsChangesAndRearmsAfterDelete) {
  const std::string root = TempDir();
  const std::string dir = root + "/model";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  auto repo = ModelRepository::OpenUnchecked(root);
  absl::Mutex mu;
  std::vector<int64_t> last;
  int calls = 0;
  VersionSourceOptions options;
  options.repository = repo.get();
  options.model = "model";
  options.rescan_interval = absl::Seconds(30);
  auto source = VersionSource::Create(options, [&](const AspiredVersions& a) {
    absl::MutexLock lock(&mu);
    last = a.versions;
    ++calls;
  });
  ASSERT_TRUE(source.ok());
  auto wait_for = [&](std::vector<int64_t> want) {
    absl::MutexLock lock(&mu);
    auto done = [&] { return last == want; };
    return mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(5));
  };
  EXPECT_TRUE(wait_for({}));
  ASSERT_EQ(mkdir((dir + "/1").c_str(), 0755), 0);
  EXPECT_TRUE(wait_for({1}));
  ASSERT_EQ(mkdir((dir + "/2").c_str(), 0755), 0);
  EXPECT_TRUE(wait_for({2, 1}));
  ASSERT_EQ(system(("rm -rf " + dir).c_str()), 0);
  EXPECT_TRUE(wait_for({}));
  absl::SleepFor(absl::Milliseconds(100));  // The source settles in poll().
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  // The 30 s rescan is far too slow for this wait: the parent's watch sees
  // the folder come back and the folder's watch is re-armed.
  ASSERT_EQ(mkdir((dir + "/5").c_str(), 0755), 0);
  EXPECT_TRUE(wait_for({5})) << "watch not re-armed after delete";
}

// Nothing changes, yet after_unchanged_scan runs at every rescan (the
// model manager refreshes its serving lease there) and the version callback
// runs only once.
TEST(VersionSourceTest, AfterUnchangedScanRunsAtEveryRescan) {
  const std::string root = TempDir();
  const std::string dir = root + "/model";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/1").c_str(), 0755), 0);
  auto repo = ModelRepository::OpenUnchecked(root);
  absl::Mutex mu;
  int callbacks = 0, idle_scans = 0;
  VersionSourceOptions options;
  options.repository = repo.get();
  options.model = "model";
  options.rescan_interval = absl::Milliseconds(10);
  options.after_unchanged_scan = [&] {
    absl::MutexLock lock(&mu);
    ++idle_scans;
  };
  auto source = VersionSource::Create(options, [&](const AspiredVersions&) {
    absl::MutexLock lock(&mu);
    ++callbacks;
  });
  ASSERT_TRUE(source.ok()) << source.status();
  absl::MutexLock lock(&mu);
  auto enough = [&] { return idle_scans >= 5; };
  EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20)));
  EXPECT_EQ(callbacks, 1);
}

}  // namespace
}  // namespace facet
