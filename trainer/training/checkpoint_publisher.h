// CheckpointPublisher: decides when the trainer publishes a version into
// the model repository the servers watch, publishes it atomically through
// ModelRepository::Publish, and applies retention.
//
// Policies: kEvery publishes every call; kBest only when the validation
// mIoU beats the best published so far (read back from the manifests at
// start, so a restarted trainer does not publish a worse model). Retention
// (core/repository/retention.h) keeps the newest `keep` versions and never
// deletes the newest valid one, the pinned or rollback one, or one a live
// server lease names; older ones are renamed to a hidden folder and then
// removed, so a reader never sees half a version.
// Failures (full disk, unwritable repository) are returned and counted;
// what is already published is never touched by a failed publish.
//
// Not thread-safe: the training loop owns it.
#ifndef FACET_TRAINER_TRAINING_CHECKPOINT_PUBLISHER_H_
#define FACET_TRAINER_TRAINING_CHECKPOINT_PUBLISHER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/model/net_config.h"
#include "core/model/raw_tensor.h"
#include "core/repository/model_repository.h"

namespace facet {

enum class PublishPolicy { kEvery, kBest };

// "every" or "best"; InvalidArgument otherwise.
absl::StatusOr<PublishPolicy> ParsePublishPolicy(const std::string& name);

// Why a publish or a checkpoint failed, as a metric label. From the errno
// the status carries (IoErrno, core/status/errno_status.h) when a system
// call failed, else from the code:
//   no_space    ENOSPC, EDQUOT, EFBIG; or ResourceExhausted (a size limit);
//   read_only   EROFS;
//   permission  EACCES, EPERM; or PermissionDenied;
//   non_finite  DataLoss without an errno (a non-finite weight: nothing was
//               written);
//   other       anything else (EIO included).
std::string WriteFailureReason(const absl::Status& status);
inline constexpr const char* kWriteFailureReasons[] = {
    "no_space", "read_only", "permission", "non_finite", "other"};

// Metric compared by PublishPolicy::kBest.
constexpr char kValidationMiouMetric[] = "val_miou";

struct CheckpointPublisherOptions {
  std::string repository;  // Root of the model repository (created if missing).
  std::string model = "facet";  // Model folder name.
  PublishPolicy policy = PublishPolicy::kEvery;  // Default: every.
  int keep = 5;            // Versions kept; 0 keeps all. Default: 5.
};

class CheckpointPublisher {
 public:
  // Opens (creating) the repository and removes staging folders left by a
  // killed publisher. Errors name the repository path.
  static absl::StatusOr<std::unique_ptr<CheckpointPublisher>> Create(
      const CheckpointPublisherOptions& options);

  // Publishes `weights` when the policy allows: returns the new version, or
  // 0 when the policy skipped it (kBest without improvement, or no
  // val_miou metric). `metrics` go into the manifest.
  absl::StatusOr<int64_t> MaybePublish(const RawTensorMap& weights,
                                       const NetConfig& config, int64_t step,
                                       const std::map<std::string, double>& metrics);

  int64_t last_version() const { return last_version_; }
  double best_miou() const { return best_miou_; }
  int64_t failures() const { return failures_; }

 private:
  CheckpointPublisher(CheckpointPublisherOptions options,
                      std::unique_ptr<ModelRepository> repo)
      : options_(std::move(options)), repo_(std::move(repo)) {}
  void ApplyRetention();

  CheckpointPublisherOptions options_;
  std::unique_ptr<ModelRepository> repo_;
  int64_t last_version_ = 0;
  double best_miou_ = -1;
  int64_t failures_ = 0;
};

}  // namespace facet

#endif  // FACET_TRAINER_TRAINING_CHECKPOINT_PUBLISHER_H_
