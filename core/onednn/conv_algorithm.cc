#include "core/onednn/conv_algorithm.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace facet {
namespace onednn {
namespace {

using dnnl::memory;

constexpr double kProxyFlop = 1e9;  // Work of one timed proxy run.
constexpr double kMinMixGain = 0.95; // Mixed layouts must beat one by 5 %.

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

memory ZeroedMemory(const memory::desc& desc, const dnnl::engine& engine) {
  memory m(desc, engine);
  std::memset(m.get_data_handle(), 0, desc.get_size());
  return m;
}

// A convolution ready to run on zeroed buffers of its own.
struct TimedConv {
  TimedConv(const dnnl::convolution_forward::primitive_desc& pd, const FpnConv& conv,
            const dnnl::engine& engine)
      : prim(pd) {
    const memory::desc bias({conv.out_ch}, memory::data_type::f32, memory::format_tag::x);
    args = {
        {DNNL_ARG_SRC, ZeroedMemory(pd.src_desc(), engine)},
        {DNNL_ARG_WEIGHTS, ZeroedMemory(pd.weights_desc(), engine)},
        {DNNL_ARG_BIAS, ZeroedMemory(bias, engine)},
        {DNNL_ARG_DST, ZeroedMemory(pd.dst_desc(), engine)},
        {DNNL_ARG_SCRATCHPAD, ZeroedMemory(pd.scratchpad_desc(), engine)},
    };
  }
  // CPU seconds of the calling thread (timing runs single-threaded).
  double Run(dnnl::stream& stream) const {
    const double start = ThreadCpuSeconds();
    prim.execute(stream, args);
    stream.wait();
    return ThreadCpuSeconds() - start;
  }
  dnnl::convolution_forward prim;
  std::unordered_map<int, memory> args;
};

// The best of three runs of `a` and of `b` (if any) after a warm-up,
// alternating so that a burst of load from elsewhere hits both alike.
void Time(const TimedConv& a, const TimedConv* b, const dnnl::engine& engine, double* best_a,
          double* best_b) {
  dnnl::stream stream(engine);
  a.Run(stream);
  if (b) b->Run(stream);
  *best_a = 1e30;
  for (int r = 0; r < 3; ++r) {
    *best_a = std::min(*best_a, a.Run(stream));
    if (b) *best_b = std::min(*best_b, b->Run(stream));
  }
}

// Best algorithm and its estimated full-size time for one layer in one
// layout (infinite seconds when oneDNN has no implementation).
struct ConvOption {
  dnnl::algorithm algorithm = dnnl::algorithm::convolution_direct;
  double seconds = 1e30;
};

ConvOption TimeLayer(const PlanContext& context, const FpnStep& step,
                     memory::format_tag tag, bool try_winograd) {
  const FpnConv& conv = (*context.convs)[step.conv];
  // oneDNN's fast int8 kernels are channels-last; elsewhere it has only
  // slow ones, not worth timing.
  if (conv.int8 && tag != memory::format_tag::nhwc) return {};
  const double flop_per_row = 2.0 * conv.in_ch * conv.out_ch * 9 * step.dst.width;
  int64_t rows = static_cast<int64_t>(kProxyFlop / flop_per_row);
  rows = std::min(step.dst.height, std::max<int64_t>(8, (rows + 7) / 8 * 8));
  const bool input = step.src.slot == Slot::kInput;
  const memory::data_type dst_type =
      step.dst.slot == Slot::kHeads ? memory::data_type::f32 : context.data_type;
  const memory::desc src(
      {1, conv.in_ch, (rows - 1) * conv.stride + 3, step.src.width},
      ConvSrcType(context, conv), input ? memory::format_tag::any : tag);
  const memory::desc dst({1, conv.out_ch, rows, step.dst.width}, dst_type, tag);
  std::unique_ptr<TimedConv> direct, winograd;
  try {
    direct = std::make_unique<TimedConv>(
        MakeConvPd(context, conv, dnnl::algorithm::convolution_direct, src, dst), conv,
        context.engine);
  } catch (const dnnl::error&) {
    return {};
  }
  if (try_winograd && conv.stride == 1 && !input) {
    try {
      winograd = std::make_unique<TimedConv>(
          MakeConvPd(context, conv, dnnl::algorithm::convolution_winograd, src, dst), conv,
          context.engine);
    } catch (const dnnl::error&) {
      // No Winograd here (ISA, precision, layout or shape).
    }
  }
  double best_direct, best_winograd = 1e30;
  Time(*direct, winograd.get(), context.engine, &best_direct, &best_winograd);
  const double scale = double(step.dst.height) / rows;
  if (best_winograd < best_direct) {
    return {dnnl::algorithm::convolution_winograd, best_winograd * scale};
  }
  return {dnnl::algorithm::convolution_direct, best_direct * scale};
}

// Timings already taken in this process, by layer shape, layout and
// precision. Every version of a model has the same shapes: measuring them
// once makes reloads faster and their choices identical, so a new version
// reuses the kernels oneDNN compiled and cached for the previous one instead
// of compiling (and caching) a different mix on every reload.
class TimingMemo {
 public:
  static TimingMemo& Get() {
    static TimingMemo* memo = new TimingMemo;
    return *memo;
  }
  template <typename Measure>
  ConvOption Find(const std::string& key, Measure measure) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto known = options_.find(key);
      if (known != options_.end()) return known->second;
    }
    const ConvOption option = measure();
    std::lock_guard<std::mutex> lock(mu_);
    return options_.emplace(key, option).first->second;
  }

