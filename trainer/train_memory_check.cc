#include "trainer/train_memory_check.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "trainer/training/memory_estimate.h"
#include "trainer/training/process_memory.h"

ABSL_FLAG(bool, memory_check, true,
          "train: refuse to start when a step's estimated peak memory exceeds "
          "what the "
          "process may use (--memory_limit, else the cgroup limit, else "
          "physical memory).");
ABSL_FLAG(std::string, memory_limit, "",
          "train: memory the trainer may use, e.g. 12G (default: the cgroup "
          "limit, else "
          "physical memory).");

namespace facet {

absl::Status CheckTrainingMemory(const NetConfig& config,
                                 const std::string& device,
                                 int micro_batch_size, int batch_size) {
  TrainingMemoryInputs inputs;
  inputs.config = config;
  inputs.micro_batch_size = micro_batch_size;
  inputs.batch_size = batch_size;
  const TrainingMemoryEstimate e = EstimateTrainingMemory(inputs);

  MemoryLimit limit;
  const std::string limit_flag = absl::GetFlag(FLAGS_memory_limit);
  if (!limit_flag.empty()) {
    absl::StatusOr<int64_t> bytes = ParseByteCount("memory_limit", limit_flag);
    if (!bytes.ok()) return bytes.status();
    limit = {*bytes, "--memory_limit"};
  } else {
    absl::StatusOr<MemoryLimit> detected = ProcessMemoryLimit();
    if (!detected.ok()) {
      LOG(WARNING) << "memory: estimated step peak "
                   << e.ToString(micro_batch_size)
                   << "; not checked: " << detected.status().message();
      return absl::OkStatus();
    }
    limit = *detected;
  }
  std::string available;
  if (std::optional<int64_t> a = AvailableMemoryBytes()) {
    available = absl::StrCat("; available now ", FormatBytes(*a));
  }
  LOG(INFO) << "memory: estimated step peak " << e.ToString(micro_batch_size)
            << " for " << config.in_size << " px, micro-batch "
            << micro_batch_size << "; may use " << FormatBytes(limit.bytes)
            << " (" << limit.source << ")" << available;
  if (device.rfind("cuda", 0) == 0) {
    LOG(INFO) << "memory: training on " << device
              << "; activations live in GPU memory, host check skipped";
    return absl::OkStatus();
  }
  if (e.peak_bytes <= limit.bytes) {
    if (std::optional<int64_t> a = AvailableMemoryBytes();
        a && e.peak_bytes > *a) {
      LOG(WARNING) << "memory: the estimated step peak "
                   << FormatBytes(e.peak_bytes)
                   << " fits the limit but not the " << FormatBytes(*a)
                   << " available now: other processes hold memory, the kernel "
                      "may have to "
                      "swap or kill one";
    }
    return absl::OkStatus();
  }
  if (!absl::GetFlag(FLAGS_memory_check)) {
    LOG(WARNING) << "memory: the estimate exceeds the limit; "
                    "--memory_check=false, going on";
    return absl::OkStatus();
  }
  const int64_t fixed = e.peak_bytes - e.activation_bytes;
  const int64_t faces_that_fit = std::max<int64_t>(
      0, (limit.bytes - fixed) / std::max<int64_t>(1, e.BytesPerFace()));
  std::string fix;
  if (faces_that_fit >= 1) {
    fix =
        absl::StrCat("pass at most ", faces_that_fit,
                     " faces at a time: --micro_batch_size=", faces_that_fit,
                     " (gradient accumulation, keeps --batch_size=", batch_size,
                     ") or --batch_size=", faces_that_fit, "; or ");
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "a training step of network \"", config.ToString(), "\" at ",
      config.in_size, " px with ", micro_batch_size,
      " faces per pass needs about ", e.ToString(micro_batch_size),
      ", more than the ", FormatBytes(limit.bytes), " this process may use (",
      limit.source,
      "); it would be killed by the kernel mid-step. To fix: ", fix,
      "train a smaller network or image size (--preset=small, or an explicit "
      "--preset=\"in,out,min_feat,base,parsing,depth,lo,hi\" with a smaller "
      "in_size); "
      "--memory_limit=BYTES states the limit, --memory_check=false skips this "
      "check"));
}

}  // namespace facet
