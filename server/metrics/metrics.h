// Metrics: the server's Prometheus series, behind narrow methods so that no
// other file includes prometheus-cpp. Served as text at
// http://<bind>/metrics by an embedded HTTP server (civetweb).
//
// Names carry the `facet_` prefix and their unit; durations are histograms
// (not summaries) in seconds, so they aggregate across replicas. Process
// series (resident memory, CPU seconds, open file descriptors, threads) are
// read from /proc at scrape time.
//
// Thread safety: every method may be called concurrently.
#ifndef FACET_SERVER_METRICS_METRICS_H_
#define FACET_SERVER_METRICS_METRICS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace facet {

// GPU memory of the device serving, from the CUDA caching allocator.
struct GpuMemorySample {
  double allocated_bytes = 0;
  double reserved_bytes = 0;
  double peak_allocated_bytes = 0;
  double total_bytes = 0;  // The device's memory.
};

struct MetricsOptions {
  // "host:port" the HTTP server binds; port 0 picks a free port (see
  // port()). An empty string registers the series without serving them
  // (tests). Default: "0.0.0.0:8501".
  std::string bind_address = "0.0.0.0:8501";
  // Read at each scrape for facet_gpu_memory_bytes{kind} and
  // facet_gpu_memory_total_bytes; unset, or nullopt (a CPU build or
  // device), exports the series without a value, so dashboards and alerts
  // need no change between CPU and GPU deployments.
  std::function<std::optional<GpuMemorySample>()> gpu_memory;
};

// Phases of one request, in seconds.
struct PhaseSeconds {
  double queue = 0;
  double preprocess = 0;
  double compute = 0;
  double postprocess = 0;
  double total = 0;
};

class Metrics {
 public:
  // Registers every series and starts the HTTP server. Unavailable if the
  // address cannot be bound (the message names it).
  static absl::StatusOr<std::unique_ptr<Metrics>> Create(
      const MetricsOptions& options);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The bound HTTP port, or 0 when not serving.
  int port() const;

  // One finished RPC (or stream item): `method` is "Parse", "Enhance",
  // "GetModelInfo" or "ParseStream"; `code` a gRPC code name ("OK",
  // "INVALID_ARGUMENT", ...). `phases` is observed only for code "OK".
  void ObserveRequest(const std::string& method, const std::string& code,
                      const PhaseSeconds* phases);
  // A request refused before compute; `reason` is one of "queue_full",
  // "deadline", "cancelled", "invalid_input", "unavailable".
  void CountRejection(const std::string& reason);
  void ObserveBatchSize(int size);
  void SetQueueDepth(int64_t depth);
  void AddInflight(int delta);

  // The model now served (version 0 for a single file) and how it runs
  // (`engine` "torch"/"onednn", `precision` "fp32"/...); replaces the
  // previous version's info series.
  void SetModel(const std::string& name, int64_t version,
                const std::string& device, const std::string& engine,
                const std::string& precision);
  // The largest batch the batcher forms on the version served
  // (facet_effective_max_batch_size).
  void SetEffectiveMaxBatchSize(int size);
  // Seconds from process start to the first SERVING (facet_startup_seconds).
  void SetStartupSeconds(double seconds);
  // One load attempt: `result` "success" or "failure".
  void ObserveModelLoad(const std::string& result, double seconds);

 private:
  struct Impl;
  explicit Metrics(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facet

#endif  // FACET_SERVER_METRICS_METRICS_H_
