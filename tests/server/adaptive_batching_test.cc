// Adaptive batching, thread budget and start-up reporting, each against its
// own facet-server process serving a tiny published version: the measured
// effective max batch size reaches GetModelInfo, the gauge and the log, the
// batcher never forms a larger batch, a lone request does not wait for a
// batch, a reload measures again, and the thread counts and the start-up
// time are logged and exported.
#include <atomic>
#include <cstdlib>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/engine/face_engine_factory.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/util/test_files.h"

namespace facet {
namespace server_test {
namespace {

constexpr char kModel[] = "faces";

struct Served {
  std::string repo;
  std::unique_ptr<ServerProcess> server;
};

// Publishes version 1 and starts a server on it with `extra` flags; waits
// for SERVING.
Served StartServing(const std::vector<std::string>& extra) {
  Served s;
  s.repo = testing::MakeTempDirRemovedAtExit("facet_adaptive_repo");
  EXPECT_EQ(PublishVersion(s.repo, kModel, 1), 1);
  std::vector<std::string> args = {"--model_repository=" + s.repo,
                                   std::string("--model_name=") + kModel,
                                   "--device=cpu", "--rescan_interval_ms=300"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto server = ServerProcess::Start(args);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return s;
  s.server = std::move(server).value();
  EXPECT_TRUE(s.server->WaitForLog("serving=SERVING", absl::Seconds(60)))
      << s.server->Log();
  return s;
}

v1::GetModelInfoResponse Info(const ServerProcess& server) {
  auto stub = server.NewStub();
  grpc::ClientContext context;
  v1::GetModelInfoResponse info;
  grpc::Status status = stub->GetModelInfo(&context, {}, &info);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return info;
}

std::string Metrics(const ServerProcess& server) {
  auto metrics = HttpGet(server.metrics_port(), "/metrics");
  EXPECT_TRUE(metrics.ok()) << metrics.status();
  return metrics.ok() ? *metrics : "";
}

v1::ParseRequest SmallRequest(uint32_t seed) {
  v1::ParseRequest request;
  request.mutable_image()->set_encoded(PngBytes(MakeFace(40, 40, seed)));
  return request;
}

// Sends `n` Parse requests at once; returns each one's batch size (0 for a
// failed request).
std::vector<int> ConcurrentBatchSizes(const ServerProcess& server, int n) {
  std::vector<int> sizes(n, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      auto stub = server.NewStub();
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(30));
      v1::ParseResponse response;
      if (stub->Parse(&context, SmallRequest(i), &response).ok()) {
        sizes[i] = response.info().timings().batch_size();
      }
    });
  }
  for (auto& t : threads) t.join();
  return sizes;
}

// Default flags: the size is measured, lies in [1, max_batch_size], and is
// the same in GetModelInfo, the gauge and the log line; engine and
// precision are in GetModelInfo and facet_model_info; the start-up time is
// logged and exported.
TEST(AdaptiveBatchingTest, MeasuredSizeIsReportedEverywhere) {
  Served s = StartServing({"--max_batch_size=4"});
  ASSERT_NE(s.server, nullptr);
  const v1::GetModelInfoResponse info = Info(*s.server);
  EXPECT_EQ(info.max_batch_size(), 4);
  EXPECT_GE(info.effective_max_batch_size(), 1);
  EXPECT_LE(info.effective_max_batch_size(), 4);
  const std::string log = s.server->Log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      log, m,
      std::regex("event=batch_size_chosen model=faces version=1 "
                 "effective_max_batch_size=(\\d+) max_batch_size=4 "
                 "adaptive=1 images_per_s=\"1:[0-9.e+]+")))
      << log;
  EXPECT_EQ(std::stoi(m[1]), info.effective_max_batch_size());

  EXPECT_TRUE(info.engine() == "torch" || info.engine() == "onednn")
      << info.engine();
  EXPECT_EQ(info.precision(), "fp32");
  const std::string metrics = Metrics(*s.server);
  EXPECT_EQ(MetricValue(metrics, "facet_effective_max_batch_size"),
            info.effective_max_batch_size());
  EXPECT_NE(metrics.find(absl::StrCat(
                "facet_model_info{device=\"cpu\",engine=\"", info.engine(),
                "\",model=\"faces\",precision=\"fp32\",version=\"1\"} 1")),
            std::string::npos)
      << metrics;
  const double startup = MetricValue(metrics, "facet_startup_seconds");
  EXPECT_GT(startup, 0);
  EXPECT_LT(startup, 120);
  EXPECT_NE(log.find("event=first_serving startup_seconds="),
            std::string::npos);
}

// An injected effective size of 1 (no larger batch can show a gain of
// 1e9) means no batch of 2 ever forms, though 8 are allowed and a batch
// may wait 0.5 s to fill: every response and the batch-size histogram say
// so.
TEST(AdaptiveBatchingTest, EffectiveSizeOneNeverFormsLargerBatches) {
  Served s = StartServing({"--max_batch_size=8", "--max_queue_delay_us=500000",
                           "--batch_size_min_gain=1e9"});
  ASSERT_NE(s.server, nullptr);
  EXPECT_EQ(Info(*s.server).effective_max_batch_size(), 1);
  EXPECT_EQ(MetricValue(Metrics(*s.server), "facet_effective_max_batch_size"),
            1);
  for (int round = 0; round < 3; ++round) {
    for (int size : ConcurrentBatchSizes(*s.server, 6)) EXPECT_EQ(size, 1);
  }
  const std::string metrics = Metrics(*s.server);
  const double batches = MetricValue(metrics, "facet_batch_size_count");
  EXPECT_GE(batches, 18);
  EXPECT_EQ(MetricValue(metrics, "facet_batch_size_bucket{le=\"1\"}"),
            batches);
}

