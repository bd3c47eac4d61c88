// `facet-trainer synth-faces --count N --out DIR`: writes faces of the
// built-in synthetic set with their ground-truth label maps (NAME.png,
// NAME.truth.png ids, NAME.truth_color.png), to look at or to parse.
#ifndef FACET_TRAINER_SYNTH_FACES_COMMAND_H_
#define FACET_TRAINER_SYNTH_FACES_COMMAND_H_

#include <string>
#include <vector>

namespace facet {

// Exit code: 0 written, 1 failed, 2 bad usage.
int RunSynthFacesCommand(const std::vector<std::string>& args);

}  // namespace facet

#endif  // FACET_TRAINER_SYNTH_FACES_COMMAND_H_
