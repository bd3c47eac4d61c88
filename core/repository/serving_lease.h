// Serving leases: how a running server tells the repository which version it
// serves, so that retention never deletes it (docs/model-repository.md).
//
//   <root>/<model>/.leases/<holder>     one line: "version <N>"
//
// A server writes its lease when it starts serving a version and rewrites it
// (refreshing its modification time) well within `max_age` (facet-server:
// every --lease_refresh_ms, 75 s by default); it removes it when it exits. A
// lease whose file was not refreshed for `max_age` belongs to a server that
// died or lost the repository and is ignored. Holders are
// "<hostname>-<pid>": unique per process, readable in a listing.
//
// Leases are advisory and need write access: a server that mounts the
// repository read-only cannot write one, and retention then protects only
// what the serving policy and the newest valid version imply.
//
// Thread safety: functions may be called concurrently, also from several
// processes; writes are atomic (temporary file + rename).
#ifndef FACET_CORE_REPOSITORY_SERVING_LEASE_H_
#define FACET_CORE_REPOSITORY_SERVING_LEASE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace facet {

// Folder of leases inside a model folder.
constexpr char kLeaseDirName[] = ".leases";
// How long a lease counts after its last refresh, unless told otherwise.
constexpr absl::Duration kDefaultLeaseMaxAge = absl::Minutes(5);

struct ServingLease {
  std::string holder;
  int64_t version = 0;
  absl::Duration age;  // Since the lease was last written.
};

// "<hostname>-<pid>" of this process.
std::string ThisLeaseHolder();

// Writes (or refreshes) `holder`'s lease on `version` in `model_dir`.
// Errors (a read-only or full filesystem) carry the errno mapping of
// core/status and name the path.
absl::Status WriteServingLease(const std::string& model_dir,
                               const std::string& holder, int64_t version);

// Removes `holder`'s lease; OK if there is none.
absl::Status RemoveServingLease(const std::string& model_dir,
                                const std::string& holder);

// The leases in `model_dir` refreshed within `max_age`, any order; unreadable
// or malformed lease files are skipped. Empty when there is no lease folder.
std::vector<ServingLease> ListServingLeases(const std::string& model_dir,
                                            absl::Duration max_age);

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_SERVING_LEASE_H_
