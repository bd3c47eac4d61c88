#include "trainer/distributed/sync_batch_norm.h"

#include <stdexcept>
#include <string>

namespace facet {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void AllReduceOrThrow(Communicator* communicator, torch::Tensor& t,
                      const std::string& what) {
  absl::Status s = communicator->AllReduceSum(t, what);
  if (!s.ok()) throw std::runtime_error(std::string(s.message()));
}

// Per-channel statistics over dims {0, 2, 3} of an NCHW tensor.
class SyncBatchNormFunction
    : public torch::autograd::Function<SyncBatchNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x,
                               torch::Tensor weight, torch::Tensor bias,
                               torch::Tensor running_mean,
                               torch::Tensor running_var, double momentum,
                               double eps, int64_t communicator_address) {
    auto* communicator = reinterpret_cast<Communicator*>(communicator_address);
    const int64_t c = x.size(1);
    const std::vector<int64_t> dims = {0, 2, 3};
    // Sums in float64 so that E[x²] - E[x]² keeps float32 precision.
    torch::Tensor xd = x.to(torch::kFloat64);
    torch::Tensor stats =
        torch::cat({xd.sum(dims), (xd * xd).sum(dims),
                    torch::full({1}, double(x.numel() / c), xd.options())});
    AllReduceOrThrow(communicator, stats, "BatchNorm statistics");
    const double count = stats[2 * c].item<double>();
    torch::Tensor mean = stats.narrow(0, 0, c) / count;
    torch::Tensor var =
        (stats.narrow(0, c, c) / count - mean * mean).clamp_min(0);
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum)
          .add_(mean.to(running_mean.dtype()), momentum);
      const double unbias = count > 1 ? count / (count - 1) : 1.0;
      running_var.mul_(1 - momentum)
          .add_((var * unbias).to(running_var.dtype()), momentum);
    }
    torch::Tensor invstd = (var + eps).rsqrt().to(x.dtype());
    mean = mean.to(x.dtype());
    torch::Tensor xhat =
        (x - mean.view({1, c, 1, 1})) * invstd.view({1, c, 1, 1});
    ctx->save_for_backward({xhat, weight, invstd});
    ctx->saved_data["count"] = count;
    ctx->saved_data["communicator"] = communicator_address;
    return xhat * weight.view({1, c, 1, 1}) + bias.view({1, c, 1, 1});
  }

  static variable_list backward(AutogradContext* ctx,
                                variable_list grad_outputs) {
    variable_list saved = ctx->get_saved_variables();
    torch::Tensor xhat = saved[0], weight = saved[1], invstd = saved[2];
    auto* communicator = reinterpret_cast<Communicator*>(
        ctx->saved_data["communicator"].toInt());
    const double count = ctx->saved_data["count"].toDouble();
    torch::Tensor dy = grad_outputs[0];
    const int64_t c = dy.size(1);
    const std::vector<int64_t> dims = {0, 2, 3};
    torch::Tensor local_dy = dy.sum(dims);
    torch::Tensor local_dy_xhat = (dy * xhat).sum(dims);
    torch::Tensor sums =
        torch::cat({local_dy, local_dy_xhat}).to(torch::kFloat64);
    AllReduceOrThrow(communicator, sums, "BatchNorm gradients");
    torch::Tensor mean_dy =
        (sums.narrow(0, 0, c) / count).to(dy.dtype()).view({1, c, 1, 1});
    torch::Tensor mean_dy_xhat =
        (sums.narrow(0, c, c) / count).to(dy.dtype()).view({1, c, 1, 1});
    torch::Tensor dx = (weight * invstd).view({1, c, 1, 1}) *
                       (dy - mean_dy - xhat * mean_dy_xhat);
    return {dx,
            local_dy_xhat,
            local_dy,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

BatchNormOverride MakeSyncBatchNorm(Communicator* communicator) {
  return
      [communicator](const torch::Tensor& x, torch::nn::BatchNorm2dImpl& bn) {
        const auto& options = bn.options;
        const double momentum = options.momentum().value_or(0.1);
        {
          torch::NoGradGuard no_grad;
          bn.num_batches_tracked.add_(1);
        }
        return SyncBatchNormFunction::apply(
            x, bn.weight, bn.bias, bn.running_mean, bn.running_var, momentum,
            options.eps(), reinterpret_cast<int64_t>(communicator));
      };
}

}  // namespace facet
