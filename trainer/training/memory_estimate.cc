#include "trainer/training/memory_estimate.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace facet {

// Calibration (docs/training.md, "Memory"; scripts/measure_train_memory.py):
// peak resident memory of `facet-trainer train --steps=2` (wait4's
// ru_maxrss), CPU, float32, 2 threads, against the layer walk below. The
// measured growth per face over the walk's bytes per face was
//   published 512 px 1.05, 256 px 0.99, 128 px 1.07; small 128 px 1.33,
// and the intercept (no faces) minus weights, Adam and data buffers
// 0.30 GiB at 512 px and 128 px. With these constants every measured case of
// 128 px and more is estimated within -7 % .. +12 % (published 512 px,
// batch 2: 7.12 GiB estimated, 6.79 GiB measured).
const double kActivationCalibration = 1.10;
const int64_t kTrainerRuntimeBytes = int64_t{300} << 20;

namespace {

constexpr int64_t kFloatBytes = 4;

// Counts, in float32 elements per face, the tensors FaceParsingNet's
// training forward leaves for backward (face_parsing_net.cc), following
// LibTorch 1.13's autograd formulas:
//   nearest upsample      keeps nothing of size (only shapes);
//   reflection_pad2d      keeps its input;
//   conv2d                keeps its (padded) input and the weight;
//   batch_norm (train)    keeps its input (and per-channel mean/invstd);
//   leaky_relu            keeps its input;
//   add                   keeps nothing;
//   cross_entropy         keeps log_softmax's output (and the labels);
//   mse_loss              keeps both inputs (the HQ target is the batch's).
// Activations are float32 on the network's side; the per-pixel arithmetic
// uses in_size only (training needs out_size == in_size).
// Tensors are counted where they are produced, once, if anything keeps them.
class ActivationWalk {
 public:
  explicit ActivationWalk(const NetConfig& c) : c_(c) {}

  int64_t Run() {
    const int64_t b = c_.base_ch;
    const int64_t d = c_.down_steps();
    const int64_t u = c_.up_steps();
    int64_t side = c_.in_size;
    // The input image, the HQ target and the labels are the batch's own
    // memory (from_blob on the CPU): counted as data buffers, not here.
    // encoder.0: ConvLayer(3, b), no norm, no activation: padded input kept.
    // Its output feeds the first block, which keeps it (counted there).
    AddPadded(3, side);
    for (int64_t i = 0; i < d; ++i) {
      DownBlock(c_.Clip(b << i), c_.Clip(b << (i + 1)), side);
      side /= 2;
    }
    const int64_t body_ch = c_.Clip(b << d);
    // The body's blocks each keep their input; the encoder's output `feat`
    // is also alive for `feat + body`.
    for (int64_t i = 0; i < c_.res_depth; ++i) IdentityBlock(body_ch, side);
    if (c_.res_depth == 0) Add(body_ch, side);
    for (int64_t j = 0; j < u; ++j) {
      const int64_t next = d - j - 1 >= 0 ? (b << (d - j - 1)) : 0;
      UpBlock(c_.Clip(b << (d - j)), c_.Clip(next), side);
      side *= 2;
    }
    const int64_t head_ch = d - u >= 0 ? c_.Clip(b << (d - u)) : c_.Clip(0);
    // Both heads pad the decoder output y (kept once) and keep their padded
    // copy; logits and image stay referenced by the step; log_softmax's
    // output is kept by nll_loss.
    Add(head_ch, side);
    AddPadded(head_ch, side);
    AddPadded(head_ch, side);
    Add(c_.parsing_ch, side);  // logits
    Add(c_.parsing_ch, side);  // log-probabilities
    Add(3, side);              // restored image
    return elements_ * kFloatBytes;
  }

 private:
  void Add(int64_t ch, int64_t side) { elements_ += ch * side * side; }
  void AddPadded(int64_t ch, int64_t side) {
    elements_ += ch * (side + 2) * (side + 2);
  }

