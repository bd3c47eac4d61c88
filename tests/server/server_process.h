// Test helpers for cross-process server tests: a facet-server child process
// on loopback ports chosen by the server (port 0, read back from its log),
// a temporary model repository with random tiny-network versions, a plain
// HTTP GET for /metrics, and gRPC stubs.
//
// The child runs in its own process group and is killed (SIGKILL) when the
// ServerProcess is destroyed, so a failing test never leaves it behind.
#ifndef FACET_TESTS_SERVER_SERVER_PROCESS_H_
#define FACET_TESTS_SERVER_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"
#include "facet/v1/facet.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "opencv2/core/mat.hpp"

namespace facet {
namespace server_test {

// The 64 px test network (testing::TinyNetConfig()).
NetConfig TinyConfig();

// Random weights for `config`: convolutions uniform in +-scale/sqrt(fan_in),
// BatchNorm at identity. `scale` 1e30 makes outputs overflow.
RawTensorMap RandomWeights(const NetConfig& config, uint32_t seed,
                           float scale = 1.0f);

// Publishes RandomWeights(config, seed, scale) as the next version of
// `model` under `repo`; returns the version. Fails the test on error.
int64_t PublishVersion(const std::string& repo, const std::string& model,
                       uint32_t seed, float scale = 1.0f,
                       const NetConfig& config = TinyConfig());

// RGB test images: smooth, seeded, any size.
cv::Mat MakeFace(int width, int height, uint32_t seed);
std::string PngBytes(const cv::Mat& rgb);

class ServerProcess {
 public:
  // Starts facet-server (the one built with the tests, or
  // $FACET_SERVER_BINARY) with
  // `args` plus --port=0 --metrics_port=0 --host=127.0.0.1, extra
  // environment `env`, and waits up to `timeout` for its ready line. A
  // child that exits first gives Internal with its exit status and log.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::vector<std::string>& args,
      const std::map<std::string, std::string>& env = {},
      absl::Duration timeout = absl::Seconds(60));
  ~ServerProcess();  // SIGKILLs the group if still running.

  pid_t pid() const { return pid_; }
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  std::string address() const;
  // The child's combined stdout/stderr so far.
  std::string Log() const;
  // Waits until the log contains `text`; true iff it did within `timeout`.
  bool WaitForLog(const std::string& text, absl::Duration timeout) const;

  // Sends `signal` to the child's group.
  void Signal(int signal);
  // Waits for the child to exit; returns its exit status (as from
  // waitpid's WEXITSTATUS, or 128+signal), or -1 on timeout.
  int Wait(absl::Duration timeout);

  std::unique_ptr<v1::FaceService::Stub> NewStub() const;
  std::unique_ptr<grpc::health::v1::Health::Stub> NewHealthStub() const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string log_path_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
};

// The body of GET http://127.0.0.1:<port><path>, or an error.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

// The value of the series `series` (exact text before the value, labels
// included) in Prometheus text `metrics`, or -1 if absent.
double MetricValue(const std::string& metrics, const std::string& series);

// grpc.health.v1 status of "" (the whole server), or -1 on an RPC error.
int HealthStatus(const ServerProcess& server);

}  // namespace server_test
}  // namespace facet

#endif  // FACET_TESTS_SERVER_SERVER_PROCESS_H_
