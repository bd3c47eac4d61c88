#include "core/repository/retention.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"

namespace facet {

RetentionPlan PlanRetention(const RetentionInput& input) {
  const std::vector<int64_t>& versions = input.versions;
  std::map<int64_t, bool> validity;  // Validation reads a whole version once.
  auto valid = [&](int64_t v) {
    auto it = validity.find(v);
    if (it == validity.end()) it = validity.emplace(v, input.is_valid(v)).first;
    return it->second;
  };
  // What "latest" serves, and what "rollback" serves: the newest valid
  // version among all but the newest folder (CandidateVersions).
  int64_t newest_valid = 0, rollback_target = 0;
  for (int64_t v : versions) {
    if (valid(v)) {
      newest_valid = v;
      break;
    }
  }
  if (input.policy.kind == VersionPolicy::Kind::kRollback) {
    for (size_t i = 1; i < versions.size(); ++i) {
      if (valid(versions[i])) {
        rollback_target = versions[i];
        break;
      }
    }
  }
  std::vector<std::pair<int64_t, std::string>> keep_reasons;
  if (newest_valid > 0) keep_reasons.push_back({newest_valid, "newest valid version"});
  if (input.policy.kind == VersionPolicy::Kind::kPinned) {
    keep_reasons.push_back({input.policy.pinned, "pinned in serving_policy.txt"});
  }
  if (rollback_target > 0) {
    keep_reasons.push_back({rollback_target, "rollback target in serving_policy.txt"});
  }
  for (int64_t v : input.leased) keep_reasons.push_back({v, "served (live lease)"});

  RetentionPlan plan;
  const size_t keep = static_cast<size_t>(std::max(1, input.keep));
  std::set<int64_t> reported;
  for (size_t i = keep; i < versions.size(); ++i) {
    const int64_t v = versions[i];
    auto reason = std::find_if(keep_reasons.begin(), keep_reasons.end(),
                               [v](const auto& r) { return r.first == v; });
    if (reason != keep_reasons.end()) {
      if (reported.insert(v).second) {
        plan.protected_.push_back(v);
        plan.reasons.push_back(reason->second);
      }
      continue;
    }
    plan.remove.push_back(v);
  }
  return plan;
}

absl::StatusOr<RetentionPlan> RetainVersions(const ModelRepository& repo,
                                             const std::string& model,
                                             const RetentionOptions& options) {
  absl::StatusOr<std::vector<int64_t>> versions = repo.ListVersions(model);
  if (!versions.ok()) return versions.status();
  const std::string model_dir = repo.ModelDir(model);
  absl::StatusOr<VersionPolicy> policy = ReadServingPolicy(model_dir);
  if (!policy.ok()) {
    // Without knowing what is pinned, deleting anything could delete it.
    return absl::InvalidArgumentError(absl::StrCat(
        "retention skipped: ", policy.status().message()));
  }
  RetentionInput input;
  input.versions = *versions;
  input.policy = *policy;
  input.keep = options.keep;
  for (const ServingLease& lease : ListServingLeases(model_dir, options.lease_max_age)) {
    input.leased.push_back(lease.version);
  }
  input.is_valid = [&](int64_t v) {
    return ModelRepository::ValidateVersionDir(repo.VersionDir(model, v)).ok();
  };
  RetentionPlan plan = PlanRetention(input);
  absl::Status failure;
  for (int64_t v : plan.remove) {
    absl::Status removed = repo.RetireVersion(model, v);
    if (!removed.ok() && failure.ok()) {
      failure =
          absl::InternalError(absl::StrCat("retention: ", removed.message()));
    }
  }
  if (!failure.ok()) return failure;
  return plan;
}

}  // namespace facet
