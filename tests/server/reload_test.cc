// Health through load and reload, hot reload under traffic, rejected
// versions, pin and rollback: one server watching a repository that the test
// publishes into.
#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/util/test_files.h"

namespace facet {
namespace server_test {
namespace {

constexpr char kModel[] = "faces";

// Polls GetModelInfo until `predicate` holds; returns the last answer.
v1::GetModelInfoResponse WaitForInfo(
    v1::FaceService::Stub* stub,
    const std::function<bool(const v1::GetModelInfoResponse&)>& predicate,
    absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time end = absl::Now() + timeout;
  v1::GetModelInfoResponse info;
  while (absl::Now() < end) {
    grpc::ClientContext context;
    info.Clear();
    if (stub->GetModelInfo(&context, {}, &info).ok() && predicate(info)) {
      return info;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return info;
}

void WritePolicy(const std::string& repo, const std::string& text) {
  const std::string path = repo + "/" + kModel + "/serving_policy.txt";
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text << "\n";
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
}

// Sends Parse requests in a loop on a thread; counts failures and versions.
class Traffic {
 public:
  explicit Traffic(const ServerProcess& server) : stub_(server.NewStub()) {
    thread_ = std::thread([this] {
      v1::ParseRequest request;
      request.mutable_image()->set_encoded(PngBytes(MakeFace(48, 48, 3)));
      while (!stop_) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(20));
        v1::ParseResponse response;
        grpc::Status status = stub_->Parse(&context, request, &response);
        if (status.ok()) {
          ++ok_;
          last_version_ = response.info().model_version();
        } else {
          ++failed_;
          absl::MutexLock lock(&mu_);
          last_error_ = status.error_message();
        }
      }
    });
  }
  ~Traffic() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }
  int64_t last_version() const { return last_version_; }
  std::string last_error() {
    absl::MutexLock lock(&mu_);
    return last_error_;
  }

