// The oneDNN CPU engine of the FPN: the published network's forward built
// directly on oneDNN primitives (weights prepacked at load, BatchNorm folded,
// bias, LeakyReLU and residual adds fused as post-ops, activations in one
// blocked layout), offering the FaceEngine contract. Standard library and
// oneDNN only; the LibTorch FaceParser is its reference.
#ifndef FACET_CORE_ONEDNN_ONEDNN_FACE_ENGINE_H_
#define FACET_CORE_ONEDNN_ONEDNN_FACE_ENGINE_H_

#include <memory>
#include <string>

#include "core/model/face_engine.h"
#include "core/model/model_status.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"

namespace facet {

struct OnednnEngineOptions {
  NetConfig config;                         // Must match the weights.
  Precision precision = Precision::kFp32;   // fp32 always; bf16/int8 by ISA.
  int threads = 0;                          // 0 = leave OpenMP's setting.
};

// Builds the engine. InvalidArgument for a bad configuration or weights
// (CheckStateDictShapes' message); FailedPrecondition when the CPU lacks the
// ISA the precision needs, naming it.
ModelResult<std::unique_ptr<FaceEngine>> CreateOnednnFaceEngine(
    const RawTensorMap& weights, const OnednnEngineOptions& options);

// True when `precision` can run on this CPU (fp32 always).
bool OnednnSupports(Precision precision);

}  // namespace facet

#endif  // FACET_CORE_ONEDNN_ONEDNN_FACE_ENGINE_H_
