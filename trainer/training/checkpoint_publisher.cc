#include "trainer/training/checkpoint_publisher.h"

#include <cerrno>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/repository/retention.h"
#include "core/repository/rfc3339.h"
#include "core/status/errno_status.h"
#include "glog/logging.h"

namespace facet {

absl::StatusOr<PublishPolicy> ParsePublishPolicy(const std::string& name) {
  if (name == "every") return PublishPolicy::kEvery;
  if (name == "best") return PublishPolicy::kBest;
  return absl::InvalidArgumentError(
      absl::StrCat("--publish_policy=", name, ": expected every or best"));
}

std::string WriteFailureReason(const absl::Status& status) {
  switch (IoErrno(status)) {
    case 0:  // Not a failed system call: the code says.
      break;
    case EROFS:
      return "read_only";
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return "no_space";
    case EACCES:
    case EPERM:
      return "permission";
    default:  // EIO is DataLoss too, but no weight was non-finite.
      return "other";
  }
  if (absl::IsResourceExhausted(status)) return "no_space";
  if (absl::IsPermissionDenied(status)) return "permission";
  if (absl::IsDataLoss(status)) return "non_finite";
  return "other";
}

absl::StatusOr<std::unique_ptr<CheckpointPublisher>> CheckpointPublisher::Create(
    const CheckpointPublisherOptions& options) {
  if (options.keep < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--keep_versions=", options.keep,
                                                   ": expected >= 0"));
  }
  auto repo = ModelRepository::Create(options.repository, /*create_if_missing=*/true);
  if (!repo.ok()) return repo.status();
  std::unique_ptr<CheckpointPublisher> publisher(
      new CheckpointPublisher(options, *std::move(repo)));
  ModelRepository& r = *publisher->repo_;
  // NotFound: the model folder does not exist yet; nothing to clean or read.
  absl::StatusOr<int> cleaned = r.CleanStaging(options.model);
  if (cleaned.ok() && *cleaned > 0) {
    LOG(INFO) << "removed " << *cleaned
              << " staging folder(s) left by a killed publisher in "
              << r.ModelDir(options.model);
  }
  // The best mIoU already published, so `best` never goes backwards. The
  // manifests say it; reading and hashing every version's weights would
  // cost a second per published-size version at every start.
  absl::StatusOr<std::vector<int64_t>> versions = r.ListVersions(options.model);
  if (versions.ok()) {
    for (int64_t v : *versions) {
      absl::StatusOr<Manifest> manifest = r.ReadManifest(options.model, v);
      if (!manifest.ok()) continue;
      publisher->last_version_ = std::max(publisher->last_version_, v);
      auto it = manifest->metrics.find(kValidationMiouMetric);
      if (it != manifest->metrics.end()) {
        publisher->best_miou_ = std::max(publisher->best_miou_, it->second);
      }
    }
  }
  return publisher;
}

absl::StatusOr<int64_t> CheckpointPublisher::MaybePublish(
    const RawTensorMap& weights, const NetConfig& config, int64_t step,
    const std::map<std::string, double>& metrics) {
  double miou = -1;
  auto it = metrics.find(kValidationMiouMetric);
  if (it != metrics.end()) miou = it->second;
  if (options_.policy == PublishPolicy::kBest && (it == metrics.end() || miou <= best_miou_)) {
    return 0;
  }
  Manifest manifest;
  manifest.model_name = options_.model;
  manifest.config = config;
  manifest.step = step;
  manifest.metrics = metrics;
  manifest.created_at = FormatRfc3339Utc(std::chrono::system_clock::now());
  manifest.extra["producer"] = "facet-trainer";
  absl::StatusOr<int64_t> version = repo_->Publish(options_.model, weights, std::move(manifest));
  if (!version.ok()) {
    ++failures_;
    return version.status();
  }
  last_version_ = *version;
  if (miou > best_miou_) best_miou_ = miou;
  ApplyRetention();
  return *version;
}

void CheckpointPublisher::ApplyRetention() {
  if (options_.keep <= 0) return;
  RetentionOptions retention;
  retention.keep = options_.keep;
  absl::StatusOr<RetentionPlan> plan = RetainVersions(*repo_, options_.model, retention);
  if (!plan.ok()) {
    LOG(WARNING) << "event=retention_failed model=" << options_.model << " error=\""
                 << plan.status().message() << "\"";
    return;
  }
  for (size_t i = 0; i < plan->protected_.size(); ++i) {
    LOG(INFO) << "event=retention_kept version=" << plan->protected_[i] << " reason=\""
              << plan->reasons[i] << "\"";
  }
  if (!plan->remove.empty()) {
    LOG(INFO) << "event=retention_removed versions=" << absl::StrJoin(plan->remove, ",");
  }
}

}  // namespace facet
