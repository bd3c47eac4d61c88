#include "trainer/distributed/gradient_all_reducer.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include "absl/strings/str_cat.h"

namespace facet {

struct GradientAllReducer::Impl {
  Communicator* communicator = nullptr;
  std::vector<torch::Tensor> parameters;
  // The accumulators carry the hooks; a tensor holds its accumulator only
  // weakly, so they are kept alive here.
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;
  std::vector<std::vector<size_t>> buckets;  // Parameter indices.
  std::vector<int> bucket_of;                // Parameter index -> bucket.
  std::vector<int> missing;            // Per bucket: parameters not ready.
  std::vector<torch::Tensor> buffers;  // Per bucket while in flight.
  std::vector<std::unique_ptr<Communicator::Pending>> pending;
  size_t next_to_launch = 0;
  bool armed = false;

  void OnGradientReady(size_t index) {
    if (!armed) return;
    const int b = bucket_of[index];
    if (--missing[b] == 0) LaunchReadyBuckets();
  }

  void LaunchReadyBuckets() {
    while (next_to_launch < buckets.size() && missing[next_to_launch] == 0) {
      Launch(next_to_launch++);
    }
  }

  void Launch(size_t b) {
    const double scale = 1.0 / communicator->world_size();
    std::vector<torch::Tensor> flat;
    for (size_t i : buckets[b]) {
      const torch::Tensor& p = parameters[i];
      torch::Tensor g = p.grad();
      flat.push_back(g.defined() ? g.detach().reshape({-1})
                                 : torch::zeros({p.numel()}, p.options()));
    }
    torch::NoGradGuard no_grad;
    buffers[b] = torch::cat(flat).mul_(scale);
    pending[b] = communicator->AllReduceSumAsync(
        buffers[b], absl::StrCat("gradient bucket ", b));
  }
};

GradientAllReducer::GradientAllReducer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

GradientAllReducer::~GradientAllReducer() {
  // Wait for anything in flight: the collective writes into our buffers.
  for (auto& p : impl_->pending) {
    if (p) p->Wait().IgnoreError();
  }
  for (auto& acc : impl_->accumulators) acc->post_hooks().clear();
}

absl::StatusOr<std::unique_ptr<GradientAllReducer>> GradientAllReducer::Create(
    Communicator* communicator, std::vector<torch::Tensor> parameters,
    size_t bucket_bytes) {
  if (bucket_bytes == 0) {
    return absl::InvalidArgumentError(
        "gradient bucket size 0: expected bytes > 0");
  }
  auto impl = std::make_unique<Impl>();
  impl->communicator = communicator;
  impl->parameters = std::move(parameters);
  const size_t n = impl->parameters.size();
  impl->bucket_of.assign(n, -1);
  size_t bytes = 0;
  for (size_t k = n; k-- > 0;) {
    const torch::Tensor& p = impl->parameters[k];
    if (!p.requires_grad()) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter ", k, " does not require grad"));
    }
    const size_t size = p.numel() * p.element_size();
    if (impl->buckets.empty() || (bytes > 0 && bytes + size > bucket_bytes)) {
      impl->buckets.emplace_back();
      bytes = 0;
    }
    impl->buckets.back().push_back(k);
    impl->bucket_of[k] = static_cast<int>(impl->buckets.size()) - 1;
    bytes += size;
  }
  impl->buffers.resize(impl->buckets.size());
  impl->pending.resize(impl->buckets.size());
  impl->missing.assign(impl->buckets.size(), 0);
  Impl* raw = impl.get();
  for (size_t k = 0; k < n; ++k) {
    std::shared_ptr<torch::autograd::Node> acc =
        torch::autograd::impl::grad_accumulator(impl->parameters[k]);
    acc->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [raw, k](const torch::autograd::variable_list& outputs,
                 const torch::autograd::variable_list&) {
          raw->OnGradientReady(k);
          return outputs;
        }));
    impl->accumulators.push_back(std::move(acc));
  }
  return std::unique_ptr<GradientAllReducer>(
      new GradientAllReducer(std::move(impl)));
}

void GradientAllReducer::Arm() {
  Impl& m = *impl_;
  m.armed = true;
  m.next_to_launch = 0;
  for (size_t b = 0; b < m.buckets.size(); ++b) {
    m.missing[b] = static_cast<int>(m.buckets[b].size());
  }
}

absl::Status GradientAllReducer::Finish() {
  Impl& m = *impl_;
  m.armed = false;
  // Parameters that got no gradient this pass: reduce their buckets now,
  // still in index order.
  for (size_t b = m.next_to_launch; b < m.buckets.size(); ++b) m.Launch(b);
  m.next_to_launch = m.buckets.size();
  absl::Status status;
  for (size_t b = 0; b < m.buckets.size(); ++b) {
    absl::Status s = m.pending[b] ? m.pending[b]->Wait() : absl::OkStatus();
    m.pending[b].reset();
    if (!s.ok()) {
      if (status.ok()) status = s;
      continue;
    }
    if (!status.ok()) continue;
    torch::NoGradGuard no_grad;
    int64_t offset = 0;
    for (size_t i : m.buckets[b]) {
      torch::Tensor& p = m.parameters[i];
      torch::Tensor slice =
          m.buffers[b].narrow(0, offset, p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(slice);
      } else {
        p.mutable_grad() = slice.clone();
      }
      offset += p.numel();
    }
    m.buffers[b] = torch::Tensor();
  }
  return status;
}

int GradientAllReducer::num_buckets() const {
  return static_cast<int>(impl_->buckets.size());
}

}  // namespace facet
