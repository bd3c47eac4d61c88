// CreateFaceEngine: the one place that chooses a forward engine for a set of
// weights. The server, `facet-trainer predict`/`evaluate` and the benchmarks
// call it with their --engine, --device, --precision and thread flags.
//
//   engine "torch":  FaceParser (LibTorch), CPU or CUDA; the reference.
//   engine "onednn": the oneDNN CPU engine (core/onednn), when built in.
//   engine "auto":   torch when the device resolves to CUDA, else onednn when
//                    built in and it supports the precision, else torch.
//   mirror_average:  wraps the engine in MirrorAveragingEngine.
//
// Thread safety: CreateFaceEngine is thread-safe; the thread count it sets
// is process-wide (OpenMP, shared by LibTorch and oneDNN).
#ifndef FACET_CORE_ENGINE_FACE_ENGINE_FACTORY_H_
#define FACET_CORE_ENGINE_FACE_ENGINE_FACTORY_H_

#include <memory>
#include <string>
#include <vector>

#include "core/engine/usable_cores.h"  // UsableCores, the default threads.
#include "core/model/face_engine.h"
#include "core/model/model_status.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"

namespace facet {

struct EngineOptions {
  NetConfig config;              // Must match the weights.
  std::string engine = "auto";   // "auto", "onednn" or "torch".
  std::string device = "auto";   // "auto", "cpu", "cuda", "cuda:N".
  std::string precision = "fp32";  // "fp32", "bf16", "fp16", "int8".
  // int8 only: the activation scales file of these weights
  // (Int8ScalesPathFor(weights path); LoadedWeights::int8_scales_path).
  // Missing: FailedPrecondition naming it and `facet-trainer calibrate`.
  std::string int8_scales_path;
  // Threads for the forward; 0 = every core this process may use
  // (UsableCores()). Process-wide.
  int threads = 0;
  bool fold_batch_norm = true;   // torch engine only (oneDNN always folds).
  // torch engine only: channels-last memory format ("auto": on for CUDA)
  // and CUDA graphs per batch size (see FaceParserOptions).
  std::string channels_last = "auto";
  bool cuda_graphs = false;
  // Parse every face and its mirror image and average the two
  // (MirrorAveragingEngine): better parses of real faces at twice the
  // forward cost. Needs the 19 CelebAMask-HQ labels.
  bool mirror_average = false;
};

// Builds the engine `options` asks for. InvalidArgument for an unknown
// engine, device or precision, or bad weights; FailedPrecondition when the
// engine is not built in, CUDA is asked for and absent, the CPU lacks the
// instructions a precision needs (the message names them), or int8 has no
// scales file for these weights (the message names the file and the
// command that makes it). int8 runs on the onednn engine only.
ModelResult<std::unique_ptr<FaceEngine>> CreateFaceEngine(
    const RawTensorMap& weights, const EngineOptions& options);

// Engines built into this binary, in preference order on CPU.
std::vector<std::string> AvailableEngines();

}  // namespace facet

#endif  // FACET_CORE_ENGINE_FACE_ENGINE_FACTORY_H_
