// facet-server: answers facet.v1.FaceService (Parse, Enhance, GetModelInfo,
// ParseStream) over gRPC from the newest valid version in a model
// repository (or one weights file), with dynamic batching, hot reload,
// Prometheus metrics, grpc.health.v1 and server reflection.
//
// Flags and wiring only (the role of TF Serving's ServerCore); see
// docs/server.md. Every flag can also come from the environment as
// FACET_<FLAG_NAME> (e.g. FACET_PORT=9000); a command-line flag wins.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/engine/face_engine_factory.h"
#include "core/engine/openmp_wait.h"
#include "core/flags/parse_flags.h"
#include "core/model/face_parser.h"
#include "core/model/gpu_memory.h"
#include "glog/logging.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/batching/batcher.h"
#include "server/health/health_reporter.h"
#include "server/manager/model_manager.h"
#include "server/metrics/metrics.h"
#include "server/service/face_service_impl.h"

ABSL_FLAG(std::string, model_repository, "",
          "Root of the model repository (REPO/MODEL/VERSION/...).");
ABSL_FLAG(std::string, model_name, "facet", "Model folder to serve.");
ABSL_FLAG(std::string, model, "",
          "Serve one weights file (.safetensors or upstream .pth) instead of "
          "a repository.");
ABSL_FLAG(int32_t, input_size, 512,
          "Network input side for --model FILE (repository versions take it "
          "from their manifest).");
ABSL_FLAG(std::string, device, "auto", "auto | cpu | cuda | cuda:N.");
ABSL_FLAG(std::string, engine, "auto",
          "Forward engine: auto (oneDNN on CPU when built in, LibTorch on "
          "CUDA) | onednn | torch.");
ABSL_FLAG(bool, cuda_graphs, false,
          "CUDA only: capture the forward as a CUDA graph per batch size at "
          "warm-up and replay it (docs/gpu.md).");
ABSL_FLAG(std::string, channels_last, "auto",
          "Torch engine: channels-last memory format, auto (on for CUDA) | on "
          "| off.");
ABSL_FLAG(std::string, precision, "fp32",
          "Forward precision: fp32 | bf16 (oneDNN where the CPU has AVX-512 "
          "BF16, or the torch engine) | fp16 (torch engine on CUDA).");
ABSL_FLAG(std::string, host, "0.0.0.0", "Address to bind gRPC and /metrics.");
ABSL_FLAG(int32_t, port, 8500, "gRPC port (0 = pick a free one and log it).");
ABSL_FLAG(int32_t, metrics_port, 8501,
          "Prometheus /metrics port (0 = pick a free one and log it; -1 = "
          "no metrics endpoint).");
ABSL_FLAG(int32_t, max_batch_size, 8,
          "Largest batch per forward pass (with --adaptive_batching, the "
          "largest size measured).");
ABSL_FLAG(bool, adaptive_batching, true,
          "At load, measure the per-image throughput at batch sizes 1, 2, "
          "4, ... --max_batch_size (stopping at the first that does not "
          "pay) and never form a larger batch than the best; a request alone "
          "in the server runs at once instead of waiting "
          "--max_queue_delay_us. false: batches up to --max_batch_size, "
          "always waiting up to --max_queue_delay_us.");
ABSL_FLAG(double, batch_size_min_gain, 0.05,
          "With --adaptive_batching: the gain in per-image throughput a "
          "larger batch must show at load to be used (0.05 = 5 %).");
ABSL_FLAG(int64_t, max_queue_delay_us, 2000,
          "Longest a request waits for its batch to fill (0 = never wait; "
          "no wait either when the batch cannot grow, see "
          "--adaptive_batching).");
ABSL_FLAG(int32_t, max_queue_size, 64,
          "Requests that may wait for a batch; more get RESOURCE_EXHAUSTED.");
ABSL_FLAG(int32_t, execution_threads, 1, "Threads running batches.");
ABSL_FLAG(int32_t, intra_op_threads, 0,
          "Threads of one forward pass (0 = every usable core, from the CPU "
          "affinity and cgroup quota, split over --execution_threads).");
ABSL_FLAG(int32_t, io_threads, 0,
          "Concurrent decode/encode jobs, run on the gRPC threads; they take "
          "no core from the forward (0 = max(1, usable cores / 4)).");
ABSL_FLAG(int64_t, max_message_bytes, 32 << 20,
          "Largest gRPC message accepted (bigger: RESOURCE_EXHAUSTED from "
          "gRPC).");
ABSL_FLAG(int64_t, max_image_bytes, 16 << 20,
          "Largest encoded image accepted (INVALID_ARGUMENT above).");
ABSL_FLAG(int64_t, max_side, 8192,
          "Largest image width or height, checked from the header.");
