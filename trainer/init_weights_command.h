// `facet-trainer init-weights --to REPO/MODEL --preset NAME`: publishes a
// freshly initialised network (LibTorch's default initialisation, seeded by
// --seed) as the next version of MODEL. The starting point for training,
// and a valid model for smoke tests of the server and tools.
#ifndef FACET_TRAINER_INIT_WEIGHTS_COMMAND_H_
#define FACET_TRAINER_INIT_WEIGHTS_COMMAND_H_

#include <string>
#include <vector>

namespace facet {

// Returns the exit code: 0 published, 1 failed, 2 bad usage.
int RunInitWeightsCommand(const std::vector<std::string>& args);

}  // namespace facet

#endif  // FACET_TRAINER_INIT_WEIGHTS_COMMAND_H_