// An effective size equal to --max_batch_size (every size accepted) still
// batches concurrent requests, never beyond it.
TEST(AdaptiveBatchingTest, LargerEffectiveSizeBatches) {
  Served s = StartServing({"--max_batch_size=4", "--max_queue_delay_us=200000",
                           "--batch_size_min_gain=-1"});
  ASSERT_NE(s.server, nullptr);
  EXPECT_EQ(Info(*s.server).effective_max_batch_size(), 4);
  EXPECT_NE(s.server->Log().find("images_per_s=\"1:"), std::string::npos);
  int largest = 0;
  for (int attempt = 0; attempt < 5 && largest < 2; ++attempt) {
    for (int size : ConcurrentBatchSizes(*s.server, 6)) {
      EXPECT_GE(size, 1);
      EXPECT_LE(size, 4);
      largest = std::max(largest, size);
    }
  }
  EXPECT_GE(largest, 2) << "concurrent requests were never batched";
}

// A request alone in the server runs at once although its batch could grow
// and may wait 5 s; sequential Parse and Enhance calls each find themselves
// alone (the in-flight count goes back down after each).
TEST(AdaptiveBatchingTest, LoneRequestDoesNotWaitForABatch) {
  Served s = StartServing({"--max_batch_size=4",
                           "--max_queue_delay_us=5000000",
                           "--batch_size_min_gain=-1"});
  ASSERT_NE(s.server, nullptr);
  auto stub = s.server->NewStub();
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    v1::ParseResponse response;
    ASSERT_TRUE(stub->Parse(&context, SmallRequest(i), &response).ok());
    EXPECT_LT(response.info().timings().queue_us(), 1000000) << "parse " << i;
    grpc::ClientContext enhance_context;
    v1::EnhanceRequest enhance;
    enhance.mutable_image()->set_encoded(PngBytes(MakeFace(24, 24, i)));
    v1::EnhanceResponse enhanced;
    ASSERT_TRUE(stub->Enhance(&enhance_context, enhance, &enhanced).ok());
    EXPECT_LT(enhanced.info().timings().queue_us(), 1000000)
        << "enhance " << i;
  }
}

// --adaptive_batching=false: nothing is measured; the effective size is
// --max_batch_size.
TEST(AdaptiveBatchingTest, OffUsesMaxBatchSize) {
  Served s = StartServing({"--max_batch_size=3", "--adaptive_batching=false"});
  ASSERT_NE(s.server, nullptr);
  EXPECT_EQ(Info(*s.server).effective_max_batch_size(), 3);
  EXPECT_EQ(MetricValue(Metrics(*s.server), "facet_effective_max_batch_size"),
            3);
  EXPECT_NE(s.server->Log().find("effective_max_batch_size=3 "
                                 "max_batch_size=3 adaptive=0 "
                                 "images_per_s=\"\""),
            std::string::npos)
      << s.server->Log();
}

// Each loaded version is measured: a reload logs a new decision.
TEST(AdaptiveBatchingTest, ReloadMeasuresAgain) {
  Served s = StartServing({"--max_batch_size=2"});
  ASSERT_NE(s.server, nullptr);
  ASSERT_EQ(PublishVersion(s.repo, kModel, 2), 2);
  ASSERT_TRUE(s.server->WaitForLog(
      "event=batch_size_chosen model=faces version=2", absl::Seconds(60)))
      << s.server->Log();
  const absl::Time end = absl::Now() + absl::Seconds(30);
  v1::GetModelInfoResponse info;
  while (absl::Now() < end) {
    info = Info(*s.server);
    if (info.version() == 2) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(info.version(), 2);
  EXPECT_GE(info.effective_max_batch_size(), 1);
  EXPECT_LE(info.effective_max_batch_size(), 2);
}

// By default the forward gets every usable core; the counts are logged.
TEST(ServerThreadsTest, ForwardGetsEveryUsableCoreAndItIsLogged) {
  Served s = StartServing({});
  ASSERT_NE(s.server, nullptr);
  const int cores = UsableCores();
  const std::string log = s.server->Log();
  EXPECT_NE(log.find(absl::StrCat("usable_cores=", cores, " io_threads=",
                                  std::max(1, cores / 4),
                                  " intra_op_threads=", cores,
                                  " execution_threads=1")),
            std::string::npos)
      << log;
  // OpenMP's idle threads spin briefly unless the environment says
  // otherwise (core/engine/openmp_wait.h).
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  const std::string openmp =
      policy ? absl::StrCat("OMP_WAIT_POLICY=", policy)
             : absl::StrCat("GOMP_SPINCOUNT=", spin ? spin : "1000");
  EXPECT_NE(log.find(absl::StrCat("openmp=\"", openmp, "\"")),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(absl::StrCat("threads=", cores)), std::string::npos)
      << "the engine's own description should show " << cores
      << " threads:\n"
      << log;
}

}  // namespace
}  // namespace server_test
}  // namespace facet
