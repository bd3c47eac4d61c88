// The trainer's memory check (`--memory_check`, `--memory_limit`): before
// the first step, the estimated peak of a training step
// (trainer/training/memory_estimate.h) is compared with the memory this
// process may use (trainer/training/process_memory.h); a recipe that cannot
// fit is refused with a message naming the estimate, the limit and the
// flags that fix it, instead of being killed by the kernel mid-step.
#ifndef FACET_TRAINER_TRAIN_MEMORY_CHECK_H_
#define FACET_TRAINER_TRAIN_MEMORY_CHECK_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "core/model/net_config.h"

ABSL_DECLARE_FLAG(bool, memory_check);
ABSL_DECLARE_FLAG(std::string, memory_limit);

namespace facet {

// Logs the estimate and the limit; returns ResourceExhausted with the
// refusal message when the estimate exceeds the limit and --memory_check is
// on. `device` is the trainer's ("cpu", "cuda:0"): on a CUDA device host
// memory is not what runs out, and the check only logs. A limit that cannot
// be read is logged and does not refuse. InvalidArgument for a malformed
// --memory_limit.
absl::Status CheckTrainingMemory(const NetConfig& config,
                                 const std::string& device,
                                 int micro_batch_size, int batch_size);

}  // namespace facet

#endif  // FACET_TRAINER_TRAIN_MEMORY_CHECK_H_
