#include "server/metrics/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <exception>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace facet {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// 100 us to ~100 s, doubling: covers a tiny CPU model and a 512 px batch.
Histogram::BucketBoundaries LatencyBuckets() {
  Histogram::BucketBoundaries b;
  for (double s = 1e-4; s < 120; s *= 2) b.push_back(s);
  return b;
}

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help,
                               double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Gauge;
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  family.metric.push_back(metric);
  return family;
}

// Process series from /proc/self, read at each scrape.
class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    std::ifstream stat("/proc/self/stat");
    std::string line;
    if (std::getline(stat, line)) {
      // Fields after the parenthesised command name; utime and stime are
      // fields 14 and 15, num_threads 20, rss 24 (1-based, man 5 proc).
      const size_t close = line.rfind(')');
      std::istringstream rest(
          close == std::string::npos ? std::string() : line.substr(close + 2));
      std::vector<std::string> f;
      std::string tok;
      while (rest >> tok) f.push_back(tok);
      if (f.size() > 21) {
        const double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
        out.push_back(Gauge("facet_process_cpu_seconds_total",
                            "User and system CPU time of the server.", cpu));
        out.back().type = prometheus::MetricType::Counter;
        out.back().metric[0].counter.value = cpu;
        out.push_back(
            Gauge("facet_process_threads", "OS threads.", std::stod(f[17])));
        out.push_back(Gauge("facet_process_resident_memory_bytes",
                            "Resident set size.", std::stod(f[21]) * page));
      }
    }
    int fds = 0;
    if (DIR* dir = opendir("/proc/self/fd")) {
      while (readdir(dir) != nullptr) ++fds;
      closedir(dir);
      fds -= 3;  // ".", ".." and the one opendir holds.
    }
    out.push_back(
        Gauge("facet_process_open_fds", "Open file descriptors.", fds));
    return out;
  }
};

// GPU memory, read at each scrape through MetricsOptions::gpu_memory.
class GpuMemoryCollector : public prometheus::Collectable {
 public:
  explicit GpuMemoryCollector(std::function<std::optional<GpuMemorySample>()> read)
      : read_(std::move(read)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily bytes;
    bytes.name = "facet_gpu_memory_bytes";
    bytes.help = "GPU memory of the CUDA caching allocator (kind: allocated, reserved, peak); "
                 "no value on CPU.";
    bytes.type = prometheus::MetricType::Gauge;
    prometheus::MetricFamily total = bytes;
    total.name = "facet_gpu_memory_total_bytes";
    total.help = "Memory of the GPU serving; no value on CPU.";
    const std::optional<GpuMemorySample> sample = read_ ? read_() : std::nullopt;
    if (sample) {
      const std::pair<const char*, double> kinds[] = {
          {"allocated", sample->allocated_bytes},
          {"reserved", sample->reserved_bytes},
          {"peak", sample->peak_allocated_bytes}};
      for (const auto& [kind, value] : kinds) {
        prometheus::ClientMetric metric;
        metric.label.push_back({"kind", kind});
        metric.gauge.value = value;
        bytes.metric.push_back(metric);
      }
      prometheus::ClientMetric metric;
      metric.gauge.value = sample->total_bytes;
      total.metric.push_back(metric);
    }
    return {bytes, total};
  }

