// VersionSource: watches one model folder of a repository and reports the
// version folders it holds and the serving policy
// (core/repository/serving_policy.h). What counts as a version is
// ModelRepository::ListVersions' business; this file only decides when to look.
//
// It watches `<repo>/<model>/` with inotify (creations, renames, deletions,
// writes; the watch is re-armed when the folder is deleted or replaced, and
// the parent folder is watched while the model folder is missing) and
// also rescans every `rescan_interval`, so changes are seen even where
// inotify is unavailable (network file systems). Each time the versions or
// the policy differ from the last report, the callback receives the whole
// state: every numeric version folder, newest first, and the policy. A
// policy file that does not parse is logged and the previous policy kept.
//
// Thread safety: the callback runs on the source's own thread, one call at
// a time; it may be slow (it loads models). The destructor stops the thread
// and waits for a running callback.
#ifndef FACET_SERVER_MANAGER_VERSION_SOURCE_H_
#define FACET_SERVER_MANAGER_VERSION_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/repository/model_repository.h"
#include "core/repository/serving_policy.h"

namespace facet {

struct AspiredVersions {
  std::vector<int64_t>
      versions;  // ListVersions: version folders, newest first.
  VersionPolicy policy;
};

struct VersionSourceOptions {
  // The repository and the model folder watched (which may not exist yet).
  // Required; the repository must outlive the source.
  const ModelRepository* repository = nullptr;
  std::string model;
  // Period of the full rescan. Default: 2 s.
  absl::Duration rescan_interval = absl::Seconds(2);
  // Called on the source's thread after every scan that found nothing new
  // (so at least every `rescan_interval`): the model manager refreshes its
  // serving lease there. Default: none.
  std::function<void()> after_unchanged_scan;
};

class VersionSource {
 public:
  using Callback = std::function<void(const AspiredVersions&)>;

  // Starts the watcher thread; the first scan happens at once.
  // InvalidArgument without a repository; Internal if the inotify or
  // wake-up descriptors cannot be created.
  static absl::StatusOr<std::unique_ptr<VersionSource>> Create(
      const VersionSourceOptions& options, Callback callback);
  ~VersionSource();
  VersionSource(const VersionSource&) = delete;
  VersionSource& operator=(const VersionSource&) = delete;

  // Scans the model folder once, synchronously, without calling the
  // callback: the versions of repository.ListVersions(model) and the policy
  // file (`previous` when it does not parse). Exposed for tests. NotFound
  // if the folder does not exist.
  static absl::StatusOr<AspiredVersions> Scan(const ModelRepository& repository,
                                              const std::string& model,
                                              const VersionPolicy& previous);

 private:
  VersionSource(VersionSourceOptions options, Callback callback, int inotify_fd,
                int wake_read, int wake_write);
  void Run();
  void ArmWatch();

  const VersionSourceOptions options_;
  const std::string model_dir_;  // Watched with inotify.
  const Callback callback_;
  const int inotify_fd_;
  const int wake_read_;
  const int wake_write_;
  int watch_ = -1;         // On model_dir. Only touched by the thread.
  int parent_watch_ = -1;  // On its parent while model_dir is missing.
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace facet

#endif  // FACET_SERVER_MANAGER_VERSION_SOURCE_H_
