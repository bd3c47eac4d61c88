#include "trainer/training/parsing_loss.h"

#include <vector>

#include "core/image/label_palette.h"

namespace facet {

namespace F = torch::nn::functional;

ParsingLoss::ParsingLoss(int classes, double part_weight,
                         torch::Device device) {
  if (part_weight == 1.0) return;
  std::vector<float> weights(static_cast<size_t>(classes), 1.0f);
  for (int label : kInnerFacePartLabels) {
    if (label < classes) weights[label] = static_cast<float>(part_weight);
  }
  class_weights_ = torch::tensor(weights).to(device);
}

torch::Tensor ParsingLoss::operator()(const torch::Tensor& logits,
                                      const torch::Tensor& labels) const {
  if (!class_weights_.defined()) return F::cross_entropy(logits, labels);
  return F::cross_entropy(logits, labels,
                          F::CrossEntropyFuncOptions()
                              .weight(class_weights_)
                              .reduction(torch::kSum)) /
         static_cast<double>(labels.numel());
}

}  // namespace facet
