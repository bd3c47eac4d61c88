// ModelManager: keeps the right version of one model loaded and hands out
// handles to it.
//
// Repository mode: a VersionSource reports the version folders and the
// policy; the manager tries the policy's candidates newest first, skipping
// versions that failed before, stopping at the version already served. A
// candidate is loaded, validated and warmed (ModelLoader) while the old
// version keeps serving; only then is it swapped in. A version that fails is
// logged, counted and remembered, never retried, and the old one keeps
// serving ("availability preserving", as TF Serving). When no candidate can
// be loaded the current version stays, even if its folder was removed.
//
// Serving leases: the manager writes its lease on the version it serves
// (<repo>/<model>/.leases/<host>-<pid>) and removes it on destruction, so
// the trainer's retention never deletes what a running server serves
// (core/repository/serving_lease.h). A scan rewrites the lease only when
// the version served changed, the last write failed, or the last write is
// `lease_refresh_interval` old: each write is an fsync, and scans come every
// few seconds.
//
// Memory: a replaced version is freed when its last in-flight batch drops
// its handle; after every scan the manager checks, on its own thread,
// whether a version it replaced is gone, and then hands the freed memory
// back to the system (ReturnFreedMemory, malloc_trim), never on an
// execution thread, so no request waits for it.
//
// File mode (`model_file` set): the one file is loaded once, as version 0.
//
// Thread safety: all public methods may be called concurrently. Loading
// happens on the source's thread (or a loader thread in file mode).
#ifndef FACET_SERVER_MANAGER_MODEL_MANAGER_H_
#define FACET_SERVER_MANAGER_MODEL_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/repository/model_repository.h"
#include "core/repository/serving_lease.h"
#include "server/common/clock.h"
#include "server/manager/model_handle.h"
#include "server/manager/model_loader.h"
#include "server/manager/version_source.h"
#include "server/metrics/metrics.h"

namespace facet {

struct ModelManagerOptions {
  std::string repository_root;       // Repository mode: the repository root.
  std::string model_name = "facet";  // Repository mode: the model folder.
  std::string model_file;  // File mode: weights to serve; wins if set.
  ModelLoaderOptions loader;
  // VersionSource's full rescan period. Default: 2 s.
  absl::Duration rescan_interval = absl::Seconds(2);
  // Longest time between two writes of an unchanged serving lease (a
  // failed write is retried at the next scan). In [0, kDefaultLeaseMaxAge);
  // 0 rewrites it at every scan. Default: kDefaultLeaseMaxAge / 4 (75 s).
  absl::Duration lease_refresh_interval = kDefaultLeaseMaxAge / 4;
  Metrics* metrics = nullptr;  // Optional; must outlive the manager.

  // Seams for tests.
  // Loads, validates and warms one version (a version folder or the file
  // of file mode); the manager swaps a version in only after this returned
  // it. Called on the source's thread, never under the manager's lock.
  // Default (unset): LoadModel(path, name, version, loader).
  std::function<absl::StatusOr<ModelHandle>(
      const std::string& path, const std::string& name, int64_t version)>
      load_model;
  // Hands freed memory back to the system; called on the source's thread
  // after a scan once a replaced version is gone. Default (unset):
  // ReturnFreedMemory() (model_loader.h).
  std::function<void()> return_freed_memory;
  // Repository mode: watch the model folder with a VersionSource. false:
  // nothing is watched and the owner calls SetAspiredVersions. Default:
  // true.
  bool watch_repository = true;
  // Times the loads (metrics and logs) and the lease refreshes; must
  // outlive the manager. Default: the real clock.
  const Clock* clock = Clock::Real();
};

class ModelManager {
 public:
  // Starts watching (or loading the file) in the background; returns at
  // once. InvalidArgument if neither a repository nor a file is given.
  static absl::StatusOr<std::unique_ptr<ModelManager>> Create(
      const ModelManagerOptions& options);
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // The version to use now, or null while none is loaded. Take one per
  // batch and drop it when done (see model_handle.h).
  ModelHandle Current() const;

  // Repository mode: the versions present and the policy changed; loads the
  // best candidate not served yet (see the file comment) and refreshes the
  // lease. Slow (loads a model); returns when done. Called by the
  // VersionSource; call it directly only with watch_repository = false.
  // Calls must not overlap.
  void SetAspiredVersions(const AspiredVersions& aspired);

  // Versions that failed to load (not retried), ascending.
  std::vector<int64_t> FailedVersions() const;
  // The policy in effect: "latest", "pinned:N", "rollback" or "file".
  std::string PolicyString() const;

 private:
  explicit ModelManager(ModelManagerOptions options);
  // Loads one candidate; true iff it is now served.
  bool TryLoad(const std::string& path, int64_t version);
  // Writes or refreshes this server's serving lease on the version it serves
  // (core/repository/serving_lease.h) if it changed, the last write failed
  // or lease_refresh_interval has passed; called after every scan (also
  // unchanged ones). Logs when writing starts or stops failing (a read-only
  // or full repository). Runs on the source's thread only.
  void RefreshLease();
  std::string ModelDir() const;
  // Calls return_freed_memory if a version replaced since the last call is
  // gone (its last handle dropped). Runs on the source's thread only.
  void ReturnMemoryOfReplacedVersions();

  const ModelManagerOptions options_;
  // Paths into the repository (repository mode); not checked to exist.
  const std::unique_ptr<ModelRepository> repository_;
  const std::string lease_holder_;
  // Source thread only: the last lease write's error ("" = OK), and the
  // version and time of the last successful one (0: none since a failure).
  std::string lease_error_;
  int64_t lease_version_ = 0;
  absl::Time lease_written_at_;
  mutable absl::Mutex mu_;
  ModelHandle current_ ABSL_GUARDED_BY(mu_);
  std::set<int64_t> failed_ ABSL_GUARDED_BY(mu_);
  std::string policy_ ABSL_GUARDED_BY(mu_) = "latest";
  // Versions replaced whose memory was not returned yet (some may still be
  // held by in-flight batches).
  std::vector<std::weak_ptr<const ServableModel>> replaced_
      ABSL_GUARDED_BY(mu_);
  std::unique_ptr<VersionSource> source_;
  std::thread file_loader_;
};

}  // namespace facet

#endif  // FACET_SERVER_MANAGER_MODEL_MANAGER_H_
