// ModelLoader: turns a version folder or a weights file into a ready
// ServableModel. Nothing is offered for serving before all of this passed:
//  1. LoadWeights: manifest, checksums, configuration, shapes, finite
//     tensors (core/repository);
//  2. CreateFaceEngine with the configured engine, device and precision;
//  3. a built-in golden input (a fixed synthetic face-sized pattern) must
//     give finite logits and images, and labels within [0, parsing_ch);
//     this first forward also warms batch size 1 up and, when it takes at
//     least `min_measure_time`, is the first batch-1 timing of step 4;
//  4. adaptive batching: the per-image throughput is measured at batch
//     sizes 1, 2, 4, ... up to `max_batch_size`, stopping at the first size
//     that does not pay (BatchSizeSearch); the best size becomes the
//     version's effective_max_batch_size. Without it, the effective size
//     is `max_batch_size`;
//  5. warm-up: one forward at every size in `warmup_batch_sizes` that steps
//     3 and 4 did not already run, so the first real request does not pay
//     for allocator growth or kernel selection.
// Steps 3 to 5 cost a few forward times: the published model at 512 px on
// a 2-core CPU runs the golden face and a batch of 2 (three images' worth),
// plus batch 1 again if batch 2 seemed to pay.
//
// Memory: a failed load hands the memory it freed back to the system
// (ReturnFreedMemory, malloc_trim) before returning, on the loading thread.
// A loaded version is freed with its last handle, on whichever thread drops
// it (often an execution thread after its last batch); ReturnFreedMemory is
// not called there but by the ModelManager on its own thread once it sees
// the replaced version gone, so no request waits for a trim.
//
// Thread safety: LoadModel is thread-safe; it is slow (seconds for the
// published model) and must not be called under a lock.
#ifndef FACET_SERVER_MANAGER_MODEL_LOADER_H_
#define FACET_SERVER_MANAGER_MODEL_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/manager/model_handle.h"

namespace facet {

struct ModelLoaderOptions {
  // Forward engine: "auto", "onednn", "torch" (see CreateFaceEngine).
  std::string engine = "auto";
  // Device: "auto", "cpu", "cuda", "cuda:N". Default: "auto".
  std::string device = "auto";
  // Forward precision: "fp32", "bf16", "fp16", "int8". Default: "fp32".
  std::string precision = "fp32";
  // Torch engine: CUDA graphs per batch size and channels-last ("auto",
  // "on", "off"); see FaceParserOptions.
  bool cuda_graphs = false;
  std::string channels_last = "auto";
  // Parse each face and its mirror image and average (EngineOptions).
  bool mirror_average = false;
  // Forward threads (process-wide); 0 = every usable core. Default: 0.
  int intra_op_threads = 0;
  // Input side for bare weight files (ignored for version folders, whose
  // manifest gives it). Default: 512.
  int64_t input_size = 512;
  // Largest batch the batcher may form. Default: 1.
  int max_batch_size = 1;
  // Measure the best batch size at load (step 4). Default: true.
  bool adaptive_batching = true;
  // Gain in per-image throughput a larger batch must show to be used
  // (BatchSizeSearch's min_gain; -1 accepts every size). Default: 0.05.
  double batch_size_min_gain = 0.05;
  // Each batch size is timed until this much time was spent on it (at
  // least once, at most 10 times; the fastest run counts), so a network of
  // a few milliseconds is timed over many runs and a slow one once.
  // Default: 50 ms.
  absl::Duration min_measure_time = absl::Milliseconds(50);
  // Time budget of the measurement, in batch-1 forward times: it stops
  // (keeping the best size so far) before a forward that would overrun
  // max(measure_budget_forwards x the batch-1 time, measure_budget_floor).
  // On a CPU that allows batch 1, batch 2 and a second batch-1 timing,
  // so a noisy machine cannot make start-up grow through larger and larger
  // batches; a GPU's milliseconds stay under the floor. Default: 5, 2 s.
  double measure_budget_forwards = 5;
  absl::Duration measure_budget_floor = absl::Seconds(2);
  // Batch sizes run once each before the version is offered, in addition
  // to those steps 3 and 4 ran. Default: none.
  std::vector<int> warmup_batch_sizes;
};

// Loads `path` (a version folder or a .safetensors/.pth file) as `name`
// version `version`, validates and warms it up (see the file comment).
// Errors carry LoadWeights' codes (NotFound, InvalidArgument, DataLoss),
// FailedPrecondition for an unavailable device, and DataLoss for
// non-finite or out-of-range outputs on the golden input; messages name the
// path.
absl::StatusOr<ModelHandle> LoadModel(const std::string& path,
                                      const std::string& name, int64_t version,
                                      const ModelLoaderOptions& options);

// Hands memory freed so far back to the system (glibc's malloc_trim; a
// no-op elsewhere), so that reloads do not ratchet resident memory up.
// Takes milliseconds: call it off the request path.
void ReturnFreedMemory();

}  // namespace facet

#endif  // FACET_SERVER_MANAGER_MODEL_LOADER_H_
