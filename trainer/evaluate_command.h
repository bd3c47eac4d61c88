// `facet-trainer evaluate`: scores any weights without training.
//   --data synthetic | celebamask-hq:ROOT   validation metrics on the
//                                           held-out split (as train logs);
//   --data landmarks:IMAGE_OR_FOLDER        the real-face score: per-part IoU
//                                           against parts outlined by dlib's
//                                           68 landmarks on the faces found
//                                           in real photos (see
//                                           trainer/evaluation/).
#ifndef FACET_TRAINER_EVALUATE_COMMAND_H_
#define FACET_TRAINER_EVALUATE_COMMAND_H_

#include <string>
#include <vector>

namespace facet {

// Uses --weights (required), --data, --val_batches, --batch_size, --seed,
// --input_size, --threads, --device, --sheet. Exit code: 0 done, 1 failed, 2
// bad usage.
int RunEvaluateCommand(const std::vector<std::string> &args);

}  // namespace facet

#endif  // FACET_TRAINER_EVALUATE_COMMAND_H_