 private:
  std::function<std::optional<GpuMemorySample>()> read_;
};

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry =
      std::make_shared<prometheus::Registry>();
  std::shared_ptr<ProcessCollector> process =
      std::make_shared<ProcessCollector>();
  std::shared_ptr<GpuMemoryCollector> gpu_memory;
  std::unique_ptr<prometheus::Exposer> exposer;

  prometheus::Family<prometheus::Counter>* requests;
  prometheus::Family<prometheus::Counter>* rejections;
  prometheus::Family<prometheus::Counter>* loads;
  Histogram* total;
  Histogram* queue;
  Histogram* preprocess;
  Histogram* compute;
  Histogram* postprocess;
  Histogram* batch_size;
  Histogram* load_seconds;
  prometheus::Gauge* queue_depth;
  prometheus::Gauge* inflight;
  prometheus::Gauge* model_version;
  prometheus::Gauge* effective_max_batch_size;
  prometheus::Gauge* startup_seconds;
  prometheus::Family<prometheus::Gauge>* model_info;

  absl::Mutex mu;
  prometheus::Gauge* current_info ABSL_GUARDED_BY(mu) = nullptr;
};

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Create(
    const MetricsOptions& options) {
  auto impl = std::make_unique<Impl>();
  auto& r = *impl->registry;
  impl->requests = &BuildCounter()
                        .Name("facet_requests_total")
                        .Help("Finished requests by method and gRPC code.")
                        .Register(r);
  impl->rejections = &BuildCounter()
                          .Name("facet_rejections_total")
                          .Help("Requests refused before compute, by reason.")
                          .Register(r);
  impl->loads = &BuildCounter()
                     .Name("facet_model_loads_total")
                     .Help("Model version load attempts by result.")
                     .Register(r);
  auto histogram = [&](const std::string& name, const std::string& help,
                       Histogram::BucketBoundaries buckets) {
    return &BuildHistogram().Name(name).Help(help).Register(r).Add(
        {}, std::move(buckets));
  };
  impl->total = histogram("facet_request_duration_seconds",
                          "Server-side time of a request.", LatencyBuckets());
  impl->queue = histogram("facet_queue_duration_seconds",
                          "Time waiting in the batch queue.", LatencyBuckets());
  impl->preprocess =
      histogram("facet_preprocess_duration_seconds",
                "Decode and resize to the network size.", LatencyBuckets());
  impl->compute = histogram("facet_compute_duration_seconds",
                            "Forward pass of the batch a request ran in.",
                            LatencyBuckets());
  impl->postprocess =
      histogram("facet_postprocess_duration_seconds",
                "Resize back, render and encode.", LatencyBuckets());
  impl->batch_size = histogram("facet_batch_size", "Faces per forward pass.",
                               {1, 2, 4, 8, 16, 32, 64});
  impl->load_seconds =
      histogram("facet_model_load_duration_seconds",
                "Load, validate and warm up one version.", LatencyBuckets());
  impl->queue_depth = &BuildGauge()
                           .Name("facet_queue_depth")
                           .Help("Tasks waiting in the batch queue.")
                           .Register(r)
                           .Add({});
  impl->inflight = &BuildGauge()
                        .Name("facet_inflight_requests")
                        .Help("Requests being handled.")
                        .Register(r)
                        .Add({});
  impl->model_version = &BuildGauge()
                             .Name("facet_model_version")
                             .Help("Version of the model served (0: file).")
                             .Register(r)
                             .Add({});
  impl->effective_max_batch_size =
      &BuildGauge()
           .Name("facet_effective_max_batch_size")
           .Help("Largest batch formed on the version served (measured at "
                 "load with adaptive batching, else --max_batch_size).")
           .Register(r)
           .Add({});
  impl->startup_seconds =
      &BuildGauge()
           .Name("facet_startup_seconds")
           .Help("Seconds from process start to the first SERVING (0 until "
                 "then).")
           .Register(r)
           .Add({});
  impl->model_info =
      &BuildGauge()
           .Name("facet_model_info")
           .Help("1 for the model served, by name, version, device, engine "
                 "and precision.")
           .Register(r);
  impl->gpu_memory = std::make_shared<GpuMemoryCollector>(options.gpu_memory);
  if (!options.bind_address.empty()) {
    try {
      impl->exposer = std::make_unique<prometheus::Exposer>(
          options.bind_address, /*num_threads=*/1);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve /metrics on --metrics_port address ",
                       options.bind_address, ": ", e.what()));
    }
    impl->exposer->RegisterCollectable(impl->registry);
    impl->exposer->RegisterCollectable(impl->process);
    impl->exposer->RegisterCollectable(impl->gpu_memory);
  }
  return std::unique_ptr<Metrics>(new Metrics(std::move(impl)));
}

Metrics::Metrics(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Metrics::~Metrics() = default;

int Metrics::port() const {
  if (!impl_->exposer) return 0;
  auto ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : ports[0];
}

void Metrics::ObserveRequest(const std::string& method, const std::string& code,
                             const PhaseSeconds* phases) {
  impl_->requests->Add({{"method", method}, {"code", code}}).Increment();
  if (phases == nullptr) return;
  impl_->total->Observe(phases->total);
  impl_->queue->Observe(phases->queue);
  impl_->preprocess->Observe(phases->preprocess);
  impl_->compute->Observe(phases->compute);
  impl_->postprocess->Observe(phases->postprocess);
}

void Metrics::CountRejection(const std::string& reason) {
  impl_->rejections->Add({{"reason", reason}}).Increment();
}

void Metrics::ObserveBatchSize(int size) { impl_->batch_size->Observe(size); }

void Metrics::SetQueueDepth(int64_t depth) {
  impl_->queue_depth->Set(static_cast<double>(depth));
}

void Metrics::AddInflight(int delta) { impl_->inflight->Increment(delta); }

void Metrics::SetModel(const std::string& name, int64_t version,
                       const std::string& device, const std::string& engine,
                       const std::string& precision) {
  impl_->model_version->Set(static_cast<double>(version));
  absl::MutexLock lock(&impl_->mu);
  if (impl_->current_info != nullptr) {
    impl_->model_info->Remove(impl_->current_info);
  }
  impl_->current_info =
      &impl_->model_info->Add({{"model", name},
                               {"version", absl::StrCat(version)},
                               {"device", device},
                               {"engine", engine},
                               {"precision", precision}});
  impl_->current_info->Set(1);
}

void Metrics::SetEffectiveMaxBatchSize(int size) {
  impl_->effective_max_batch_size->Set(static_cast<double>(size));
}

void Metrics::SetStartupSeconds(double seconds) {
  impl_->startup_seconds->Set(seconds);
}

void Metrics::ObserveModelLoad(const std::string& result, double seconds) {
  impl_->loads->Add({{"result", result}}).Increment();
  impl_->load_seconds->Observe(seconds);
}

}  // namespace facet