ABSL_FLAG(int64_t, max_pixels, 36000000,
          "Largest width*height, checked from the header before decoding.");
ABSL_FLAG(int32_t, stream_max_inflight, 8,
          "ParseStream items of one stream in flight at once.");
ABSL_FLAG(int32_t, rescan_interval_ms, 2000,
          "Full rescan period of the model folder (inotify acts at once).");
ABSL_FLAG(std::string, warmup_batch_sizes, "auto",
          "Batch sizes run before a version is offered ('max' = "
          "--max_batch_size). auto: those --adaptive_batching measures "
          "(1,max without it). A list runs in addition to the measured "
          "sizes.");
ABSL_FLAG(int32_t, drain_delay_ms, 0,
          "On SIGTERM: report NOT_SERVING and answer UNAVAILABLE this long "
          "before refusing connections (lets load balancers notice).");
ABSL_FLAG(int32_t, drain_grace_ms, 10000,
          "On SIGTERM: time for in-flight and queued requests to finish.");
ABSL_FLAG(std::string, tls_cert, "", "PEM server certificate (enables TLS).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle; when set, clients must present a certificate "
          "signed by it (mutual TLS).");

namespace facet {
namespace {

// Applies FACET_<NAME> environment variables to this binary's flags; the
// command line, parsed afterwards, overrides them.
bool ApplyEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename().find("server/main.cc") == std::string::npos) continue;
    std::string env = "FACET_";
    for (char c : name) env += static_cast<char>(std::toupper(c));
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::cerr << "facet-server: bad value in $" << env << "=\"" << value
                << "\": " << error << "\n";
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--", flag, "=", path, ": cannot read the file"));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials() {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  const std::string ca = absl::GetFlag(FLAGS_tls_ca);
  if (cert.empty() && key.empty() && ca.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (cert.empty() || key.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both --tls_cert and --tls_key");
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto cert_pem = ReadFile(cert, "tls_cert");
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadFile(key, "tls_key");
  if (!key_pem.ok()) return key_pem.status();
  pair.cert_chain = *cert_pem;
  pair.private_key = *key_pem;
  options.pem_key_cert_pairs.push_back(pair);
  if (!ca.empty()) {
    auto ca_pem = ReadFile(ca, "tls_ca");
    if (!ca_pem.ok()) return ca_pem.status();
    options.pem_root_certs = *ca_pem;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

std::vector<int> WarmupSizes(int max_batch) {
  std::vector<int> sizes;
  std::string list = absl::GetFlag(FLAGS_warmup_batch_sizes);
  if (list == "auto") {
    // The batch-size measurement already ran every size worth warming.
    if (absl::GetFlag(FLAGS_adaptive_batching)) return sizes;
    list = "1,max";
  }
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == "max") {
      sizes.push_back(max_batch);
    } else if (!item.empty()) {
      sizes.push_back(std::atoi(item.c_str()));
    }
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

int Fail(const absl::Status& status) {
  LOG(ERROR) << "event=startup_failed error=\"" << status.ToString() << "\"";
  return 1;
}

// Seconds since this process started (from /proc; since `fallback` when
// /proc cannot be read).
double SecondsSinceProcessStart(absl::Time fallback) {
  std::ifstream stat("/proc/self/stat");
  std::ifstream uptime_file("/proc/uptime");
  std::string line;
  double uptime = 0;
  if (std::getline(stat, line) && (uptime_file >> uptime)) {
    // starttime is field 22, the 20th after the parenthesised name.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 0; i < 20 && (rest >> field); ++i) {
    }
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    if (!field.empty() && ticks > 0) {
      const double started = std::stod(field) / ticks;
      if (uptime >= started) return uptime - started;
    }
  }
  return absl::ToDoubleSeconds(absl::Now() - fallback);
}

int Serve(absl::Time main_start) {
  // The forward gets every usable core; decoding and encoding run on the
  // gRPC threads (at most io_threads at once) and take no core from it:
  // they cost microseconds to milliseconds next to a forward.
  const int cores = UsableCores();
  int io_threads = absl::GetFlag(FLAGS_io_threads);
  if (io_threads <= 0) io_threads = std::max(1, cores / 4);
  const int execution_threads = absl::GetFlag(FLAGS_execution_threads);
  int intra_op = absl::GetFlag(FLAGS_intra_op_threads);
  if (intra_op <= 0) {
    intra_op = std::max(1, cores / std::max(1, execution_threads));
  }
  const std::string host = absl::GetFlag(FLAGS_host);

  // Signals are taken by one thread with sigwait; block them everywhere
  // before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Cheap checks first, before any port is bound or thread started.
  if (absl::GetFlag(FLAGS_model).empty() &&
      absl::GetFlag(FLAGS_model_repository).empty()) {
    return Fail(absl::InvalidArgumentError(
        "nothing to serve: set --model_repository DIR (with --model_name) or "
        "--model FILE"));
  }
  if (!(absl::GetFlag(FLAGS_batch_size_min_gain) >= -1)) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--batch_size_min_gain=", absl::GetFlag(FLAGS_batch_size_min_gain),
        ": expected a number >= -1 (0.05 = a larger batch must be 5 % "
        "faster per image)")));
  }
  auto credentials = Credentials();
  if (!credentials.ok()) return Fail(credentials.status());

  MetricsOptions metrics_options;
  metrics_options.bind_address =
      absl::GetFlag(FLAGS_metrics_port) < 0
          ? ""
          : absl::StrCat(host, ":", absl::GetFlag(FLAGS_metrics_port));
  // GPU memory of the device the forward runs on (none for the CPU).
  const std::string device = absl::GetFlag(FLAGS_device);
  int gpu_index = -1;
  if (device.rfind("cuda", 0) == 0) {
    gpu_index = device.size() > 5 ? std::atoi(device.c_str() + 5) : 0;
  } else if ((device == "auto" || device.empty()) && CudaAvailable()) {
    gpu_index = 0;
  }
  if (gpu_index >= 0) {
    metrics_options.gpu_memory = [gpu_index]() -> std::optional<GpuMemorySample> {
      std::optional<GpuMemoryStats> stats = ReadGpuMemory(gpu_index);
      if (!stats) return std::nullopt;
      GpuMemorySample sample;
      sample.allocated_bytes = static_cast<double>(stats->allocated_bytes);
      sample.reserved_bytes = static_cast<double>(stats->reserved_bytes);
      sample.peak_allocated_bytes = static_cast<double>(stats->peak_allocated_bytes);
      sample.total_bytes = static_cast<double>(stats->total_bytes);
      return sample;
    };
  }
  auto metrics = Metrics::Create(metrics_options);
  if (!metrics.ok()) return Fail(metrics.status());

  ModelManagerOptions manager_options;
  manager_options.repository_root = absl::GetFlag(FLAGS_model_repository);
  manager_options.model_name = absl::GetFlag(FLAGS_model_name);
  manager_options.model_file = absl::GetFlag(FLAGS_model);
  manager_options.loader.device = absl::GetFlag(FLAGS_device);
  manager_options.loader.engine = absl::GetFlag(FLAGS_engine);
  manager_options.loader.precision = absl::GetFlag(FLAGS_precision);
  manager_options.loader.cuda_graphs = absl::GetFlag(FLAGS_cuda_graphs);
  manager_options.loader.channels_last = absl::GetFlag(FLAGS_channels_last);
  manager_options.loader.intra_op_threads = intra_op;
  manager_options.loader.input_size = absl::GetFlag(FLAGS_input_size);
  manager_options.loader.max_batch_size = absl::GetFlag(FLAGS_max_batch_size);
  manager_options.loader.adaptive_batching =
      absl::GetFlag(FLAGS_adaptive_batching);
  manager_options.loader.batch_size_min_gain =
      absl::GetFlag(FLAGS_batch_size_min_gain);
  manager_options.loader.warmup_batch_sizes =
      WarmupSizes(absl::GetFlag(FLAGS_max_batch_size));
  manager_options.rescan_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_rescan_interval_ms));
  manager_options.metrics = metrics->get();

  BatcherOptions batcher_options;
  batcher_options.max_batch_size = absl::GetFlag(FLAGS_max_batch_size);
  batcher_options.max_queue_delay =
      absl::Microseconds(absl::GetFlag(FLAGS_max_queue_delay_us));
  batcher_options.max_queue_size = absl::GetFlag(FLAGS_max_queue_size);
  batcher_options.execution_threads = execution_threads;
  batcher_options.run_alone_at_once = absl::GetFlag(FLAGS_adaptive_batching);
  batcher_options.metrics = metrics->get();

  auto manager = ModelManager::Create(manager_options);
  if (!manager.ok()) return Fail(manager.status());
  ModelManager* m = manager->get();
  batcher_options.model_provider = [m] { return m->Current(); };
  auto batcher = Batcher::Create(batcher_options);
  if (!batcher.ok()) return Fail(batcher.status());

  // Health: the reporter decides, this forwards to grpc.health.v1 once the
  // server exists.
  absl::Mutex health_mu;
  grpc::HealthCheckServiceInterface* health_service = nullptr;
  auto publish = [&](bool serving) {
    absl::MutexLock lock(&health_mu);
    if (health_service == nullptr) return;
    health_service->SetServingStatus(serving);
    health_service->SetServingStatus("facet.v1.FaceService", serving);
  };
  HealthReporterOptions health_options;
  health_options.model_loaded = [m] { return m->Current() != nullptr; };
  Batcher* b = batcher->get();
  health_options.batcher_alive = [b] { return b->alive(); };
  bool served = false;  // Only touched by on_change, never concurrently.
  Metrics* metrics_ptr = metrics->get();
  health_options.on_change = [&, metrics_ptr](bool serving) {
    LOG(INFO) << "event=health serving="
              << (serving ? "SERVING" : "NOT_SERVING");
    if (serving && !served) {
      served = true;
      const double startup = SecondsSinceProcessStart(main_start);
      metrics_ptr->SetStartupSeconds(startup);
      LOG(INFO) << "event=first_serving startup_seconds=" << startup;
    }
    publish(serving);
  };
  HealthReporter health(health_options);

  FaceServiceOptions service_options;
  service_options.limits.max_bytes = absl::GetFlag(FLAGS_max_image_bytes);
  service_options.limits.max_side = absl::GetFlag(FLAGS_max_side);
  service_options.limits.max_pixels = absl::GetFlag(FLAGS_max_pixels);
  service_options.io_threads = io_threads;
  service_options.stream_max_inflight =
      absl::GetFlag(FLAGS_stream_max_inflight);
  service_options.batcher = b;
  service_options.manager = m;
  service_options.health = &health;
  service_options.metrics = metrics->get();
  service_options.max_batch_size = batcher_options.max_batch_size;
  FaceServiceImpl service(service_options);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(absl::StrCat(host, ":", absl::GetFlag(FLAGS_port)),
                           *credentials, &grpc_port);
  const int64_t max_message = absl::GetFlag(FLAGS_max_message_bytes);
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message));
  builder.SetMaxSendMessageSize(static_cast<int>(max_message));
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || grpc_port == 0) {
    return Fail(absl::UnavailableError(absl::StrCat(
        "cannot listen on --port ", host, ":", absl::GetFlag(FLAGS_port))));
  }
  {
    absl::MutexLock lock(&health_mu);
    health_service = server->GetHealthCheckService();
  }
  publish(health.serving());

  LOG(INFO) << "event=ready grpc_port=" << grpc_port
            << " metrics_port=" << (*metrics)->port() << " host=" << host
            << " usable_cores=" << cores << " io_threads=" << io_threads
            << " intra_op_threads=" << intra_op
            << " execution_threads=" << execution_threads
            << " openmp=\"" << OpenMpWaitSetting() << "\""
            << " max_batch_size=" << batcher_options.max_batch_size
            << " adaptive_batching="
            << (absl::GetFlag(FLAGS_adaptive_batching) ? 1 : 0)
            << " max_queue_size=" << batcher_options.max_queue_size
            << " tls=" << (absl::GetFlag(FLAGS_tls_cert).empty() ? 0 : 1);

  std::thread signal_thread([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    LOG(INFO) << "event=draining signal=" << signal
              << " delay_ms=" << absl::GetFlag(FLAGS_drain_delay_ms)
              << " grace_ms=" << absl::GetFlag(FLAGS_drain_grace_ms);
    health.SetDraining();
    absl::SleepFor(absl::Milliseconds(absl::GetFlag(FLAGS_drain_delay_ms)));
    // Waits for in-flight RPCs (and so their queued tasks) up to the grace
    // period, then cancels what is left.
    server->Shutdown(
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(absl::GetFlag(FLAGS_drain_grace_ms)));
  });
  server->Wait();
  signal_thread.join();
  {
    // The health service dies with the server; the reporter outlives it.
    absl::MutexLock lock(&health_mu);
    health_service = nullptr;
  }
  (*batcher)->Stop();
  LOG(INFO) << "event=stopped";
  return 0;
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  // Before anything starts a thread (see core/engine/openmp_wait.h).
  facet::ApplyOpenMpSpinDefault(argv);
  const absl::Time main_start = absl::Now();
  absl::SetProgramUsageMessage(
      "facet-server --model_repository DIR [--model_name NAME] [--port N]\n"
      "       facet-server --model FILE [--input_size N] [--port N]\n\n"
      "Serves face parsing (Parse) and restoration (Enhance) over gRPC.\n"
      "Every flag may also be set as environment variable FACET_<FLAG_NAME>\n"
      "(e.g. FACET_MAX_BATCH_SIZE=16); the command line wins.");
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("server/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  if (!facet::ApplyEnvironment()) return 2;
  facet::ParseFlags(argc, argv);  // --help: stdout, exit 0.
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  return facet::Serve(main_start);
}
