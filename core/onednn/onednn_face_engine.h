// The oneDNN CPU engine of the FPN: the published network's forward built
// directly on oneDNN primitives (weights prepacked at load, BatchNorm folded,
// bias, LeakyReLU and residual adds fused as post-ops, activations in one
// blocked layout), offering the FaceEngine contract. Standard library and
// oneDNN only; the LibTorch FaceParser is its reference.
//
// Load: the weights are folded and packed, and the activation layout and
// each convolution's algorithm are chosen by timing the convolutions at the
// configured input size, batch 1 (conv_algorithm.h): the layouts are the
// channel-blocked one oneDNN's jit kernels take on this CPU (nChw16c with
// AVX-512, nChw8c with AVX2) and the one oneDNN picks when left free
// (channels-last for its brgemm kernels); the algorithms direct and, in the
// blocked layout, Winograd (oneDNN offers it for f32 3x3 stride 1 on
// AVX-512). int8 (OnednnEngineOptions::int8_scales, docs/engines.md) runs
// its convolutions channels-last with s8 inputs and weights.
//
// Thread safety: Parse() may be called concurrently. Each shape (batch size,
// height, width) gets its primitives once (built on first use, under a
// lock) and a small pool of workspaces: activations and a scratchpad,
// about 0.85 GB per image at 512 px in fp32 (Winograd's scratchpad is most
// of it), 0.3 GB in bf16 and 0.35 GB in int8. At most two idle workspaces
// per shape are kept, and those of other shapes only while all idle ones
// stay under 4 GiB.
#ifndef FACET_CORE_ONEDNN_ONEDNN_FACE_ENGINE_H_
#define FACET_CORE_ONEDNN_ONEDNN_FACE_ENGINE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/model/face_engine.h"
#include "core/model/int8_scales.h"
#include "core/model/model_status.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"

namespace facet {

// How each convolution's algorithm is chosen.
enum class ConvAlgorithmPolicy {
  kMeasure,   // Time direct and Winograd at load; keep the faster. Default.
  kDirect,    // Direct everywhere (the fastest load).
  kWinograd,  // Winograd wherever oneDNN offers it, else direct.
};

// The activation layout of every convolution and own kernel.
enum class ActivationLayout {
  kMeasure,       // Time the candidates (below) at load; keep the faster.
                  // Default. Without kMeasure algorithms: kBlocked.
  kBlocked,       // nChw16c with AVX-512, nChw8c with AVX2 (Winograd needs it);
                  // int8: nhwc (its kernels take no other).
  kChannelsLast,  // nhwc, where oneDNN's brgemm kernels run.
};

struct OnednnEngineOptions {
  NetConfig config;                         // Must match the weights.
  // fp32 always; bf16 with AVX-512 BF16; int8 with AVX2 (fast with VNNI).
  Precision precision = Precision::kFp32;
  // int8 only: the activation ranges (`facet-trainer calibrate`) of these
  // weights, and the file they came from (for messages). int8 quantizes
  // every convolution except the first (3 input channels: nothing to gain,
  // and the input is exact in its own grid) and, unless `int8_heads`, the
  // heads; activations between convolutions stay f32, and each pad that
  // feeds an int8 convolution writes s8 (symmetric, per tensor); weights
  // are s8 per output channel.
  Int8Scales int8_scales;
  std::string int8_scales_source;
  bool int8_heads = true;  // Default: true.
  // OpenMP threads of the forward, set in every thread that calls Parse
  // (OpenMP's setting is per calling thread). 0 = leave OpenMP's setting.
  int threads = 0;
  ConvAlgorithmPolicy algorithms = ConvAlgorithmPolicy::kMeasure;
  ActivationLayout layout = ActivationLayout::kMeasure;
};

// Builds the engine. InvalidArgument for a bad configuration or weights
// (CheckStateDictShapes' message) or int8 scales that do not name this
// network's convolutions; FailedPrecondition when the CPU lacks the ISA the
// precision needs, naming it (bf16 needs avx512_core_bf16, int8 avx2), or
// int8 scales measured on other weights; Unimplemented for fp16, which this
// engine does not offer; Internal when oneDNN fails (its message).
ModelResult<std::unique_ptr<FaceEngine>> CreateOnednnFaceEngine(
    const RawTensorMap& weights, const OnednnEngineOptions& options);

// True when `precision` can run on this CPU (fp32 always).
bool OnednnSupports(Precision precision);

// True when an int8 engine with `options` quantizes the convolution `name`
// ("encoder.1.conv1", "heads"; see OnednnEngineOptions::int8_scales).
bool OnednnInt8Quantizes(const std::string& name,
                         const OnednnEngineOptions& options);

namespace onednn {
struct ActLayout;
}
// Sees one convolution's input: its module name ("encoder.1.conv1",
// "heads"), layout and float values (the padded tensor the convolution
// reads). Called on the thread running the forward.
using OnednnConvInputVisitor =
    std::function<void(const std::string& conv, const onednn::ActLayout& layout,
                       const float* data)>;

// Runs `batch` through `engine` (fp32, made by CreateOnednnFaceEngine),
// showing `visit` every convolution's input, in forward order. For int8
// calibration (int8_calibrator.h). InvalidArgument for another engine or
// precision, or a bad batch.
ModelStatus VisitOnednnConvInputs(const FaceEngine& engine,
                                  const std::vector<RgbImageView>& batch,
                                  const OnednnConvInputVisitor& visit);

// oneDNN's name for the instruction set it uses on this CPU, e.g.
// "avx512_core_bf16" or "avx2".
std::string OnednnIsaName();

// One step of a profiled forward.
struct OnednnLayerTime {
  std::string name;   // Module ("decoder.3.conv1") or own step ("decoder.3.pad").
  std::string kind;   // "conv", "pad", "input", "copy", "add" or "output".
  std::string impl;   // oneDNN's implementation for convolutions, else "own".
  double seconds = 0;
  // CPU time of the whole process during the step (all threads): with a
  // busy machine, wall time grows with the load but this much less.
  double cpu_seconds = 0;
  double gflop = 0;   // Floating-point work of a convolution (2 per MAC).
};

// Runs `batch` once through `engine`, timing each step separately (every
// step waits for the previous one). InvalidArgument when `engine` was not
// made by CreateOnednnFaceEngine or the batch is bad.
ModelResult<std::vector<OnednnLayerTime>> ProfileOnednnForward(
    const FaceEngine& engine, const std::vector<RgbImageView>& batch);

}  // namespace facet

#endif  // FACET_CORE_ONEDNN_ONEDNN_FACE_ENGINE_H_
