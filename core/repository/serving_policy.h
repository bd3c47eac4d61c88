// VersionPolicy: which version of a model the server should serve, read
// from the policy file that operators edit at run time (core/repository owns
// it, with the rest of the repository's layout: the server reads it, the
// trainer's retention respects it):
//
//   <repo>/<model>/serving_policy.txt
//
// holding one directive ('#' starts a comment, blank lines are ignored):
//   latest      serve the newest valid version (also when the file is absent)
//   pin N       serve version N only
//   rollback    serve the newest valid version older than the newest one
//
// Thread safety: plain values and pure functions.
#ifndef FACET_CORE_REPOSITORY_SERVING_POLICY_H_
#define FACET_CORE_REPOSITORY_SERVING_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace facet {

constexpr char kPolicyFileName[] = "serving_policy.txt";

struct VersionPolicy {
  enum class Kind { kLatest, kPinned, kRollback };
  Kind kind = Kind::kLatest;
  int64_t pinned = 0;  // The version, for kPinned.

  // "latest", "pinned:N" or "rollback".
  std::string ToString() const;
  bool operator==(const VersionPolicy& o) const {
    return kind == o.kind && pinned == o.pinned;
  }
};

// Parses the policy file's text. InvalidArgument quoting the bad line and
// listing the accepted directives.
absl::StatusOr<VersionPolicy> ParseVersionPolicy(absl::string_view text);

// The versions to try, in order, under `policy`, given every version folder
// newest first: latest = all of them; pinned = {N} if present, else none;
// rollback = all but the newest.
std::vector<int64_t> CandidateVersions(const VersionPolicy& policy,
                                       const std::vector<int64_t>& versions);

// Reads "<model_dir>/serving_policy.txt": latest when the file is absent;
// InvalidArgument (ParseVersionPolicy's message, prefixed with the path)
// when it does not parse; Internal when it cannot be read.
absl::StatusOr<VersionPolicy> ReadServingPolicy(const std::string& model_dir);

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_SERVING_POLICY_H_
