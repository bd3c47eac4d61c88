// ForwardPlan: the FPN's forward for one input shape (batch, height, width)
// as oneDNN convolution primitives plus the engine's own kernels, and
// Workspace: the buffers one call runs in.
//
// A plan is immutable once built and may be executed by several threads at
// once, each with its own Workspace (activations, a user-mode scratchpad
// and a stream). Workspaces are reused across calls (the engine pools them
// by shape), so nothing is allocated per call.
#ifndef FACET_CORE_ONEDNN_FORWARD_PLAN_H_
#define FACET_CORE_ONEDNN_FORWARD_PLAN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/model/face_engine.h"
#include "core/onednn/blocked_kernels.h"
#include "core/onednn/fpn_layers.h"

namespace facet {
namespace onednn {

// A convolution's weights as prepacked at load, and the algorithm chosen.
struct PackedConv {
  int layout = 0;  // Index into PlanContext::tags.
  dnnl::algorithm algorithm = dnnl::algorithm::convolution_direct;
  dnnl::memory weights;  // In the layout the primitive asked for; may be
                         // empty before the first plan packs it.
  dnnl::memory bias;     // f32, [out_ch].
};

// What every plan of one engine shares. Borrowed by plans: must outlive them.
struct PlanContext {
  dnnl::engine engine;
  dnnl::memory::data_type data_type = dnnl::memory::data_type::f32;
  // The activation layouts convolutions run in (PackedConv::layout and
  // TensorRef::layout index this).
  std::vector<dnnl::memory::format_tag> tags;
  const NetConfig* config = nullptr;
  const std::vector<FpnConv>* convs = nullptr;
  const std::vector<PackedConv>* packed = nullptr;
  // int8 engine: convolutions with FpnConv::int8 read s8 inputs (activations
  // stay in data_type, f32, and the pads feeding them quantize).
  bool int8 = false;
};

// The element type convolution `conv` reads: s8 for an int8 one, else the
// context's.
dnnl::memory::data_type ConvSrcType(const PlanContext& context,
                                    const FpnConv& conv);

// dst = sum * output_scale[o] for an int8 convolution: 1 / (input_scale *
// weight_scale[o]), ones when weight_scale is empty.
std::vector<float> OutputScales(const FpnConv& conv);

// Sees a convolution's input (index into the convolutions, its layout and
// float data) before the convolution runs; for calibration.
using ConvInputObserver =
    std::function<void(int conv, const ActLayout&, const float*)>;

// The primitive descriptor of `conv` reading `src` and writing `dst` with
// `algorithm`; throws dnnl::error when oneDNN has no implementation.
// An int8 convolution (conv.int8) takes s8 weights and output scales; its
// bias (f32) is in the units of the s32 sums (oneDNN 2.x adds it before
// scaling). LeakyReLU is fused as a post-op except for Winograd, whose oneDNN
// kernels take no negative slope: then the pad kernel that reads the output
// applies it (LeakyInPad).
dnnl::convolution_forward::primitive_desc MakeConvPd(
    const PlanContext& context, const FpnConv& conv, dnnl::algorithm algorithm,
    const dnnl::memory::desc& src, const dnnl::memory::desc& dst);

bool LeakyInPad(const FpnConv& conv, dnnl::algorithm algorithm);

// The ActLayout of a plain or channel-blocked 4-D memory descriptor.
ActLayout LayoutOf(const dnnl::memory::desc& desc);

struct StepTime {
  std::string name;
  FpnStep::Kind kind;
  double seconds = 0;
  double cpu_seconds = 0;  // CPU time of the whole process during the step.
  double gflop = 0;  // Convolutions only.
  std::string impl;  // oneDNN's implementation name (convolutions).
};

class Workspace;

class ForwardPlan {
 public:
  // Builds the primitives for `batch` images of height x width. Throws
  // dnnl::error. REQUIRES: sides multiples of 2^down_steps, >= 2 * that.
  ForwardPlan(const PlanContext& context, int64_t batch, int64_t height,
              int64_t width);
  ForwardPlan(const ForwardPlan&) = delete;
  ForwardPlan& operator=(const ForwardPlan&) = delete;

  // Runs the forward of `images` (batch() of them, validated) in `ws`,
  // filling `results` (batch() entries, sized by the caller). With
  // `times`, each step is timed (one entry per step); with `observer`
  // (float activations only), it sees every convolution's input. Throws
  // dnnl::error.
  void Execute(Workspace* ws, const std::vector<RgbImageView>& images,
               const ParseOptions& options, std::vector<ParseResult>* results,
               std::vector<StepTime>* times = nullptr,
               const ConvInputObserver* observer = nullptr) const;

  std::unique_ptr<Workspace> NewWorkspace() const;

  // Writes the algorithm each convolution runs with (a requested Winograd
  // falls back to direct where oneDNN has none) and the weights this plan
  // packed into `packed`, so later plans reuse them.
  void ExportConvs(std::vector<PackedConv>* packed) const;

  // oneDNN implementation name -> number of convolutions using it.
  std::map<std::string, int> ImplCounts() const;

  int64_t batch() const { return batch_; }
  int64_t out_height() const { return out_height_; }
  int64_t out_width() const { return out_width_; }
  // Total bytes a workspace holds.
  size_t workspace_bytes() const;

 private:
  friend class Workspace;
  struct Step {
    FpnStep step;
    dnnl::memory::desc src, dst;  // Per batch; zero desc when unused.
    ActLayout src_layout, dst_layout;
    dnnl::convolution_forward primitive;  // kConv.
    dnnl::algorithm algorithm = dnnl::algorithm::convolution_direct;
    dnnl::memory weights;  // Plan's own repack when the layout differs.
    std::string impl;
    double gflop = 0;
    bool leaky = false;  // kPad: apply the producer's LeakyReLU.
    float quantize = 0;  // kPad: > 0 writes s8, round(x * quantize).
  };

  const PlanContext& context_;
  int64_t batch_, out_height_ = 0, out_width_ = 0;
  std::vector<Step> steps_;
  size_t slot_bytes_[kNumSlots] = {};
  size_t scratch_bytes_ = 0;
};

// Buffers of one forward call: a zero-initialised buffer per Slot, the
// scratchpad, a stream, and the memory objects each convolution reads.
class Workspace {
 public:
  explicit Workspace(const ForwardPlan& plan);
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  void* slot(Slot s) const { return slots_[static_cast<int>(s)].get(); }
  // Bytes of its buffers.
  size_t bytes() const { return bytes_; }

 private:
  friend class ForwardPlan;
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, Free> slots_[kNumSlots];
  std::unique_ptr<void, Free> scratch_;
  size_t bytes_ = 0;
  dnnl::stream stream_;
  std::vector<std::unordered_map<int, dnnl::memory>> args_;  // Per step.
};

}  // namespace onednn
}  // namespace facet

#endif  // FACET_CORE_ONEDNN_FORWARD_PLAN_H_
