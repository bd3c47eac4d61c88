// `facet-trainer degrade`: shows what the network trains on. Degrades one
// image, or every image in a folder, --count times with the training
// degradation (trainer/data/degradation_pipeline.h) and writes the results,
// or with --contact_sheet one grid per image: the HQ face first, then the
// --count degradations, each captioned with its drawn parameters.
//
//   facet-trainer degrade --seed 3 --count 12 --contact_sheet face.jpg out/
#ifndef FACET_TRAINER_DEGRADE_COMMAND_H_
#define FACET_TRAINER_DEGRADE_COMMAND_H_

#include <string>
#include <vector>

namespace facet {

// `args` are the positional arguments after the command name: IN (an image
// file or a folder of images) and OUT (a folder, created if missing; may
// instead be given as --out). Uses --seed, --input_size (the output side,
// at most 512), --count and --contact_sheet. Degradation j of the i-th
// input image (in sorted name order) is stream sample i * count + j, so
// equal seeds give equal files. Writes <stem>_<j>.png and degradations.tsv
// (file, j, parameters), or <stem>_sheet.png. Returns 0 when everything
// was written, 1 if any image failed, 2 on bad usage.
int RunDegradeCommand(const std::vector<std::string>& args);

}  // namespace facet

#endif  // FACET_TRAINER_DEGRADE_COMMAND_H_
