// Chooses each convolution's activation layout and algorithm (direct or
// Winograd) by timing the network's convolutions as oneDNN runs them on
// this CPU. Each layer is timed on a proxy: the same channels, width and
// stride with fewer rows (about 1 GFLOP of work), so that the whole choice
// costs about one forward even at 512 px; layers of the same shape are
// timed once per process, so every version of a model (every reload) gets
// the same choice and reuses the kernels oneDNN already compiled. Timing runs
// on one thread and counts that thread's CPU time, so that a machine busy with
// other work does not decide the choice. Estimates scale the proxy time to the
// full height (one thread).
//
// Layouts may differ between layers because the engine's own pad kernels
// convert on the way (e.g. Winograd in nChw16c for stride-1 layers, brgemm
// in nhwc for stride-2 ones); a summing convolution runs in the layout of
// the one that wrote its destination, and the body's in-place ones share
// one layout.
#ifndef FACET_CORE_ONEDNN_CONV_ALGORITHM_H_
#define FACET_CORE_ONEDNN_CONV_ALGORITHM_H_

#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/onednn/forward_plan.h"
#include "core/onednn/fpn_layers.h"

namespace facet {
namespace onednn {

struct ConvChoice {
  std::vector<int> layouts;                 // Index into context.tags, per conv.
  std::vector<dnnl::algorithm> algorithms;  // Per conv.
  double estimated_seconds = 0;             // The convolutions at full size.
  // The estimate with every convolution in context.tags[i].
  std::vector<double> single_layout_seconds;
};

// Times the convolutions of `program` (batch 1; its layouts are ignored) in
// each of `context.tags`, trying Winograd where oneDNN offers it when
// `try_winograd`, and picks per convolution (`mix`) or one layout for all.
// Throws dnnl::error.
ConvChoice ChooseConvs(const PlanContext& context, const std::vector<FpnStep>& program,
                       bool try_winograd, bool mix);

}  // namespace onednn
}  // namespace facet

#endif  // FACET_CORE_ONEDNN_CONV_ALGORITHM_H_