 private:
  std::unique_ptr<v1::FaceService::Stub> stub_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::atomic<int64_t> last_version_{-1};
  absl::Mutex mu_;
  std::string last_error_;
  std::thread thread_;
};

TEST(ReloadTest, LoadsReloadsRejectsPinsAndRollsBack) {
  const std::string repo =
      testing::MakeTempDirRemovedAtExit("facet_reload_repo");
  auto started = ServerProcess::Start(
      {"--model_repository=" + repo, std::string("--model_name=") + kModel,
       "--device=cpu", "--max_batch_size=2", "--max_queue_delay_us=1000",
       "--rescan_interval_ms=300", "--intra_op_threads=1"});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  auto stub = server.NewStub();

  // Nothing published: up, but NOT_SERVING and UNAVAILABLE.
  EXPECT_EQ(HealthStatus(server), 2);
  {
    grpc::ClientContext context;
    v1::ParseRequest request;
    request.mutable_image()->set_encoded(PngBytes(MakeFace(8, 8, 1)));
    v1::ParseResponse response;
    grpc::Status status = stub->Parse(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::UNAVAILABLE);
    EXPECT_NE(status.error_message().find("no model"), std::string::npos)
        << status.error_message();
  }

  // First version: loaded, SERVING.
  ASSERT_EQ(PublishVersion(repo, kModel, 1), 1);
  EXPECT_EQ(
      WaitForInfo(stub.get(), [](const auto& i) { return i.version() == 1; })
          .version(),
      1)
      << server.Log();
  const absl::Time end = absl::Now() + absl::Seconds(5);
  while (HealthStatus(server) != 1 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(HealthStatus(server), 1);

  Traffic traffic(server);
  // Hot reload under traffic: no request fails, answers move to version 2.
  ASSERT_EQ(PublishVersion(repo, kModel, 2), 2);
  EXPECT_EQ(
      WaitForInfo(stub.get(), [](const auto& i) { return i.version() == 2; })
          .version(),
      2)
      << server.Log();
  absl::Time until = absl::Now() + absl::Seconds(5);
  while (traffic.last_version() != 2 && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(traffic.last_version(), 2);

  // Pin to 1, then roll back (= newest but one = 1 again after unpinning
  // to latest = 2).
  WritePolicy(repo, "pin 1  # operator pinned");
  EXPECT_EQ(
      WaitForInfo(stub.get(), [](const auto& i) { return i.version() == 1; })
          .version_policy(),
      "pinned:1");
  WritePolicy(repo, "latest");
  EXPECT_EQ(
      WaitForInfo(stub.get(), [](const auto& i) { return i.version() == 2; })
          .version(),
      2);
  WritePolicy(repo, "rollback");
  v1::GetModelInfoResponse info =
      WaitForInfo(stub.get(), [](const auto& i) { return i.version() == 1; });
  EXPECT_EQ(info.version(), 1);
  EXPECT_EQ(info.version_policy(), "rollback");
  // A broken policy file keeps the previous policy.
  WritePolicy(repo, "serve whatever");
  EXPECT_TRUE(server.WaitForLog("event=policy_error", absl::Seconds(10)));
  WritePolicy(repo, "latest");
  EXPECT_EQ(WaitForInfo(stub.get(),
                        [](const auto& i) {
                          return i.version() == 2 &&
                                 i.version_policy() == "latest";
                        })
                .version(),
            2);

  // A corrupt version (checksum mismatch) and one whose outputs are not
  // finite are rejected, remembered, and the newest good one keeps serving.
  ASSERT_EQ(PublishVersion(repo, kModel, 3), 3);
  ASSERT_EQ(PublishVersion(repo, kModel, 4), 4);
  EXPECT_EQ(
      WaitForInfo(stub.get(), [](const auto& i) { return i.version() == 4; })
          .version(),
      4);
  // Version 5: a copy of 4 with its manifest renumbered and its weights
  // damaged after the checksum was taken, renamed into place atomically.
  const std::string model_dir = repo + "/" + kModel;
  const std::string staged = model_dir + "/.staging-manual";
  ASSERT_EQ(std::system(("cp -r " + model_dir + "/4 " + staged).c_str()), 0);
  {
    std::fstream weights(staged + "/weights.safetensors",
                         std::ios::in | std::ios::out | std::ios::binary);
    weights.seekp(-4, std::ios::end);
    weights.write("\x7f\x7f\x7f\x7f", 4);
  }
  ASSERT_EQ(std::system(("sed -i -E 's/\"version\": *4/\"version\": 5/' " +
                         staged + "/manifest.json")
                            .c_str()),
            0);
  ASSERT_EQ(std::rename(staged.c_str(), (model_dir + "/5").c_str()), 0);
  info = WaitForInfo(stub.get(), [](const auto& i) {
    for (int64_t v : i.failed_versions()) {
      if (v == 5) return true;
    }
    return false;
  });
  ASSERT_EQ(info.failed_versions_size(), 1) << server.Log();
  EXPECT_EQ(info.failed_versions(0), 5);
  EXPECT_EQ(info.version(), 4);  // The newest good one keeps serving.
  EXPECT_TRUE(server.WaitForLog("event=model_load_failed", absl::Seconds(1)));

  // Non-finite outputs from finite, huge weights.
  ASSERT_EQ(PublishVersion(repo, kModel, 6, 1e30f), 6);
  info = WaitForInfo(
      stub.get(), [](const auto& i) { return i.failed_versions_size() == 2; });
  ASSERT_EQ(info.failed_versions_size(), 2) << server.Log();
  EXPECT_EQ(info.failed_versions(1), 6);
  EXPECT_EQ(info.version(), 4);
  EXPECT_NE(server.Log().find("non-finite"), std::string::npos);
  EXPECT_EQ(HealthStatus(server), 1);

  traffic.Stop();
  EXPECT_EQ(traffic.failed(), 0) << traffic.last_error();
  EXPECT_GT(traffic.ok(), 10);

  auto metrics = HttpGet(server.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(
      MetricValue(*metrics, "facet_model_loads_total{result=\"failure\"}"), 2);
  EXPECT_GE(
      MetricValue(*metrics, "facet_model_loads_total{result=\"success\"}"), 5);
  EXPECT_EQ(MetricValue(*metrics, "facet_model_version"), 4);
}

// Each reload frees the version it replaces: resident memory after many
// reloads stays well below what keeping every version would cost.
TEST(ReloadTest, RepeatedReloadsDoNotGrowMemory) {
  // The demo's network: ~2 MB of weights a version.
  const NetConfig small = NetConfigPreset("small").value();
  int64_t weight_bytes = 0;
  for (const ParamSpec& spec : ExpectedStateDict(small)) {
    int64_t n = 1;
    for (int64_t d : spec.shape) n *= d;
    weight_bytes += n * 4;
  }
  const std::string repo =
      testing::MakeTempDirRemovedAtExit("facet_memory_repo");
  ASSERT_EQ(PublishVersion(repo, kModel, 1, 1.0f, small), 1);
  auto started = ServerProcess::Start(
      {"--model_repository=" + repo, std::string("--model_name=") + kModel,
       "--device=cpu", "--max_batch_size=2", "--max_queue_delay_us=0",
       "--rescan_interval_ms=300", "--intra_op_threads=1",
       // The same batch sizes warmed for every version: the batch-size
       // search's choice varies with machine load, and with it the
       // workspaces a version holds, which is not what this test measures.
       "--adaptive_batching=false", "--warmup_batch_sizes=1,2"},
      // A fixed mmap threshold makes glibc return every large block when it
      // is freed, so resident memory follows live memory rather than the
      // allocator's retained heap.
      {{"MALLOC_MMAP_THRESHOLD_", "65536"}});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  auto stub = server.NewStub();
  v1::ParseRequest request;
  request.mutable_image()->set_encoded(PngBytes(MakeFace(64, 64, 1)));
  auto rss = [&] {
    auto metrics = HttpGet(server.metrics_port(), "/metrics");
    return metrics.ok()
               ? MetricValue(*metrics, "facet_process_resident_memory_bytes")
               : -1;
  };
  constexpr int kReloads = 8;
  constexpr int kSettled = 3;  // Allocator pools have grown by then.
  double settled_rss = 0;
  for (int v = 1; v <= kReloads; ++v) {
    if (v > 1) ASSERT_EQ(PublishVersion(repo, kModel, v, 1.0f, small), v);
    ASSERT_EQ(
        WaitForInfo(stub.get(), [v](const auto& i) { return i.version() == v; })
            .version(),
        v)
        << server.Log();
    grpc::ClientContext context;
    v1::ParseResponse response;
    ASSERT_TRUE(stub->Parse(&context, request, &response).ok());
    EXPECT_EQ(response.info().model_version(), v);
    if (v == kSettled) settled_rss = rss();
  }
  const double growth = rss() - settled_rss;
  const double kept_all =
      static_cast<double>(weight_bytes) * (kReloads - kSettled);
  std::cout << "rss growth " << growth << " bytes over " << kReloads - kSettled
            << " reloads; keeping every version would add ~" << kept_all
            << "\n";
  EXPECT_LT(growth, kept_all / 2)
      << "resident memory grew " << growth << " bytes over "
      << kReloads - kSettled << " reloads of " << weight_bytes
      << "-byte versions; log:\n"
      << server.Log();
}

}  // namespace
}  // namespace server_test
}  // namespace facet
