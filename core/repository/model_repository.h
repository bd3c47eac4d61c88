// ModelRepository: the folder of versioned models that the trainer
// publishes into and the server loads from; the only contract between them.
//
//   <root>/<model>/<version>/weights.safetensors
//   <root>/<model>/<version>/manifest.json
//
// A version is a folder whose name is a positive decimal integer without
// sign or leading zero ("1", "42"; not "01", "+3", "-1"). Hidden folders
// (leading '.', such as publish staging folders) and other names are
// ignored. Versions appear atomically: Publish builds a version in a hidden
// staging folder and renames it into place, so a reader never sees a
// half-written version under a numeric name. docs/model-repository.md
// describes the layout, manifest and protocol in prose.
//
// Thread safety: all methods may be called concurrently, also from several
// processes; concurrent Publish calls get distinct version numbers.
#ifndef FACET_CORE_REPOSITORY_MODEL_REPOSITORY_H_
#define FACET_CORE_REPOSITORY_MODEL_REPOSITORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/model/raw_tensor.h"
#include "core/repository/manifest.h"

namespace facet {

// Name of the weights file inside a version folder.
constexpr char kWeightsFileName[] = "weights.safetensors";
// Prefix of Publish's staging folders inside a model folder.
constexpr char kStagingPrefix[] = ".staging-";
// Prefix of version folders being deleted (retention.h renames a version to
// this before removing it, so no reader sees half a version).
constexpr char kDeletingPrefix[] = ".deleting-";
// Largest manifest.json read (real ones are about 1 KB).
constexpr uint64_t kMaxManifestBytes = 1 << 20;

// A validated version, ready to build a network from.
struct LoadedVersion {
  Manifest manifest;
  RawTensorMap tensors;  // Exactly ExpectedStateDict(manifest.config).
};

// Returns true iff `name` is a version folder name; sets *version then.
bool ParseVersionName(std::string_view name, int64_t* version);

// Checks `tensors` as ValidateVersionDir checks a weights file: the entries
// of ExpectedStateDict(config) with their shapes and dtypes, and every
// floating-point value finite. InvalidArgument naming the tensor (and, for
// a non-finite value, its element index) otherwise.
absl::Status CheckWeights(const NetConfig& config, const RawTensorMap& tensors);

class ModelRepository {
 public:
  // Opens the repository at `root`. NotFound if `root` does not exist
  // (unless `create_if_missing`, which creates it and its parents);
  // FailedPrecondition if it is not a folder.
  static absl::StatusOr<std::unique_ptr<ModelRepository>> Create(
      const std::string& root, bool create_if_missing = false);

  // Opens the repository at `root` without checking that it exists: a
  // server may start before the trainer created it. Every method then
  // reports NotFound until it does.
  static std::unique_ptr<ModelRepository> OpenUnchecked(
      const std::string& root);

  ModelRepository(const ModelRepository&) = delete;
  ModelRepository& operator=(const ModelRepository&) = delete;

  const std::string& root() const { return root_; }
  // "<root>/<model>".
  std::string ModelDir(const std::string& model) const;
  // "<root>/<model>/<version>".
  std::string VersionDir(const std::string& model, int64_t version) const;

  // Every version folder of `model`, valid or not, newest first; empty if
  // the model folder holds none. NotFound if the model folder does not
  // exist; InvalidArgument for a bad model name.
  absl::StatusOr<std::vector<int64_t>> ListVersions(
      const std::string& model) const;

  // The manifest of one version: "<VersionDir>/manifest.json" parsed and
  // checked (ParseManifest), without reading or hashing the weights. Cheap;
  // use ValidateVersionDir before trusting the weights. NotFound if the
  // version or its manifest does not exist; InvalidArgument for a bad
  // manifest (also one whose version is not the folder's) or model name;
  // ResourceExhausted if it exceeds kMaxManifestBytes.
  absl::StatusOr<Manifest> ReadManifest(const std::string& model,
                                        int64_t version) const;

  // Deletes one version folder so that no reader ever sees half of it:
  // renames "<version>" to ".deleting-<version>" (replacing a leftover of
  // an earlier, killed retirement) and removes that. If the process dies
  // in between, CleanStaging removes the hidden folder later. NotFound if
  // the version does not exist; Internal naming the folder if it cannot be
  // renamed or removed. Only retention (retention.h) should call this: it
  // knows which versions are pinned, leased or the newest valid one.
  absl::Status RetireVersion(const std::string& model, int64_t version) const;

  // The versions of ListVersions that pass ValidateVersionDir, newest
  // first. Reads and hashes every version: costs a full read of each.
  absl::StatusOr<std::vector<int64_t>> ListValidVersions(
      const std::string& model) const;

  // Checks one version folder completely:
  //  - manifest.json exists and ParseManifest accepts it, and its version
  //    equals the folder name (when the folder name is a version);
  //  - the manifest lists weights.safetensors, and every listed file exists
  //    with the listed SHA-256;
  //  - weights.safetensors parses and passes CheckWeights against the
  //    manifest's config.
  // OK or the first problem: NotFound (missing folder or file),
  // InvalidArgument (bad manifest, weights not matching the config,
  // non-finite weights) or DataLoss (checksum mismatch, corrupt weights),
  // with a message naming the file, the tensor and expected vs found.
  static absl::Status ValidateVersionDir(const std::string& version_dir);

  // ValidateVersionDir, then returns the manifest and the tensors. The
  // weights file is read once: its checksum and the tensors come from the
  // same bytes (the file's size in memory, twice, for a moment).
  static absl::StatusOr<LoadedVersion> LoadVersionDir(
      const std::string& version_dir);

  // Atomically publishes `tensors` as the next version of `model` (the
  // largest existing version folder plus one, or 1) and returns its number.
  // Fills in manifest.model_name (or requires it to equal `model`),
  // manifest.version, manifest.files (checksums) and, when empty,
  // manifest.created_at (now). Protocol: check the weights (CheckWeights)
  // and the manifest; write both files into
  // "<root>/<model>/.staging-<pid>-<random>" and fsync them and the folder;
  // rename the folder to "<version>" without replacing anything (another
  // publisher winning the race makes us retry with the next number); fsync
  // the model folder. Creates the model folder if needed. On any error the
  // staging folder is removed and no version appears: InvalidArgument for
  // bad input, ResourceExhausted for a full disk, PermissionDenied or
  // FailedPrecondition for an unwritable repository.
  absl::StatusOr<int64_t> Publish(const std::string& model,
                                  const RawTensorMap& tensors,
                                  Manifest manifest);

  // Removes staging folders left by publishers that died (their process id,
  // taken from the folder name, no longer runs; folders without a readable
  // id are removed too). Returns how many were removed. Leaves the staging
  // folders of live processes alone, so it is safe to call while another
  // process publishes. Also removes ".deleting-<N>" folders that a killed
  // retention left. NotFound if the model folder does not exist.
  absl::StatusOr<int> CleanStaging(const std::string& model) const;

 private:
  explicit ModelRepository(std::string root) : root_(std::move(root)) {}

  std::string root_;
};

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_MODEL_REPOSITORY_H_
