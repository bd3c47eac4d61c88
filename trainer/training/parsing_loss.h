// ParsingLoss: the per-pixel cross-entropy of the parsing head, with an
// optional extra weight on the small inner parts of the face
// (kInnerFacePartLabels, core/image/label_palette.h).
//
// The paper trains with the plain cross-entropy: part weight 1, the
// default, is exactly F::cross_entropy. The inner parts (nose, eyes, brows,
// mouth and lips) cover a few per cent of a face's pixels; weighting them
// more trades a little precision on them for recall, which is what a model
// trained on synthetic faces lacks on real ones (docs/fidelity.md).
//
// The loss is the mean over pixels of weight[label] * -log p(label): a sum
// divided by the number of pixels, not by the sum of the weights, so that
// micro-batches and ranks combine exactly as with the plain mean.
//
// Thread safety: const methods may be called concurrently.
#ifndef FACET_TRAINER_TRAINING_PARSING_LOSS_H_
#define FACET_TRAINER_TRAINING_PARSING_LOSS_H_

#include <torch/torch.h>

namespace facet {

class ParsingLoss {
 public:
  // REQUIRES: classes >= 1; part_weight finite and > 0 (FpnTrainer checks).
  ParsingLoss(int classes, double part_weight, torch::Device device);

  // logits: N x classes x H x W; labels: N x H x W (int64). A scalar.
  torch::Tensor operator()(const torch::Tensor& logits,
                           const torch::Tensor& labels) const;

 private:
  torch::Tensor class_weights_;  // Undefined: the plain cross-entropy.
};

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_PARSING_LOSS_H_
