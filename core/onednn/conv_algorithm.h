// Chooses the activation layout and each convolution's algorithm (direct or
// Winograd) by timing the network's convolutions as oneDNN runs them on
// this CPU. Each layer is timed on a proxy: the same channels, width and
// stride with fewer rows (about 1 GFLOP of work), so that the whole choice
// costs about one forward even at 512 px; layers of the same shape are
// timed once. The estimate of a layout is the sum over layers of the proxy
// time scaled to the full height, with the faster algorithm per layer.
#ifndef FACET_CORE_ONEDNN_CONV_ALGORITHM_H_
#define FACET_CORE_ONEDNN_CONV_ALGORITHM_H_

#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/onednn/forward_plan.h"
#include "core/onednn/fpn_layers.h"

namespace facet {
namespace onednn {

struct LayoutChoice {
  dnnl::memory::format_tag tag = dnnl::memory::format_tag::undef;
  std::vector<dnnl::algorithm> algorithms;  // One per convolution.
  double estimated_seconds = 0;             // The convolutions at full size.
};

// Times `program` (batch 1) in `context.act_tag`, trying Winograd where
// oneDNN offers it when `try_winograd`. Throws dnnl::error.
LayoutChoice MeasureLayout(const PlanContext& context, const std::vector<FpnStep>& program,
                           bool try_winograd);

}  // namespace onednn
}  // namespace facet

#endif  // FACET_CORE_ONEDNN_CONV_ALGORITHM_H_