 private:
  std::mutex mu_;
  std::map<std::string, ConvOption> options_;
};

}  // namespace

ConvChoice ChooseConvs(const PlanContext& context, const std::vector<FpnStep>& program,
                       bool try_winograd, bool mix) {
  // Time on one thread, in that thread's CPU time: the ranking is that of
  // the multi-threaded run, and it holds on a machine busy with other work,
  // where wall times of two OpenMP threads mostly measure the scheduler.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  struct Restore {
    int threads;
    ~Restore() { omp_set_num_threads(threads); }
  } restore{threads};
  const std::vector<FpnConv>& convs = *context.convs;
  const size_t num_tags = context.tags.size();
  // options[conv][tag], shapes measured once.
  std::vector<std::vector<ConvOption>> options(convs.size());
  std::map<std::string, std::vector<ConvOption>> by_shape;
  for (const FpnStep& step : program) {
    if (step.kind != FpnStep::Kind::kConv) continue;
    const FpnConv& conv = convs[step.conv];
    const std::string key =
        std::to_string(conv.in_ch) + "/" + std::to_string(conv.out_ch) + "/" +
        std::to_string(step.dst.height) + "x" + std::to_string(step.dst.width) +
        "/" + std::to_string(conv.stride) + std::to_string(conv.leaky_relu) +
        std::to_string(conv.sum) +
        std::to_string(step.src.slot == Slot::kInput) +
        std::to_string(step.dst.slot == Slot::kHeads) +
        std::to_string(conv.int8);
    auto known = by_shape.find(key);
    if (known == by_shape.end()) {
      std::vector<ConvOption> per_tag;
      for (memory::format_tag tag : context.tags) {
        const std::string memo_key =
            key + "/" + std::to_string(static_cast<int>(tag)) + "/" +
            std::to_string(static_cast<int>(context.data_type)) + "/" +
            std::to_string(try_winograd);
        per_tag.push_back(TimingMemo::Get().Find(memo_key, [&] {
          return TimeLayer(context, step, tag, try_winograd);
        }));
      }
      known = by_shape.emplace(key, per_tag).first;
    }
    options[step.conv] = known->second;
  }
  // Groups that must share a layout: a summing conv and its partner; all
  // identity-block summing convs.
  std::vector<int> group(convs.size());
  for (size_t i = 0; i < convs.size(); ++i) {
    group[i] = static_cast<int>(i);
    if (!mix) {
      group[i] = 0;
    } else if (convs[i].sum) {
      group[i] = convs[i].sum_partner >= 0 ? convs[i].sum_partner : -1;
    }
  }
  std::map<int, std::vector<double>> group_seconds;
  ConvChoice choice;
  choice.single_layout_seconds.assign(num_tags, 0);
  for (size_t i = 0; i < convs.size(); ++i) {
    std::vector<double>& g = group_seconds[group[i]];
    g.resize(num_tags, 0);
    for (size_t t = 0; t < num_tags; ++t) {
      g[t] += options[i][t].seconds;
      choice.single_layout_seconds[t] += options[i][t].seconds;
    }
  }
  auto pick = [&](auto layout_of) {
    choice.layouts.assign(convs.size(), 0);
    choice.algorithms.assign(convs.size(), dnnl::algorithm::convolution_direct);
    choice.estimated_seconds = 0;
    for (size_t i = 0; i < convs.size(); ++i) {
      const int t = layout_of(i);
      choice.layouts[i] = t;
      choice.algorithms[i] = options[i][t].algorithm;
      choice.estimated_seconds += options[i][t].seconds;
    }
  };
  pick([&](size_t i) {
    const std::vector<double>& g = group_seconds[group[i]];
    return static_cast<int>(std::min_element(g.begin(), g.end()) - g.begin());
  });
  // Switching layouts costs converting pads and an extra pad for shortcuts
  // that the estimate leaves out: mix only for a clear gain.
  const std::vector<double>& single = choice.single_layout_seconds;
  const int best =
      static_cast<int>(std::min_element(single.begin(), single.end()) - single.begin());
  if (choice.estimated_seconds > kMinMixGain * single[best]) pick([&](size_t) { return best; });
  return choice;
}

}  // namespace onednn
}  // namespace facet
