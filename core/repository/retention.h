// Retention: which old versions of a model may be deleted, and deleting them
// safely (the only code that deletes versions).
//
// Never deleted, whatever `keep` says:
//  - the newest valid version (what "latest" serves; also when the newest
//    `keep` versions are all invalid);
//  - the version pinned in serving_policy.txt, and under "rollback" the
//    newest valid version older than the newest one;
//  - every version a live serving lease names (serving_lease.h).
// Otherwise the newest `keep` versions stay and older ones go.
//
// Deleting renames "<version>" to ".deleting-<version>" (so a server never
// sees a half-deleted version under its number) and removes that;
// ModelRepository::CleanStaging removes what a killed process left.
#ifndef FACET_CORE_REPOSITORY_RETENTION_H_
#define FACET_CORE_REPOSITORY_RETENTION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/repository/model_repository.h"
#include "core/repository/serving_lease.h"
#include "core/repository/serving_policy.h"

namespace facet {

struct RetentionInput {
  std::vector<int64_t> versions;  // Every version folder, newest first.
  // Whether a version is valid; called newest first, only as far as needed.
  std::function<bool(int64_t)> is_valid;
  VersionPolicy policy;
  std::vector<int64_t> leased;  // Versions live leases name.
  int keep = 5;                 // Newest versions kept regardless; >= 1.
};

struct RetentionPlan {
  std::vector<int64_t> remove;     // Newest first.
  std::vector<int64_t> protected_; // Kept beyond `keep`, and why (below).
  std::vector<std::string> reasons;  // One per protected_ entry.
};

// Pure: what RetainVersions would delete for `input`.
RetentionPlan PlanRetention(const RetentionInput& input);

struct RetentionOptions {
  int keep = 5;
  absl::Duration lease_max_age = kDefaultLeaseMaxAge;
};

// Applies PlanRetention to `model` in `repo`: lists the versions, reads the
// policy (an unreadable policy keeps everything: InvalidArgument), the live
// leases and validity (ValidateVersionDir, newest first until a valid one
// is found), and deletes the plan's versions. Returns the plan carried out;
// a version that could not be deleted is left and reported in the status
// only if nothing else went wrong (Internal naming the folder).
absl::StatusOr<RetentionPlan> RetainVersions(const ModelRepository& repo,
                                             const std::string& model,
                                             const RetentionOptions& options);

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_RETENTION_H_
