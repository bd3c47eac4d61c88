// The glibc malloc policy of a training process (`facet-trainer train` and
// facet-bench-train, which measures it).
//
// A training step allocates and frees the same few hundred activation and
// gradient tensors, megabytes each, every step. With glibc's defaults many of
// them come from fresh mmap()s or from heap top that free() has just trimmed
// back to the kernel, so every step faults its working set in again, page by
// page: on the benchmark's "small" network (128 px, batch 8) about 45,000
// minor faults a step and a step 12 % slower than the same step in Debian's
// PyTorch. Keeping blocks under 64 MiB on the heap and up to 256 MiB of free
// heap top mapped keeps the working set between steps: 5.6x fewer faults,
// the step 0.44 -> 0.34 s (0.88x -> 1.06x PyTorch, interleaved), the demo
// network's training 43 -> 49 images/s, for a resident set 3 % larger (the
// step's peak is mapped either way). bench/RESULTS.md has the runs.
//
// Thread safety: call once at start-up, before training threads allocate.
#ifndef FACET_TRAINER_TRAINING_TRAINING_MALLOC_POLICY_H_
#define FACET_TRAINER_TRAINING_TRAINING_MALLOC_POLICY_H_

#include <string>

namespace facet {

// Sets M_MMAP_THRESHOLD to 64 MiB and M_TRIM_THRESHOLD to 256 MiB (mallopt),
// unless the environment sets MALLOC_MMAP_THRESHOLD_ or
// MALLOC_TRIM_THRESHOLD_ (the user's choice wins). Returns what is in effect,
// for the start-up log: "mmap_threshold=64MiB trim_threshold=256MiB",
// "environment (MALLOC_..._)" or "glibc default (mallopt failed)".
std::string ApplyTrainingMallocPolicy();

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_TRAINING_MALLOC_POLICY_H_
