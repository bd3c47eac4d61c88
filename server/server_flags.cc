#include "server/server_flags.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/engine/face_engine_factory.h"
#include "core/model/cuda_device.h"
#include "core/model/gpu_memory.h"
#include "core/repository/serving_lease.h"

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
ABSL_FLAG(bool, mirror_average, false,
          "Parse every face and its mirror image and average the two "
          "(better parses of real faces, half the throughput; "
          "docs/fidelity.md).");
ABSL_FLAG(std::string, channels_last, "auto",
          "Torch engine: channels-last memory format, auto (on for CUDA) | on "
          "| off.");
ABSL_FLAG(
    std::string, precision, "fp32",
    "Forward precision: fp32 | bf16 (oneDNN where the CPU has AVX-512 "
    "BF16, or the torch engine) | int8 (oneDNN with AVX2, fast with VNNI; "
    "needs the model's int8_scales.safetensors from `facet-trainer "
    "calibrate`) | fp16 (torch engine on CUDA).");
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
ABSL_FLAG(int32_t, lease_refresh_ms, 75000,
          "Longest time between two rewrites of an unchanged serving lease "
          "(a changed version or a failed write is written at the next "
          "rescan); 0 rewrites it at every rescan. Below 300000 (the "
          "lease's maximum age).");
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

// The GPU whose memory /metrics reports (-1: none, the forward runs on the
// CPU). InvalidArgument for "cuda:" followed by anything but a number.
absl::StatusOr<int> GpuIndex(const std::string& device) {
  if (!DeviceIsCuda(device)) return -1;
  if (device.rfind("cuda", 0) == 0) {
    if (device.size() <= 5) return 0;
    int index = -1;
    if (device[4] != ':' || !absl::SimpleAtoi(device.substr(5), &index) ||
        index < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--device=", device, ": expected auto, cpu, cuda or cuda:N"));
    }
    return index;
  }
  return 0;  // "auto" with a CUDA device.
}

}  // namespace

absl::Status ApplyEnvironmentToFlags() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (flag->Filename().find("server/server_flags.cc") == std::string::npos) {
      continue;
    }
    std::string env = "FACET_";
    for (char c : name) env += static_cast<char>(std::toupper(c));
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value in $", env, "=\"", value, "\": ", error));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> ParseWarmupBatchSizes(const std::string& list,
                                                       int max_batch_size,
                                                       bool adaptive_batching) {
  std::vector<int> sizes;
  std::string items = list;
  if (items == "auto") {
    // The batch-size measurement already ran every size worth warming.
    if (adaptive_batching) return sizes;
    items = "1,max";
  }
  for (absl::string_view item : absl::StrSplit(items, ',', absl::SkipEmpty())) {
    int size = 0;
    if (item == "max") {
      size = max_batch_size;
    } else if (!absl::SimpleAtoi(item, &size) || size < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--warmup_batch_sizes=", list, ": \"", item,
          "\" is not a batch size; expected auto, or a comma-separated list "
          "of positive integers and max"));
    }
    sizes.push_back(size);
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

