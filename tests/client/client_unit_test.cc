// FaceClient's options, retries and concurrency helper, and the CLI's
// pure pieces (bench statistics, input expansion), without a server.

#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "client/cli/bench_stats.h"
#include "client/cli/cli_common.h"
#include "client/cli/info_text.h"
#include "client/facet_client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/client/client_test_util.h"
#include "tests/util/free_port.h"
#include "tests/util/test_files.h"

namespace facet {
namespace {

// `facet-client info`'s text: the effective max batch size the server
// reports is printed beside the configured one; a server too old to report
// it (0) gets the configured one alone.
TEST(ModelInfoTextTest, PrintsTheEffectiveMaxBatchSizeWhenReported) {
  v1::GetModelInfoResponse info;
  info.set_model_name("facet");
  info.set_version(3);
  info.set_version_policy("latest");
  info.set_device("cpu");
  info.set_precision("fp32");
  info.set_engine("onednn");
  info.set_max_batch_size(8);
  info.set_effective_max_batch_size(2);
  info.mutable_config()->set_in_size(128);
  v1::Label* skin = info.add_labels();
  skin->set_id(1);
  skin->set_name("skin");
  const std::string text = ModelInfoText(info);
  EXPECT_NE(text.find("model      facet version 3 (latest)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("device     cpu, fp32, onednn engine, max batch 8 "
                      "(effective 2)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("labels     1:skin\n"), std::string::npos) << text;

  info.clear_effective_max_batch_size();
  const std::string old_server = ModelInfoText(info);
  EXPECT_NE(old_server.find(", max batch 8\n"), std::string::npos)
      << old_server;
  EXPECT_EQ(old_server.find("effective"), std::string::npos) << old_server;
}

TEST(PercentileTest, NearestRank) {
  const std::vector<double> values = {5, 1, 4, 2, 3, 6, 7, 8, 9, 10};
  EXPECT_EQ(Percentile(values, 50), 5);
  EXPECT_EQ(Percentile(values, 90), 9);
  EXPECT_EQ(Percentile(values, 95), 10);
  EXPECT_EQ(Percentile(values, 99), 10);
  EXPECT_EQ(Percentile(values, 0), 1);
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({7}, 99), 7);
}

WindowStats Window(double throughput, double p95, int64_t ok = 10) {
  WindowStats w;
  w.seconds = 1;
  w.ok = ok;
  w.throughput = throughput;
  w.p95_ms = p95;
  return w;
}

TEST(WindowsStableTest, Table) {
  struct Case {
    std::string name;
    std::vector<WindowStats> windows;
    bool stable;
  };
  const std::vector<Case> cases = {
      {"too few", {Window(100, 10), Window(100, 10)}, false},
      {"steady", {Window(100, 10), Window(104, 10.5), Window(98, 9.8)}, true},
      {"only the last three count",
       {Window(10, 90), Window(100, 10), Window(104, 10.5), Window(98, 9.8)},
       true},
      {"throughput drifts",
       {Window(80, 10), Window(100, 10), Window(120, 10)},
       false},
      {"latency drifts",
       {Window(100, 8), Window(100, 10), Window(100, 13)},
       false},
      {"no successes",
       {Window(0, 0, 0), Window(0, 0, 0), Window(0, 0, 0)},
       false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(WindowsStable(c.windows, 3, 0.10), c.stable) << c.name;
  }
}

TEST(ParseSweepTest, Table) {
  struct Case {
    std::string spec;
    std::vector<int> levels;  // Empty: an error is expected.
  };
  const std::vector<Case> cases = {
      {"", {4}},      {"1,2,8", {1, 2, 8}}, {"1:7:2", {1, 3, 5, 7}},
      {"3:3:1", {3}}, {"0,2", {}},          {"1:5:0", {}},
      {"5:1:1", {}},  {"a,b", {}},          {"1:2", {}},
      {"1,2000", {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<int>> levels = ParseSweep(c.spec, 4);
    if (c.levels.empty()) {
      EXPECT_EQ(levels.status().code(), absl::StatusCode::kInvalidArgument)
          << c.spec;
    } else {
      ASSERT_TRUE(levels.ok()) << c.spec << ": " << levels.status();
      EXPECT_EQ(*levels, c.levels) << c.spec;
    }
  }
}

TEST(ExpandInputsTest, FilesFoldersAndMissingPaths) {
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_client");
  ASSERT_EQ(mkdir((dir + "/sub").c_str(), 0755), 0);
  testing::WriteFile(dir + "/b.png", "x");
  testing::WriteFile(dir + "/a.jpg", "x");
  testing::WriteFile(dir + "/.hidden", "x");
  testing::WriteFile(dir + "/sub/c.png", "x");
  std::vector<InputFile> flat =
      ExpandInputs({dir + "/", dir + "/sub/c.png", dir + "/missing"}, false);
  ASSERT_EQ(flat.size(), 4u);
  EXPECT_EQ(flat[0].path, dir + "/a.jpg");
  EXPECT_EQ(flat[1].path, dir + "/b.png");
  EXPECT_EQ(flat[2].path, dir + "/sub/c.png");
  EXPECT_EQ(flat[3].status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(flat[3].status.message().find("missing"), std::string::npos);
  EXPECT_EQ(ExpandInputs({dir}, true).size(), 3u);
}

TEST(UniqueStemTest, DisambiguatesRepeatedNames) {
  std::set<std::string> used;
  EXPECT_EQ(UniqueStem("x/face.png", &used), "face");
  EXPECT_EQ(UniqueStem("y/face.jpg", &used), "face_2");
  EXPECT_EQ(UniqueStem("z/face", &used), "face_3");
  EXPECT_EQ(UniqueStem("archive.tar.gz", &used), "archive.tar");
  EXPECT_EQ(UniqueStem(".png", &used), ".png");
}

TEST(IsUnreachableTest, OnlyUnavailableAndDeadlineMeanUnreachable) {
  struct Case {
    absl::StatusCode code;
    bool unreachable;
  };
  const std::vector<Case> cases = {
      {absl::StatusCode::kUnavailable, true},
      {absl::StatusCode::kDeadlineExceeded, true},
      {absl::StatusCode::kOk, false},
      {absl::StatusCode::kInvalidArgument, false},
      {absl::StatusCode::kResourceExhausted, false},
      {absl::StatusCode::kInternal, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsUnreachable(c.code), c.unreachable) << CodeName(c.code);
  }
}

TEST(RunConcurrentlyTest, RunsEveryIndexOnceWithBoundedThreads) {
  for (int concurrency : {1, 3, 64}) {
    std::vector<std::atomic<int>> seen(50);
    std::atomic<int> in_flight{0}, peak{0};
    RunConcurrently(seen.size(), concurrency, [&](size_t i) {
      const int now = ++in_flight;
      int old = peak.load();
      while (now > old && !peak.compare_exchange_weak(old, now)) {
      }
      absl::SleepFor(absl::Milliseconds(1));
      ++seen[i];
      --in_flight;
    });
    for (const auto& s : seen) EXPECT_EQ(s.load(), 1);
    EXPECT_LE(peak.load(), concurrency);
  }
  RunConcurrently(0, 4, [](size_t) { FAIL(); });
}

TEST(FaceClientTest, RejectsBadOptions) {
  struct Case {
    std::string name;
    ClientOptions options;
    std::string in_message;
  };
  std::vector<Case> cases(6);
  cases[0] = {"empty target", {}, "target is empty"};
  cases[0].options.target = "";
  cases[1] = {"attempts", {}, "max_attempts is 0"};
  cases[1].options.max_attempts = 0;
  cases[2] = {"deadline", {}, "deadline"};
  cases[2].options.deadline = absl::ZeroDuration();
  cases[3] = {"cert without key", {}, "--tls_key"};
  cases[3].options.tls = true;
  cases[3].options.tls_cert = "/x.pem";
  cases[4] = {"files without tls", {}, "--tls"};
  cases[4].options.tls_ca = "/x.pem";
  cases[5] = {"missing ca", {}, "/nonexistent/ca.pem"};
  cases[5].options.tls = true;
  cases[5].options.tls_ca = "/nonexistent/ca.pem";
  for (const Case& c : cases) {
    auto client = FaceClient::Create(c.options);
    EXPECT_FALSE(client.ok()) << c.name;
    EXPECT_NE(client.status().message().find(c.in_message), std::string::npos)
        << c.name << ": " << client.status();
  }
}

TEST(FaceClientTest, RetriesUnavailableWithBackoffThenExplains) {
  // Nothing listens on this port: every attempt is UNAVAILABLE at once.
  ClientOptions options;
  options.target = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  options.max_attempts = 3;
  options.initial_backoff = absl::Milliseconds(100);
  auto client = FaceClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  const absl::Time start = absl::Now();
  auto info = (*client)->GetModelInfo();
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(info.status().message().find("(3 attempts)"), std::string::npos)
      << info.status();
  EXPECT_NE(info.status().message().find(options.target), std::string::npos);
  // Two backoffs: 100 ms and 200 ms, each jittered by at most 20 %.
  EXPECT_GE(took, absl::Milliseconds(240));
  EXPECT_LT(took, absl::Seconds(5));

  // The deadline bounds the retries: no wait starts past it.
  options.max_attempts = 100;
  options.deadline = absl::Milliseconds(500);
  auto bounded = FaceClient::Create(options);
  ASSERT_TRUE(bounded.ok());
  const absl::Time again = absl::Now();
  EXPECT_FALSE((*bounded)->GetModelInfo().ok());
  EXPECT_LT(absl::Now() - again, absl::Milliseconds(900));
  EXPECT_FALSE(IsRetryable(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(IsRetryable(absl::StatusCode::kResourceExhausted));
}

// An in-process FaceService that fails the first `failures` Parse calls
// with `code`, then answers OK; counts the calls it sees.
class ScriptedService final : public v1::FaceService::Service {
 public:
  ScriptedService(grpc::StatusCode code, int failures)
      : code_(code), failures_(failures) {}
  grpc::Status Parse(grpc::ServerContext*, const v1::ParseRequest*,
                     v1::ParseResponse* response) override {
    if (calls_++ < failures_) return grpc::Status(code_, "scripted failure");
    response->mutable_info()->set_model_version(7);
    return grpc::Status::OK;
  }
  int calls() const { return calls_; }

 private:
  const grpc::StatusCode code_;
  const int failures_;
  std::atomic<int> calls_{0};
};

// Serves `service` on a kernel-chosen loopback port; sets *target to it.
std::unique_ptr<grpc::Server> StartLoopbackServer(grpc::Service* service,
                                                  std::string* target) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  *target = "127.0.0.1:" + std::to_string(port);
  return server;
}

TEST(FaceClientTest, RetriesOnlyRetryableCodesUpToTheLimit) {
  struct Case {
    std::string name;
    grpc::StatusCode code;
    int failures;
    absl::StatusCode expected;
    int expected_calls;
  };
  const std::vector<Case> cases = {
      {"queue full twice", grpc::StatusCode::RESOURCE_EXHAUSTED, 2,
       absl::StatusCode::kOk, 3},
      {"unavailable once", grpc::StatusCode::UNAVAILABLE, 1,
       absl::StatusCode::kOk, 2},
      {"queue full always", grpc::StatusCode::RESOURCE_EXHAUSTED, 100,
       absl::StatusCode::kResourceExhausted, 4},
      {"bad input", grpc::StatusCode::INVALID_ARGUMENT, 100,
       absl::StatusCode::kInvalidArgument, 1},
  };
  for (const Case& c : cases) {
    ScriptedService service(c.code, c.failures);
    ClientOptions options;
    std::unique_ptr<grpc::Server> server =
        StartLoopbackServer(&service, &options.target);
    ASSERT_NE(server, nullptr);
    options.initial_backoff = absl::Milliseconds(5);
    auto client = FaceClient::Create(options);
    ASSERT_TRUE(client.ok()) << client.status();
    auto response = (*client)->Parse(v1::ParseRequest());
    EXPECT_EQ(response.status().code(), c.expected) << c.name;
    EXPECT_EQ(service.calls(), c.expected_calls) << c.name;
    if (response.ok()) EXPECT_EQ(response->info().model_version(), 7);
    if (!response.ok()) {
      EXPECT_NE(response.status().message().find("scripted failure"),
                std::string::npos)
          << response.status();
    }
    server->Shutdown();
  }
}

TEST(FaceClientTest, ParseManyKeepsOrderAndReportsEachCompletion) {
  ScriptedService service(grpc::StatusCode::INVALID_ARGUMENT, 0);
  ClientOptions options;
  std::unique_ptr<grpc::Server> server =
      StartLoopbackServer(&service, &options.target);
  ASSERT_NE(server, nullptr);
  auto client = FaceClient::Create(options);
  ASSERT_TRUE(client.ok());
  std::vector<int> done(20, 0);
  auto results = (*client)->ParseMany(
      std::vector<v1::ParseRequest>(20), 4,
      [&](size_t i, const absl::StatusOr<v1::ParseResponse>& r) {
        EXPECT_TRUE(r.ok());
        ++done[i];
      });
  ASSERT_EQ(results.size(), 20u);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].ok()) << i;
    EXPECT_EQ(done[i], 1) << i;
  }
  EXPECT_EQ(service.calls(), 20);
  server->Shutdown();
}

}  // namespace
}  // namespace facet
