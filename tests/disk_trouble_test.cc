// Issue 14, scenario 8: the model repository on a full and on a read-only
// filesystem. Each test mounts a small tmpfs (needs root; skipped with a
// message otherwise), puts the repository there and runs the real trainer or
// server against it:
//   - the trainer reports every failed publish and checkpoint (naming the
//     file and the system error), counts them by reason on /metrics, keeps
//     training, leaves no partial version or staging folder, keeps its last
//     good training state, and publishes again once the disk recovers;
//   - the server keeps serving the version it has, stays healthy, and logs
//     why it cannot write its lease.
// The tmpfs is unmounted (lazily, so a straggler cannot block it) in
// TearDown, also when a test fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/repository/model_repository.h"
#include "core/repository/serving_lease.h"
#include "tests/server/server_process.h"
#include "tests/util/subprocess.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace {

namespace fs = std::filesystem;
using server_test::HttpGet;
using server_test::MetricValue;
using std::chrono::seconds;

constexpr char kModel[] = "m";
constexpr char kSize[] = "size=6m";

class DiskTroubleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root to mount a tmpfs (running as uid "
                   << geteuid() << ")";
    }
    dir_ = testing::MakeTempDir("facet-disk");
    ASSERT_FALSE(dir_.empty());
    mount_ = dir_ + "/mnt";
    fs::create_directories(mount_);
    if (mount("tmpfs", mount_.c_str(), "tmpfs", 0, kSize) != 0) {
      const int err = errno;
      fs::remove_all(dir_);
      dir_.clear();
      GTEST_SKIP() << "cannot mount a tmpfs at " << mount_ << ": "
                   << std::strerror(err);
    }
    mounted_ = true;
    repo_ = mount_ + "/repo";
  }

  void TearDown() override {
    if (mounted_ && umount2(mount_.c_str(), MNT_DETACH) != 0) {
      ADD_FAILURE() << "cannot unmount " << mount_ << ": "
                    << std::strerror(errno);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Writes a filler file until the tmpfs is full.
  void FillDisk() {
    std::FILE* f = std::fopen((mount_ + "/filler").c_str(), "wb");
    ASSERT_NE(f, nullptr) << std::strerror(errno);
    std::setvbuf(f, nullptr, _IONBF, 0);
    const std::string chunk(4096, 'x');
    while (std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
    }
    const int err = errno;
    std::fclose(f);
    ASSERT_EQ(err, ENOSPC) << std::strerror(err);
  }
  void FreeDisk() { fs::remove(mount_ + "/filler"); }

  // Remounts read-only, retrying while a writer holds a file open (EBUSY).
  void Remount(bool read_only) {
    const unsigned long flags = MS_REMOUNT | (read_only ? MS_RDONLY : 0);
    const absl::Time end = absl::Now() + absl::Seconds(10);
    while (mount(nullptr, mount_.c_str(), nullptr, flags, kSize) != 0) {
      ASSERT_EQ(errno, EBUSY)
          << "remount " << mount_ << ": " << std::strerror(errno);
      ASSERT_LT(absl::Now(), end) << "remount " << mount_ << " stayed busy";
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  std::string dir_, mount_, repo_;
  bool mounted_ = false;
};

// --- Trainer ----------------------------------------------------------------

std::string TrainerPath() { return testing::TrainerBinary(); }

// Publishes and checkpoints every 5 steps of the tiny network, for ever.
std::vector<std::string> TrainArgs(const std::string& to) {
  return {TrainerPath(),
          "train",
          "--to=" + to,
          "--preset=tiny",
          "--threads=1",
          "--loader_threads=1",
          "--seed=1",
          "--batch_size=2",
          "--steps=1000000",
          "--publish_every=5",
          "--checkpoint_every=5",
          "--val_every=0",
          "--val_batches=1",
          "--keep_versions=3",
          "--metrics_port=0",
          "--log_every=1"};
}

int MetricsPort(const testing::Subprocess& p) {
  std::smatch m;
  const std::string log = p.Log();
  if (!std::regex_search(log, m, std::regex("metrics_port=([0-9]+)")))
    return -1;
  return std::stoi(m[1]);
}

double TrainerMetric(int port, const std::string& series) {
  absl::StatusOr<std::string> text = HttpGet(port, "/metrics");
  return text.ok() ? MetricValue(*text, series) : -1;
}

// Waits until `metric` on the trainer's /metrics is at least `value`.
bool WaitForMetric(int port, const std::string& series, double value,
                   absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (TrainerMetric(port, series) >= value) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// Counts the log lines containing `text`.
int CountLines(const std::string& log, const std::string& text) {
  int n = 0;
  for (size_t at = log.find(text); at != std::string::npos;
       at = log.find(text, at + 1))
    ++n;
  return n;
}

// Every version listed is complete and valid; no staging folder is left.
void ExpectOnlyCompleteVersions(const std::string& repo) {
  auto repository = ModelRepository::Create(repo);
  ASSERT_TRUE(repository.ok()) << repository.status();
  auto versions = (*repository)->ListVersions(kModel);
  ASSERT_TRUE(versions.ok()) << versions.status();
  EXPECT_FALSE(versions->empty());
  for (int64_t v : *versions) {
    EXPECT_TRUE(ModelRepository::ValidateVersionDir(
                    (*repository)->VersionDir(kModel, v))
                    .ok())
        << "version " << v;
  }
  for (const auto& entry : fs::directory_iterator(repo + "/" + kModel)) {
    EXPECT_NE(entry.path().filename().string().rfind(kStagingPrefix, 0), 0u)
        << "staging folder left: " << entry.path();
  }
}

// The training state folder holds exactly one complete checkpoint, the one
// LATEST names, and no staging folder; returns its name.
std::string CompleteCheckpoint(const std::string& dir) {
  std::ifstream latest(dir + "/LATEST");
  std::string name;
  std::getline(latest, name);
  EXPECT_FALSE(name.empty()) << dir << "/LATEST";
  for (const char* file :
       {"weights.safetensors", "optimizer.pt", "state.json"}) {
    EXPECT_TRUE(fs::is_regular_file(dir + "/" + name + "/" + file))
        << name << "/" << file;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string n = entry.path().filename().string();
    EXPECT_TRUE(n == name || n == "LATEST") << "unexpected " << entry.path();
  }
  return name;
}

// The shared scenario: train until a version is published, break the disk
// with `breakage`, check the trainer reports, counts and goes on, repair it
// with `repair`, check it publishes again, and stop it cleanly.
void TrainThroughDiskTrouble(const std::string& dir, const std::string& repo,
                             const std::function<void()>& breakage,
                             const std::function<void()>& repair,
                             const std::string& reason,
                             const std::string& error_text) {
  testing::Subprocess trainer(TrainArgs(repo + "/" + kModel),
                              dir + "/train.log");
  ASSERT_TRUE(trainer.WaitForLog("published version=1 ", seconds(40)))
      << trainer.Log();
  const int port = MetricsPort(trainer);
  ASSERT_GT(port, 0) << trainer.Log();
  const std::string state_dir = repo + "/.train-" + kModel;
  ASSERT_TRUE(trainer.WaitForLog("published version=2 ", seconds(20)))
      << trainer.Log();
  // Step 10's checkpoint follows its publish: let it land first.
  const absl::Time saved_by = absl::Now() + absl::Seconds(20);
  auto latest = [&] {
    std::ifstream in(state_dir + "/LATEST");
    std::string name;
    std::getline(in, name);
    return name;
  };
  while (latest() != "ckpt-10" && absl::Now() < saved_by)
    absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(latest(), "ckpt-10") << trainer.Log();

  breakage();
  const std::string publish_failures =
      absl::StrCat("facet_trainer_publish_failures_total{rank=\"0\",reason=\"",
                   reason, "\"}");
  const std::string checkpoint_failures = absl::StrCat(
      "facet_trainer_checkpoint_failures_total{rank=\"0\",reason=\"", reason,
      "\"}");
  ASSERT_TRUE(WaitForMetric(port, publish_failures, 2, absl::Seconds(30)))
      << trainer.Log();
  ASSERT_TRUE(WaitForMetric(port, checkpoint_failures, 2, absl::Seconds(30)))
      << trainer.Log();
  // Training goes on through the failures.
  const double step = TrainerMetric(port, "facet_trainer_step{rank=\"0\"}");
  ASSERT_TRUE(WaitForMetric(port, "facet_trainer_step{rank=\"0\"}", step + 10,
                            absl::Seconds(30)))
      << trainer.Log();
  ASSERT_TRUE(WaitForMetric(port, publish_failures, 3, absl::Seconds(30)))
      << trainer.Log();
  const std::string log = trainer.Log();
  // Each report names a file under the repository and the system error.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex("warning: publish failed at step [0-9]+: .*")))
      << log;
  const std::string publish_line = m[0];
  EXPECT_NE(publish_line.find(repo + "/" + kModel), std::string::npos)
      << publish_line;
  EXPECT_NE(publish_line.find(error_text), std::string::npos) << publish_line;
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex("warning: checkpoint failed at step .*")))
      << log;
  const std::string checkpoint_line = m[0];
  EXPECT_NE(checkpoint_line.find(state_dir), std::string::npos)
      << checkpoint_line;
  EXPECT_NE(checkpoint_line.find(error_text), std::string::npos)
      << checkpoint_line;
  EXPECT_NE(checkpoint_line.find("previous training state stays"),
            std::string::npos);
  std::cerr << "trainer on a " << reason << " repository:\n  " << publish_line
            << "\n  " << checkpoint_line << "\n";
  // What was published, and the last good training state, are intact.
  ExpectOnlyCompleteVersions(repo);
  const std::string kept = CompleteCheckpoint(state_dir);
  EXPECT_EQ(kept, "ckpt-10") << "the last checkpoint before the trouble";

  repair();
  ASSERT_TRUE(trainer.WaitForLog("published version=3 ", seconds(30)))
      << trainer.Log();
  // Waits on LATEST alone: while the trainer runs, a checkpoint being
  // written has its staging folder, which CompleteCheckpoint rejects.
  const absl::Time end = absl::Now() + absl::Seconds(30);
  while (latest() == kept && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_NE(latest(), kept) << "checkpoints resume after the repair";
  trainer.Signal(SIGTERM);
  EXPECT_EQ(trainer.Wait(seconds(30)), 0) << trainer.Log();
  EXPECT_NE(CompleteCheckpoint(state_dir), kept);
  ExpectOnlyCompleteVersions(repo);
  EXPECT_EQ(CountLines(trainer.Log(), "error:"), 0) << trainer.Log();
}

TEST_F(DiskTroubleTest, TrainerKeepsTrainingOnAFullDisk) {
  TrainThroughDiskTrouble(
      dir_, repo_, [this] { FillDisk(); }, [this] { FreeDisk(); }, "no_space",
      std::strerror(ENOSPC));
}

TEST_F(DiskTroubleTest, TrainerKeepsTrainingOnAReadOnlyDisk) {
  TrainThroughDiskTrouble(
      dir_, repo_, [this] { Remount(/*read_only=*/true); },
      [this] { Remount(/*read_only=*/false); }, "read_only",
      std::strerror(EROFS));
}

// --- Server -----------------------------------------------------------------

v1::ParseRequest FaceRequest() {
  v1::ParseRequest request;
  request.mutable_image()->set_encoded(
      server_test::PngBytes(server_test::MakeFace(64, 64, 1)));
  return request;
}

// A request with a deadline; the version that answered, or -1.
int64_t ServedVersion(const server_test::ServerProcess& server) {
  auto stub = server.NewStub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  v1::ParseResponse response;
  grpc::Status s = stub->Parse(&context, FaceRequest(), &response);
  if (!s.ok()) {
    ADD_FAILURE() << "Parse: " << s.error_code() << " " << s.error_message();
    return -1;
  }
  return response.info().model_version();
}

TEST_F(DiskTroubleTest, ServerKeepsServingOnAFullThenReadOnlyDisk) {
  ASSERT_EQ(server_test::PublishVersion(repo_, kModel, 1), 1);
  auto server = server_test::ServerProcess::Start(
      {"--model_repository=" + repo_, "--model_name=" + std::string(kModel),
       "--rescan_interval_ms=100", "--adaptive_batching=false",
       // Every rescan writes the lease, so the full and the read-only disk
       // show at once rather than at the next refresh (75 s by default).
       "--lease_refresh_ms=0", "--max_batch_size=2"});
  ASSERT_TRUE(server.ok()) << server.status();
  server_test::ServerProcess& s = **server;
  const std::string model_dir = repo_ + "/" + kModel;
  const absl::Time end = absl::Now() + absl::Seconds(20);
  while (ListServingLeases(model_dir, kDefaultLeaseMaxAge).empty() &&
         absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(ListServingLeases(model_dir, kDefaultLeaseMaxAge).size(), 1u)
      << s.Log();
  EXPECT_EQ(ServedVersion(s), 1);

  FillDisk();
  ASSERT_TRUE(s.WaitForLog("event=lease_unwritable", absl::Seconds(20)))
      << s.Log();
  EXPECT_EQ(ServedVersion(s), 1);
  EXPECT_EQ(server_test::HealthStatus(s), 1) << "SERVING";

  FreeDisk();
  Remount(/*read_only=*/true);
  ASSERT_TRUE(s.WaitForLog(std::strerror(EROFS), absl::Seconds(20))) << s.Log();
  // Rescans go on against the read-only repository; the server keeps its
  // version and says it is healthy, because it is.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(ServedVersion(s), 1);
    absl::SleepFor(absl::Milliseconds(150));
  }
  EXPECT_EQ(server_test::HealthStatus(s), 1) << "SERVING";
  const std::string log = s.Log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex(".*event=lease_unwritable.*No space.*")))
      << log;
  std::cerr << "server, full disk:\n  " << m[0] << "\n";
  ASSERT_TRUE(std::regex_search(
      log, m, std::regex(".*event=lease_unwritable.*Read-only.*")))
      << log;
  std::cerr << "server, read-only disk:\n  " << m[0] << "\n";
  EXPECT_NE(std::string(m[0]).find(model_dir + "/" + kLeaseDirName),
            std::string::npos)
      << m[0];

  // Back to writable: a new version is picked up as usual.
  Remount(/*read_only=*/false);
  ASSERT_EQ(server_test::PublishVersion(repo_, kModel, 2), 2);
  ASSERT_TRUE(
      s.WaitForLog("event=model_serving model=m version=2", absl::Seconds(30)))
      << s.Log();
  EXPECT_EQ(ServedVersion(s), 2);
  s.Signal(SIGTERM);
  EXPECT_EQ(s.Wait(absl::Seconds(30)), 0) << s.Log();
}

}  // namespace
}  // namespace facet