absl::StatusOr<ServerCoreOptions> ServerCoreOptionsFromFlags(
    absl::Time main_start) {
  ServerCoreOptions options;
  options.main_start = main_start;
  // The forward gets every usable core; decoding and encoding run on the
  // gRPC threads (at most io_threads at once) and take no core from it:
  // they cost microseconds to milliseconds next to a forward.
  const int cores = UsableCores();
  options.usable_cores = cores;
  int io_threads = absl::GetFlag(FLAGS_io_threads);
  if (io_threads <= 0) io_threads = std::max(1, cores / 4);
  const int execution_threads = absl::GetFlag(FLAGS_execution_threads);
  int intra_op = absl::GetFlag(FLAGS_intra_op_threads);
  if (intra_op <= 0) {
    intra_op = std::max(1, cores / std::max(1, execution_threads));
  }
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.tls.cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls.key = absl::GetFlag(FLAGS_tls_key);
  options.tls.ca = absl::GetFlag(FLAGS_tls_ca);
  options.drain_delay = absl::Milliseconds(absl::GetFlag(FLAGS_drain_delay_ms));
  options.drain_grace = absl::Milliseconds(absl::GetFlag(FLAGS_drain_grace_ms));
  options.adaptive_batching = absl::GetFlag(FLAGS_adaptive_batching);

  if (absl::GetFlag(FLAGS_model).empty() &&
      absl::GetFlag(FLAGS_model_repository).empty()) {
    return absl::InvalidArgumentError(
        "nothing to serve: set --model_repository DIR (with --model_name) or "
        "--model FILE");
  }
  if (!(absl::GetFlag(FLAGS_batch_size_min_gain) >= -1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--batch_size_min_gain=", absl::GetFlag(FLAGS_batch_size_min_gain),
        ": expected a number >= -1 (0.05 = a larger batch must be 5 % "
        "faster per image)"));
  }
  const int lease_refresh_ms = absl::GetFlag(FLAGS_lease_refresh_ms);
  if (lease_refresh_ms < 0 ||
      absl::Milliseconds(lease_refresh_ms) >= kDefaultLeaseMaxAge) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--lease_refresh_ms=", lease_refresh_ms,
        ": expected 0 (every rescan) up to below ",
        absl::ToInt64Milliseconds(kDefaultLeaseMaxAge),
        " (a lease not refreshed for that long no longer counts)"));
  }
  absl::StatusOr<std::vector<int>> warmup = ParseWarmupBatchSizes(
      absl::GetFlag(FLAGS_warmup_batch_sizes),
      absl::GetFlag(FLAGS_max_batch_size), options.adaptive_batching);
  if (!warmup.ok()) return warmup.status();

  options.metrics.bind_address =
      absl::GetFlag(FLAGS_metrics_port) < 0
          ? ""
          : absl::StrCat(options.host, ":", absl::GetFlag(FLAGS_metrics_port));
  // GPU memory of the device the forward runs on (none for the CPU).
  absl::StatusOr<int> gpu_index = GpuIndex(absl::GetFlag(FLAGS_device));
  if (!gpu_index.ok()) return gpu_index.status();
  if (*gpu_index >= 0) {
    const int gpu = *gpu_index;
    options.metrics.gpu_memory = [gpu]() -> std::optional<GpuMemorySample> {
      std::optional<GpuMemoryStats> stats = ReadGpuMemory(gpu);
      if (!stats) return std::nullopt;
      GpuMemorySample sample;
      sample.allocated_bytes = static_cast<double>(stats->allocated_bytes);
      sample.reserved_bytes = static_cast<double>(stats->reserved_bytes);
      sample.peak_allocated_bytes =
          static_cast<double>(stats->peak_allocated_bytes);
      sample.total_bytes = static_cast<double>(stats->total_bytes);
      return sample;
    };
  }

  ModelManagerOptions& manager = options.manager;
  manager.repository_root = absl::GetFlag(FLAGS_model_repository);
  manager.model_name = absl::GetFlag(FLAGS_model_name);
  manager.model_file = absl::GetFlag(FLAGS_model);
  manager.loader.device = absl::GetFlag(FLAGS_device);
  manager.loader.engine = absl::GetFlag(FLAGS_engine);
  manager.loader.precision = absl::GetFlag(FLAGS_precision);
  manager.loader.cuda_graphs = absl::GetFlag(FLAGS_cuda_graphs);
  manager.loader.mirror_average = absl::GetFlag(FLAGS_mirror_average);
  manager.loader.channels_last = absl::GetFlag(FLAGS_channels_last);
  manager.loader.intra_op_threads = intra_op;
  manager.loader.input_size = absl::GetFlag(FLAGS_input_size);
  manager.loader.max_batch_size = absl::GetFlag(FLAGS_max_batch_size);
  manager.loader.adaptive_batching = options.adaptive_batching;
  manager.loader.batch_size_min_gain = absl::GetFlag(FLAGS_batch_size_min_gain);
  manager.loader.warmup_batch_sizes = *std::move(warmup);
  manager.rescan_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_rescan_interval_ms));
  manager.lease_refresh_interval = absl::Milliseconds(lease_refresh_ms);

  BatcherOptions& batcher = options.batcher;
  batcher.max_batch_size = absl::GetFlag(FLAGS_max_batch_size);
  batcher.max_queue_delay =
      absl::Microseconds(absl::GetFlag(FLAGS_max_queue_delay_us));
  batcher.max_queue_size = absl::GetFlag(FLAGS_max_queue_size);
  batcher.execution_threads = execution_threads;
  batcher.run_alone_at_once = options.adaptive_batching;

  FaceServiceOptions& service = options.service;
  service.limits.max_bytes = absl::GetFlag(FLAGS_max_image_bytes);
  service.limits.max_side = absl::GetFlag(FLAGS_max_side);
  service.limits.max_pixels = absl::GetFlag(FLAGS_max_pixels);
  service.io_threads = io_threads;
  service.stream_max_inflight = absl::GetFlag(FLAGS_stream_max_inflight);
  return options;
}

}  // namespace facet
