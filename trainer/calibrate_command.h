// `facet-trainer calibrate`: measures the activation ranges an int8 forward
// of the oneDNN engine quantizes with, on degraded faces, and writes them
// beside the weights (int8_scales.h: a version folder's
// int8_scales.safetensors, or "<stem>.int8_scales.safetensors" beside a
// bare weights file), where `predict`, the server and the benchmarks find
// them with `--precision int8`.
//
// Faces: --calibration_faces of the training split of --data (synthetic or
// CelebAMask-HQ), degraded online exactly as in training (seeded by
// --seed), at the network's input size, run through the fp32 oneDNN
// forward (int8_calibrator.h). Calibrate on training faces; evaluate int8 on
// validation faces.
#ifndef FACET_TRAINER_CALIBRATE_COMMAND_H_
#define FACET_TRAINER_CALIBRATE_COMMAND_H_

#include <string>
#include <vector>

namespace facet {

// No positional arguments. Uses --weights, --data, --seed, --input_size,
// --threads, --calibration_faces and --int8_method. Returns the exit code: 0
// when the file was written, 1 on failure, 2 on bad usage.
int RunCalibrateCommand(const std::vector<std::string>& args);

}  // namespace facet

#endif  // FACET_TRAINER_CALIBRATE_COMMAND_H_