  // ResidualBlock(in, out, kDown) on an input of `side`.
  void DownBlock(int64_t in, int64_t out, int64_t side) {
    Add(in, side);             // x, kept by both pads
    AddPadded(in, side);       // shortcut conv input (its output is not kept)
    ConvBnAct(in, out, side);  // conv1, same size
    AddPadded(out, side);      // conv2 input
    Add(out, side / 2);        // conv2 output, kept by BatchNorm
  }

  // ResidualBlock(ch, ch, kNone), identity shortcut.
  void IdentityBlock(int64_t ch, int64_t side) {
    Add(ch, side);
    ConvBnAct(ch, ch, side);
    AddPadded(ch, side);
    Add(ch, side);
  }

  // ResidualBlock(in, out, kUp) on an input of `side`: shortcut and conv1
  // each upsample x (x itself is not kept).
  void UpBlock(int64_t in, int64_t out, int64_t side) {
    const int64_t up = side * 2;
    Add(in, up);  // shortcut's upsampled x, kept by its pad
    AddPadded(in, up);
    Add(in, up);  // conv1's upsampled x
    ConvBnAct(in, out, up);
    AddPadded(out, up);
    Add(out, up);
  }

  // pad -> conv -> BatchNorm -> LeakyReLU at `side` (no resampling): the
  // padded input, the conv output (BatchNorm), the BatchNorm output
  // (LeakyReLU) and the activation (the next conv's pad) are kept.
  void ConvBnAct(int64_t in, int64_t out, int64_t side) {
    AddPadded(in, side);
    Add(out, side);
    Add(out, side);
    Add(out, side);
  }

  const NetConfig& c_;
  int64_t elements_ = 0;
};

}  // namespace

int64_t SavedActivationBytesPerFace(const NetConfig& config) {
  return ActivationWalk(config).Run();
}

int64_t TrainableParameters(const NetConfig& config) {
  int64_t n = 0;
  for (const ParamSpec& p : ExpectedStateDict(config)) {
    if (p.dtype != DType::kFloat32 || absl::EndsWith(p.name, "running_mean") ||
        absl::EndsWith(p.name, "running_var")) {
      continue;
    }
    int64_t count = 1;
    for (int64_t dim : p.shape) count *= dim;
    n += count;
  }
  return n;
}

TrainingMemoryEstimate EstimateTrainingMemory(const TrainingMemoryInputs& in) {
  TrainingMemoryEstimate e;
  e.parameters = TrainableParameters(in.config);
  e.model_state_bytes = e.parameters * 4 * kFloatBytes;
  e.saved_activation_bytes_per_face = SavedActivationBytesPerFace(in.config);
  e.activation_bytes = static_cast<int64_t>(std::ceil(
      kActivationCalibration * double(e.saved_activation_bytes_per_face) *
      in.micro_batch_size));
  const int64_t pixels = in.config.in_size * in.config.in_size;
  e.data_buffer_bytes =
      int64_t{32} * pixels * in.batch_size * in.batches_in_flight;
  e.runtime_bytes = kTrainerRuntimeBytes;
  e.peak_bytes = e.runtime_bytes + e.model_state_bytes + e.data_buffer_bytes +
                 e.activation_bytes;
  return e;
}

int64_t TrainingMemoryEstimate::BytesPerFace() const {
  return static_cast<int64_t>(std::ceil(
      kActivationCalibration * double(saved_activation_bytes_per_face)));
}

std::string TrainingMemoryEstimate::ToString(int micro_batch_size) const {
  return absl::StrCat(
      FormatBytes(peak_bytes), " (activations ", FormatBytes(activation_bytes),
      " = ", micro_batch_size, " faces x ", FormatBytes(BytesPerFace()),
      ", weights+gradients+Adam ", FormatBytes(model_state_bytes), ", data ",
      FormatBytes(data_buffer_bytes), ", runtime ", FormatBytes(runtime_bytes),
      ")");
}

std::string FormatBytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= double(int64_t{1} << 30))
    return absl::StrFormat("%.2f GiB", b / (1 << 30));
  return absl::StrFormat("%.0f MiB", b / (1 << 20));
}

}  // namespace facet
