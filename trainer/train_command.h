// `facet-trainer train`: trains the FPN on degraded faces, validates on the
// held-out split, publishes versions into REPO/MODEL for the servers, and
// checkpoints so that a killed or signalled run resumes exactly.
#ifndef FACET_TRAINER_TRAIN_COMMAND_H_
#define FACET_TRAINER_TRAIN_COMMAND_H_

#include <string>
#include <vector>

namespace facet {

// Exit code: 0 done (also after SIGTERM/SIGINT, once the checkpoint is
// saved), 1 failed, 2 bad usage (also a step estimated not to fit in the
// memory the process may use: trainer/train_memory_check.h).
int RunTrainCommand(const std::vector<std::string>& args);

}  // namespace facet

#endif  // FACET_TRAINER_TRAIN_COMMAND_H_
