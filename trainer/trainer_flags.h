// Flags shared by several facet-trainer subcommands. A flag used by one
// subcommand only is defined in that subcommand's file.
#ifndef FACET_TRAINER_TRAINER_FLAGS_H_
#define FACET_TRAINER_TRAINER_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(std::string, weights);
ABSL_DECLARE_FLAG(int64_t, input_size);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(int32_t, threads);
ABSL_DECLARE_FLAG(std::string, device);
ABSL_DECLARE_FLAG(std::string, to);
ABSL_DECLARE_FLAG(std::string, preset);
ABSL_DECLARE_FLAG(std::string, data);

namespace facet {

// Where --to points: the model repository root and the model folder name.
struct ModelDestination {
  std::string repository;  // "." when --to names only a model folder.
  std::string model;
};

// Splits "REPO/MODEL" ("models/fpn" -> {"models", "fpn"}, "fpn/" ->
// {".", "fpn"}). The model name is checked where it is used (Publish).
ModelDestination SplitModelDestination(const std::string& to);

}  // namespace facet

#endif  // FACET_TRAINER_TRAINER_FLAGS_H_
