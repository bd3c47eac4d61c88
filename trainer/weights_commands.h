// Moving weights between Facet and upstream PyTorch code:
//   facet-trainer import-weights --from FILE.pth --to REPO/MODEL
//       reads an upstream state dict (zip or legacy format; PSFR-GAN,
//       facexlib and GPEN files), checks it strictly against the network
//       inferred from its shapes (--input_size), and publishes it as the
//       next version, with a manifest.
//   facet-trainer export-weights --from VERSION_DIR|FILE --to FILE.pth
//       writes a zip-format state dict that upstream code loads with
//       load_state_dict(strict=True).
#ifndef FACET_TRAINER_WEIGHTS_COMMANDS_H_
#define FACET_TRAINER_WEIGHTS_COMMANDS_H_

#include <string>
#include <vector>

namespace facet {

// Exit codes: 0 done, 1 failed, 2 bad usage.
int RunImportWeightsCommand(const std::vector<std::string>& args);
int RunExportWeightsCommand(const std::vector<std::string>& args);

}  // namespace facet

#endif  // FACET_TRAINER_WEIGHTS_COMMANDS_H_
