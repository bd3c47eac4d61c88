// ServerCore: creates facet-server's parts from their options, wires them
// (metrics -> model manager -> batcher -> health -> service -> gRPC server)
// and takes them down again, the role of TF Serving's ServerCore, so that
// main() only reads flags and waits for a signal.
//
// Life: Create (the gRPC port is bound and "event=ready" logged on
// success) -> Wait (blocks while serving) -> Drain from another thread
// (SIGTERM: NOT_SERVING, drain_delay, then refuse new RPCs and give the
// in-flight ones drain_grace) makes Wait return -> Stop (the batcher runs
// what is queued and stops) -> destruction, in reverse order of creation.
//
// Thread safety: Drain may be called from any thread while Wait blocks;
// the rest from the owning thread.
#ifndef FACET_SERVER_SERVER_CORE_H_
#define FACET_SERVER_SERVER_CORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/batching/batcher.h"
#include "server/health/health_reporter.h"
#include "server/manager/model_manager.h"
#include "server/metrics/metrics.h"
#include "server/service/face_service_impl.h"
#include "server/tls_credentials.h"

namespace facet {

struct ServerCoreOptions {
  std::string host = "0.0.0.0";          // Address of gRPC and /metrics.
  int port = 8500;                       // gRPC port; 0 picks a free one.
  int64_t max_message_bytes = 32 << 20;  // Largest gRPC message.
  TlsFiles tls;                          // None named: plaintext.
  // The parts' options. The core fills in what links the parts (metrics
  // pointers, the batcher's model provider, the service's collaborators).
  MetricsOptions metrics;
  ModelManagerOptions manager;
  BatcherOptions batcher;
  FaceServiceOptions service;
  // Drain on SIGTERM: NOT_SERVING this long before refusing connections,
  // then this long for in-flight requests. Default: 0, 10 s.
  absl::Duration drain_delay = absl::ZeroDuration();
  absl::Duration drain_grace = absl::Seconds(10);
  // For the "event=ready" line only.
  int usable_cores = 0;
  bool adaptive_batching = false;
  // When main() started: startup time is measured from the process start
  // (/proc), or from here where /proc cannot be read.
  absl::Time main_start = absl::Now();
};

class ServerCore {
 public:
  // Checks the TLS files, starts metrics, the model manager (loading in
  // the background), the batcher and health, and binds the gRPC port.
  // Errors name the flag: InvalidArgument or NotFound for TLS files,
  // Unavailable when the port cannot be bound, or the part's error.
  static absl::StatusOr<std::unique_ptr<ServerCore>> Create(
      const ServerCoreOptions& options);
  ~ServerCore();
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  int grpc_port() const { return grpc_port_; }

  // Blocks until the gRPC server has shut down (after Drain).
  void Wait();
  // Reports NOT_SERVING, waits drain_delay, then shuts the gRPC server down
  // with drain_grace for in-flight RPCs (and so their queued tasks). Call
  // once; `signal` is logged.
  void Drain(int signal);
  // After Wait: detaches health from the gone gRPC server and stops the
  // batcher (it runs what is queued first).
  void Stop();

 private:
  explicit ServerCore(const ServerCoreOptions& options) : options_(options) {}
  // Health changes: logged, the first SERVING sets the startup metric, and
  // forwarded to grpc.health.v1 while the gRPC server exists.
  void OnHealthChange(bool serving);
  // Sets grpc.health.v1's status while the gRPC server exists.
  void PublishHealth(bool serving);

  const ServerCoreOptions options_;
  // Declared before the parts so that they outlive the health reporter.
  bool served_ = false;  // Only touched by OnHealthChange, never concurrently.
  absl::Mutex health_mu_;
  grpc::HealthCheckServiceInterface* health_service_
      ABSL_GUARDED_BY(health_mu_) = nullptr;
  // The parts, in order of creation; destroyed in reverse.
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<HealthReporter> health_;
  std::unique_ptr<FaceServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
};

}  // namespace facet

#endif  // FACET_SERVER_SERVER_CORE_H_
