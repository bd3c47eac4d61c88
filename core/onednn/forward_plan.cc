#include "core/onednn/forward_plan.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace facet {
namespace onednn {
namespace {

using dnnl::memory;
using Clock = std::chrono::steady_clock;

void* AllocateZeroed(size_t bytes) {
  const size_t size = std::max<size_t>(64, (bytes + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, size);
  if (p == nullptr) throw dnnl::error(dnnl_out_of_memory, "workspace allocation failed");
  std::memset(p, 0, size);
  return p;
}

double ProcessCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

memory PackWeights(const dnnl::engine& engine, const FpnConv& conv,
                   const memory::desc& desc) {
  memory packed(desc, engine);
  const memory::dims dims = {conv.out_ch, conv.in_ch, 3, 3};
  std::vector<int8_t> quantized;
  memory plain;
  if (conv.int8) {
    // Per output channel: round(w * weight_scale[o]) in [-127, 127]; the
    // reorder into the primitive's layout adds oneDNN's s8 compensation.
    const int64_t per_out = conv.in_ch * 9;
    quantized.resize(conv.weight.size());
    for (int64_t o = 0; o < conv.out_ch; ++o) {
      for (int64_t k = 0; k < per_out; ++k) {
        const float v =
            std::nearbyint(conv.weight[o * per_out + k] * conv.weight_scale[o]);
        quantized[o * per_out + k] =
            static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
      }
    }
    plain = memory({dims, memory::data_type::s8, memory::format_tag::oihw},
                   engine, quantized.data());
  } else {
    plain = memory({dims, memory::data_type::f32, memory::format_tag::oihw},
                   engine, const_cast<float*>(conv.weight.data()));
  }
  dnnl::stream stream(engine);
  dnnl::reorder(plain, packed).execute(stream, plain, packed);
  stream.wait();
  return packed;
}

template <typename T>
T* Ptr(const Workspace& ws, const TensorRef& ref) {
  return static_cast<T*>(ws.slot(ref.slot));
}

}  // namespace

memory::data_type ConvSrcType(const PlanContext& context, const FpnConv& conv) {
  return conv.int8 ? memory::data_type::s8 : context.data_type;
}

std::vector<float> OutputScales(const FpnConv& conv) {
  std::vector<float> scales(conv.out_ch, 1.0f);
  for (size_t o = 0; o < conv.weight_scale.size() && o < scales.size(); ++o) {
    scales[o] = 1.0f / (conv.input_scale * conv.weight_scale[o]);
  }
  return scales;
}

dnnl::convolution_forward::primitive_desc MakeConvPd(
    const PlanContext& context, const FpnConv& conv, dnnl::algorithm algorithm,
    const memory::desc& src, const memory::desc& dst) {
  dnnl::post_ops post_ops;
  if (conv.sum) post_ops.append_sum(1.0f);
  if (conv.leaky_relu && !LeakyInPad(conv, algorithm)) {
    post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.2f, 0.0f);
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(post_ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (conv.int8) attr.set_output_scales(1 << 1, OutputScales(conv));
  const memory::desc weights(
      {conv.out_ch, conv.in_ch, 3, 3},
      conv.int8 ? memory::data_type::s8 : context.data_type,
      memory::format_tag::any);
  const memory::desc bias({conv.out_ch}, memory::data_type::f32, memory::format_tag::x);
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, algorithm, src, weights, bias, dst,
      {conv.stride, conv.stride}, {0, 0}, {0, 0});
  return dnnl::convolution_forward::primitive_desc(desc, attr, context.engine);
}

bool LeakyInPad(const FpnConv& conv, dnnl::algorithm algorithm) {
  return conv.leaky_relu && algorithm == dnnl::algorithm::convolution_winograd;
}

ActLayout LayoutOf(const memory::desc& desc) {
  const dnnl_memory_desc_t& md = desc.data;
  if (md.ndims != 4 || md.format_kind != dnnl_blocked || md.offset0 != 0) {
    throw dnnl::error(dnnl_unimplemented, "unsupported activation layout");
  }
  const dnnl_blocking_desc_t& bk = md.format_desc.blocking;
  ActLayout l;
  l.n = md.dims[0];
  l.c = md.dims[1];
  l.h = md.dims[2];
  l.w = md.dims[3];
  l.sn = bk.strides[0];
  l.sh = bk.strides[2];
  l.sw = bk.strides[3];
  if (bk.inner_nblks == 1 && bk.inner_idxs[0] == 1) {
    l.block = bk.inner_blks[0];
    l.chunks = md.padded_dims[1] / l.block;
    l.sc = bk.strides[1];
  } else if (bk.inner_nblks == 0 && bk.strides[1] == 1) {  // Channels last.
    l.block = l.c;
    l.chunks = 1;
    l.sc = 0;
  } else if (bk.inner_nblks == 0) {  // Channels first.
    l.block = 1;
    l.chunks = l.c;
    l.sc = bk.strides[1];
  } else {
    throw dnnl::error(dnnl_unimplemented, "unsupported activation layout");
  }
  return l;
}

ForwardPlan::ForwardPlan(const PlanContext& context, int64_t batch,
                         int64_t height, int64_t width)
    : context_(context), batch_(batch) {
  const std::vector<FpnConv>& convs = *context.convs;
  std::vector<int> layouts;
  for (const PackedConv& p : *context.packed) layouts.push_back(p.layout);
  const std::vector<FpnStep> program =
      BuildFpnProgram(*context.config, convs, height, width, layouts);
  auto desc_of = [&](const TensorRef& ref, bool s8 = false) {
    const memory::data_type dt = s8 ? memory::data_type::s8
                                 : ref.slot == Slot::kHeads
                                     ? memory::data_type::f32
                                     : context.data_type;
    return memory::desc({batch, ref.channels, ref.height, ref.width}, dt,
                        context.tags[ref.layout]);
  };
  // The convolution that next reads each step's destination, or -1.
  std::vector<int> reader(program.size(), -1);
  for (size_t i = 0; i < program.size(); ++i) {
    for (size_t j = i + 1; j < program.size(); ++j) {
      if (program[j].kind == FpnStep::Kind::kConv &&
          program[j].src.slot == program[i].dst.slot) {
        reader[i] = program[j].conv;
        break;
      }
    }
  }
  steps_.resize(program.size());
  memory::desc input_desc;
  // Convolutions first: encoder.0 picks its source layout, which the input
  // step then writes.
  for (size_t i = 0; i < program.size(); ++i) {
    Step& st = steps_[i];
    st.step = program[i];
    if (st.step.kind != FpnStep::Kind::kConv) continue;
    const FpnConv& conv = convs[st.step.conv];
    const PackedConv& packed = (*context.packed)[st.step.conv];
    const TensorRef& s = st.step.src;
    st.src =
        s.slot == Slot::kInput
            ? memory::desc({batch, s.channels, s.height, s.width},
                           ConvSrcType(context, conv), memory::format_tag::any)
            : desc_of(s, conv.int8);
    st.dst = desc_of(st.step.dst);
    st.algorithm = packed.algorithm;
    dnnl::convolution_forward::primitive_desc pd;
    try {
      pd = MakeConvPd(context, conv, st.algorithm, st.src, st.dst);
    } catch (const dnnl::error&) {
      if (st.algorithm == dnnl::algorithm::convolution_direct) throw;
      st.algorithm = dnnl::algorithm::convolution_direct;
      pd = MakeConvPd(context, conv, st.algorithm, st.src, st.dst);
    }
    if (s.slot == Slot::kInput) input_desc = st.src = pd.src_desc();
    st.primitive = dnnl::convolution_forward(pd);
    st.impl = pd.impl_info_str();
    scratch_bytes_ = std::max(scratch_bytes_, pd.scratchpad_desc().get_size());
    if (!packed.weights || pd.weights_desc() != packed.weights.get_desc()) {
      // Not packed yet, or another shape asked for another layout.
      st.weights = PackWeights(context.engine, conv, pd.weights_desc());
    }
    st.gflop = 2.0 * batch * conv.out_ch * conv.in_ch * 9 * st.step.dst.height *
               st.step.dst.width / 1e9;
  }
  bool pending_leaky[kNumSlots] = {};
  for (size_t i = 0; i < steps_.size(); ++i) {
    Step& st = steps_[i];
    const FpnStep& p = st.step;
    if (p.kind == FpnStep::Kind::kPad && reader[i] >= 0 &&
        convs[reader[i]].int8) {
      st.quantize = convs[reader[i]].input_scale;
    }
    bool& pending = pending_leaky[static_cast<int>(p.src.slot)];
    if (pending) {
      if (p.kind != FpnStep::Kind::kPad) {
        throw dnnl::error(dnnl_unimplemented, "unfused LeakyReLU without a pad");
      }
      st.leaky = true;
      pending = false;
    }
    if (p.kind == FpnStep::Kind::kConv) {
      pending_leaky[static_cast<int>(p.dst.slot)] = LeakyInPad(convs[p.conv], st.algorithm);
    }
    if (p.kind == FpnStep::Kind::kInput) {
      st.dst = input_desc;
    } else if (p.kind != FpnStep::Kind::kConv) {
      st.src = desc_of(p.src);
      if (p.kind != FpnStep::Kind::kOutput)
        st.dst = desc_of(p.dst, st.quantize > 0);
    }
    if (p.kind != FpnStep::Kind::kInput) {
      st.src_layout = LayoutOf(st.src);
      slot_bytes_[static_cast<int>(p.src.slot)] =
          std::max(slot_bytes_[static_cast<int>(p.src.slot)], st.src.get_size());
    }
    if (p.kind != FpnStep::Kind::kOutput) {
      st.dst_layout = LayoutOf(st.dst);
      slot_bytes_[static_cast<int>(p.dst.slot)] =
          std::max(slot_bytes_[static_cast<int>(p.dst.slot)], st.dst.get_size());
    }
    if (p.kind == FpnStep::Kind::kOutput) {
      out_height_ = p.src.height;
      out_width_ = p.src.width;
    }
  }
}

size_t ForwardPlan::workspace_bytes() const {
  size_t total = scratch_bytes_;
  for (size_t b : slot_bytes_) total += b;
  return total;
}

std::unique_ptr<Workspace> ForwardPlan::NewWorkspace() const {
  return std::make_unique<Workspace>(*this);
}

Workspace::Workspace(const ForwardPlan& plan)
    : bytes_(plan.workspace_bytes()), stream_(plan.context_.engine) {
  for (int s = 0; s < kNumSlots; ++s) slots_[s].reset(AllocateZeroed(plan.slot_bytes_[s]));
  scratch_.reset(AllocateZeroed(plan.scratch_bytes_));
  const dnnl::engine& engine = plan.context_.engine;
  const memory scratch({{static_cast<int64_t>(std::max<size_t>(plan.scratch_bytes_, 1))},
                        memory::data_type::u8, memory::format_tag::x},
                       engine, scratch_.get());
  args_.resize(plan.steps_.size());
  for (size_t i = 0; i < plan.steps_.size(); ++i) {
    const ForwardPlan::Step& st = plan.steps_[i];
    if (st.step.kind != FpnStep::Kind::kConv) continue;
    const PackedConv& packed = (*plan.context_.packed)[st.step.conv];
    args_[i] = {
        {DNNL_ARG_SRC, memory(st.src, engine, slot(st.step.src.slot))},
        {DNNL_ARG_DST, memory(st.dst, engine, slot(st.step.dst.slot))},
        {DNNL_ARG_WEIGHTS, st.weights ? st.weights : packed.weights},
        {DNNL_ARG_BIAS, packed.bias},
        {DNNL_ARG_SCRATCHPAD, scratch},
    };
  }
}

void ForwardPlan::ExportConvs(std::vector<PackedConv>* packed) const {
  for (const Step& st : steps_) {
    if (st.step.kind != FpnStep::Kind::kConv) continue;
    PackedConv& p = (*packed)[st.step.conv];
    p.algorithm = st.algorithm;
    if (st.weights) p.weights = st.weights;
  }
}

std::map<std::string, int> ForwardPlan::ImplCounts() const {
  std::map<std::string, int> counts;
  for (const Step& st : steps_) {
    if (st.step.kind == FpnStep::Kind::kConv) ++counts[st.impl];
  }
  return counts;
}

namespace {

template <typename T>
void RunStep(const FpnStep& p, bool leaky, const ActLayout& src, const ActLayout& dst,
             size_t src_bytes, const Workspace& ws,
             const std::vector<RgbImageView>& images) {
  const bool convert = p.src.layout != p.dst.layout;
  switch (p.kind) {
    case FpnStep::Kind::kInput:
      InputKernel<T>(images, dst, Ptr<T>(ws, p.dst));
      break;
    case FpnStep::Kind::kPad:
      PadKernel<T>(src, Ptr<T>(ws, p.src), dst, Ptr<T>(ws, p.dst), p.upsample, leaky);
      break;
    case FpnStep::Kind::kCopy:
    case FpnStep::Kind::kAdd:
      if (convert) {
        ConvertKernel<T>(src, Ptr<T>(ws, p.src), dst, Ptr<T>(ws, p.dst),
                         p.kind == FpnStep::Kind::kAdd);
      } else if (p.kind == FpnStep::Kind::kCopy) {
        CopyKernel<T>(Ptr<T>(ws, p.src), Ptr<T>(ws, p.dst), src_bytes / sizeof(T));
      } else {
        AddKernel<T>(Ptr<T>(ws, p.src), Ptr<T>(ws, p.dst), src_bytes / sizeof(T));
      }
      break;
    default:
      break;
  }
}

}  // namespace

void ForwardPlan::Execute(Workspace* ws,
                          const std::vector<RgbImageView>& images,
                          const ParseOptions& options,
                          std::vector<ParseResult>* results,
                          std::vector<StepTime>* times,
                          const ConvInputObserver* observer) const {
  const bool bf16 = context_.data_type == memory::data_type::bf16;
  if (times) times->clear();
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& st = steps_[i];
    const FpnStep& p = st.step;
    const Clock::time_point start = times ? Clock::now() : Clock::time_point();
    const double cpu_start = times ? ProcessCpuSeconds() : 0;
    if (p.kind == FpnStep::Kind::kConv) {
      if (observer && st.src.data_type() == memory::data_type::f32) {
        ws->stream_.wait();
        (*observer)(p.conv, st.src_layout, Ptr<float>(*ws, p.src));
      }
      st.primitive.execute(ws->stream_, ws->args_[i]);
      if (times) ws->stream_.wait();
    } else if (p.kind == FpnStep::Kind::kOutput) {
      OutputKernel(st.src_layout, static_cast<const float*>(ws->slot(p.src.slot)),
                   context_.config->parsing_ch, options, results);
    } else if (st.quantize > 0) {
      QuantizePadKernel(st.src_layout, Ptr<float>(*ws, p.src), st.dst_layout,
                        Ptr<int8_t>(*ws, p.dst), p.upsample, st.leaky,
                        st.quantize);
    } else if (bf16) {
      RunStep<bf16_t>(p, st.leaky, st.src_layout, st.dst_layout, st.src.get_size(), *ws, images);
    } else {
      RunStep<float>(p, st.leaky, st.src_layout, st.dst_layout, st.src.get_size(), *ws, images);
    }
    if (times) {
      const double s = std::chrono::duration<double>(Clock::now() - start).count();
      times->push_back({p.name, p.kind, s, ProcessCpuSeconds() - cpu_start, st.gflop, st.impl});
    }
  }
  ws->stream_.wait();
}

}  // namespace onednn
}  // namespace facet
