// Broken model versions for the reload soak: each is written into a hidden
// folder and renamed into place as the next version, exactly as a trainer
// publishes, but with one defect the server must refuse at load.
#ifndef FACET_TESTS_RELIABILITY_BAD_VERSIONS_H_
#define FACET_TESTS_RELIABILITY_BAD_VERSIONS_H_

#include <cstdint>
#include <string>

#include "core/model/net_config.h"

namespace facet {
namespace reliability {

enum class Defect {
  kBadChecksum,         // The manifest's SHA-256 is not the file's.
  kTruncatedWeights,    // Half the weights file (checksum of what is left).
  kNonFiniteWeights,    // A NaN and an infinity in one tensor.
  kWrongConfiguration,  // The manifest names another architecture.
  kNonFiniteOutputs,    // Finite but huge weights: outputs overflow.
};
constexpr int kNumDefects = 5;

const char* DefectName(Defect defect);

// Publishes version max(existing)+1 of `model` under `repo` with `defect`
// (random weights for `config` from `seed`); returns the version, or -1
// after a test failure.
int64_t PublishBadVersion(const std::string& repo, const std::string& model,
                          const NetConfig& config, uint32_t seed,
                          Defect defect);

}  // namespace reliability
}  // namespace facet

#endif  // FACET_TESTS_RELIABILITY_BAD_VERSIONS_H_
