// facet-trainer: the offline side of Facet. Subcommands train, evaluate and
// run the face parsing network and move weights in and out of a model
// repository. Flags and wiring only; each subcommand lives in its own file.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "core/engine/openmp_wait.h"
#include "core/flags/parse_flags.h"
#include "glog/logging.h"
#include "trainer/calibrate_command.h"
#include "trainer/degrade_command.h"
#include "trainer/evaluate_command.h"
#include "trainer/init_weights_command.h"
#include "trainer/predict_command.h"
#include "trainer/synth_faces_command.h"
#include "trainer/train_command.h"
#include "trainer/weights_commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

constexpr Command kCommands[] = {
    {"train",
     "--to REPO/MODEL [--preset P] [--data D] [--steps N]: train and publish",
     facet::RunTrainCommand},
    {"evaluate",
     "--weights FILE|VERSION_DIR [--data D]: validation metrics of any weights",
     facet::RunEvaluateCommand},
    {"predict",
     "--weights FILE|VERSION_DIR --out DIR IMAGE...: parse faces locally",
     facet::RunPredictCommand},
    {"calibrate",
     "--weights FILE|VERSION_DIR [--data D] [--calibration_faces N]: int8 "
     "ranges beside the "
     "weights",
     facet::RunCalibrateCommand},
    {"init-weights",
     "--to REPO/MODEL [--preset P]: publish a freshly initialised network",
     facet::RunInitWeightsCommand},
    {"degrade",
     "--seed S --count N [--contact_sheet] IN [OUT]: show the training "
     "degradation",
     facet::RunDegradeCommand},
    {"import-weights",
     "--from FILE.pth --to REPO/MODEL: publish upstream PyTorch weights",
     facet::RunImportWeightsCommand},
    {"export-weights",
     "--from VERSION_DIR|FILE --to FILE.pth: weights for upstream PyTorch code",
     facet::RunExportWeightsCommand},
    {"synth-faces",
     "--out DIR [--faces N]: write built-in synthetic faces and their truth",
     facet::RunSynthFacesCommand},
};

std::string Usage() {
  std::string usage =
      "facet-trainer COMMAND [flags] [args]\n\n"
      "Trains and runs Facet's face parsing network offline.\n\nCommands:\n";
  for (const Command& c : kCommands) {
    usage += "  " + std::string(c.name) + " " + c.summary + "\n";
  }
  usage += "\nFlags are listed with --helpfull; every command's flags with --help.";
  return usage;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything starts a thread (see core/engine/openmp_wait.h).
  facet::ApplyOpenMpSpinDefault(argv);
  absl::SetProgramUsageMessage(Usage());
  absl::FlagsUsageConfig config;
  // --help lists the trainer's own flags (all under trainer/).
  config.contains_help_flags = [](absl::string_view path) {
    return path.find("trainer/") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(config);
  std::vector<char*> positional = facet::ParseFlags(argc, argv);
  // Plain one-line logs on stderr; no log files.
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  if (positional.size() < 2) {
    std::cerr << Usage() << "\n";
    return 2;
  }
  const std::string name = positional[1];
  std::vector<std::string> args(positional.begin() + 2, positional.end());
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(args);
  }
  std::cerr << "unknown command \"" << name << "\"\n\n" << Usage() << "\n";
  return 2;
}
