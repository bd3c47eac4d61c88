// TrainingBatch: one batch of (LQ input, HQ target, label map) triples as
// dense host arrays, laid out as the network's tensors, so that a torch
// caller wraps them without copying pixel by pixel (torch::from_blob over
// lq.data() with shape {N, 3, S, S}, labels.data() with {N, S, S} and
// kInt64) while this header stays free of torch.
#ifndef FACET_TRAINER_DATA_TRAINING_BATCH_H_
#define FACET_TRAINER_DATA_TRAINING_BATCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "trainer/data/degradation_params.h"

namespace facet {

struct TrainingBatch {
  int64_t batch_number = 0;     // 0, 1, 2, ... in the loader's order.
  int batch_size = 0;           // N
  int image_size = 0;           // S
  std::vector<float> lq;        // [N, 3, S, S], RGB planes, x / 255 * 2 - 1.
  std::vector<float> hq;        // [N, 3, S, S], same scaling.
  std::vector<int64_t> labels;  // [N, S, S], ids 0..18.
  // Per sample: the dataset index used (the next one when the intended
  // sample failed to load), the sample's position in the
  // stream (epoch * dataset size + position in the epoch) and its draws.
  std::vector<int64_t> dataset_indices;
  std::vector<int64_t> stream_positions;
  std::vector<DegradationParams> params;
};

}  // namespace facet

#endif  // FACET_TRAINER_DATA_TRAINING_BATCH_H_
