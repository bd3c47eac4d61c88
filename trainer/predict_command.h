// `facet-trainer predict`: runs a network locally on image files and writes,
// per image, the label map (8-bit ids), its colour rendering, the overlay on
// the input and the restored face. It is how users without a server, and
// our own checks, run a weights file.
#ifndef FACET_TRAINER_PREDICT_COMMAND_H_
#define FACET_TRAINER_PREDICT_COMMAND_H_

#include <string>
#include <vector>

namespace facet {

// `images` are the positional arguments (files). Uses --weights, --out,
// --input_size, --threads, --device and the predict flags. Returns the exit
// code: 0 when every image was written, 1 if any failed, 2 on bad usage.
int RunPredictCommand(const std::vector<std::string>& images);

}  // namespace facet

#endif  // FACET_TRAINER_PREDICT_COMMAND_H_
