// The Prometheus side of the metrics: deploy/prometheus/ passes promtool,
// the server's /metrics passes `promtool check metrics`, and a real
// Prometheus using deploy/prometheus/prometheus.yml scrapes a test server.
// Skipped when Debian's `prometheus` package is not installed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/server/server_process.h"
#include "tests/util/free_port.h"
#include "tests/util/test_files.h"

namespace facet {
namespace server_test {
namespace {

bool HaveTool(const char* tool) {
  return std::system(
             absl::StrCat("command -v ", tool, " >/dev/null 2>&1").c_str()) ==
         0;
}

// Runs `command`; returns its exit code and fills *output (stdout+stderr).
int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  output->clear();
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output->append(buffer, n);
  }
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::unique_ptr<ServerProcess> StartServer() {
  const std::string repo = testing::MakeTempDirRemovedAtExit("facet_prom_repo");
  EXPECT_EQ(PublishVersion(repo, "faces", 1), 1);
  auto server =
      ServerProcess::Start({"--model_repository=" + repo, "--model_name=faces",
                            "--device=cpu", "--intra_op_threads=1"});
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  auto stub = (*server)->NewStub();
  const absl::Time end = absl::Now() + absl::Seconds(30);
  while (absl::Now() < end) {
    grpc::ClientContext context;
    v1::ParseRequest request;
    request.mutable_image()->set_encoded(PngBytes(MakeFace(16, 16, 1)));
    v1::ParseResponse response;
    if (stub->Parse(&context, request, &response).ok()) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return std::move(server).value();
}

TEST(PrometheusTest, DeployConfigAndRulesPassPromtool) {
  if (!HaveTool("promtool")) GTEST_SKIP() << "promtool not installed";
  std::string output;
  EXPECT_EQ(RunCommand("promtool check config " + testing::SourceDir() +
                           "/deploy/prometheus/prometheus.yml",
                       &output),
            0)
      << output;
  EXPECT_EQ(RunCommand("promtool check rules " + testing::SourceDir() +
                           "/deploy/prometheus/facet_rules.yml",
                       &output),
            0)
      << output;
}

TEST(PrometheusTest, MetricsPassPromtoolLint) {
  if (!HaveTool("promtool")) GTEST_SKIP() << "promtool not installed";
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto metrics = HttpGet(server->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  const std::string path =
      testing::MakeTempDirRemovedAtExit("facet_prom_lint") + "/metrics.txt";
  std::ofstream(path) << *metrics;
  std::string output;
  EXPECT_EQ(RunCommand("promtool check metrics < " + path, &output), 0)
      << output;
  EXPECT_EQ(output.find("summary"), std::string::npos) << output;
}

// A real Prometheus with our config (target and intervals rewritten) scrapes
// the server and sees its request counter.
TEST(PrometheusTest, PrometheusScrapesTheServer) {
  if (!HaveTool("prometheus") || !HaveTool("promtool")) {
    GTEST_SKIP() << "prometheus not installed";
  }
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  std::ifstream in(testing::SourceDir() + "/deploy/prometheus/prometheus.yml");
  std::stringstream text;
  text << in.rdbuf();
  const std::string dir = testing::MakeTempDirRemovedAtExit("facet_prometheus");
  const std::string config = absl::StrReplaceAll(
      text.str(),
      {{"localhost:8501", absl::StrCat("127.0.0.1:", server->metrics_port())},
       {"scrape_interval: 15s", "scrape_interval: 200ms"},
       {"evaluation_interval: 15s", "evaluation_interval: 200ms"},
       {"- facet_rules.yml",
        "- " + testing::SourceDir() + "/deploy/prometheus/facet_rules.yml"}});
  std::ofstream(dir + "/prometheus.yml") << config;
  const int port = testing::FreeLoopbackPort();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    freopen((dir + "/prometheus.log").c_str(), "w", stderr);
    const std::string config_flag = "--config.file=" + dir + "/prometheus.yml";
    const std::string storage = "--storage.tsdb.path=" + dir + "/data";
    const std::string listen =
        absl::StrCat("--web.listen-address=127.0.0.1:", port);
    execlp("prometheus", "prometheus", config_flag.c_str(), storage.c_str(),
           listen.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string output;
  bool seen = false;
  const absl::Time end = absl::Now() + absl::Seconds(40);
  while (!seen && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(300));
    RunCommand(
        absl::StrCat("promtool query instant http://127.0.0.1:", port,
                     " 'facet_requests_total{method=\"Parse\",code=\"OK\"}'"),
        &output);
    seen = output.find("facet_requests_total") != std::string::npos;
  }
  kill(-pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  EXPECT_TRUE(seen) << output;
  RunCommand(absl::StrCat("cat ", dir, "/prometheus.log | tail -5"), &output);
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace server_test
}  // namespace facet
