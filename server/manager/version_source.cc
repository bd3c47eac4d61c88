#include "server/manager/version_source.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/repository/model_repository.h"
#include "glog/logging.h"

namespace facet {

absl::StatusOr<AspiredVersions> VersionSource::Scan(
    const ModelRepository& repository, const std::string& model,
    const VersionPolicy& previous) {
  absl::StatusOr<std::vector<int64_t>> versions =
      repository.ListVersions(model);
  if (!versions.ok()) return versions.status();
  AspiredVersions out;
  out.versions = *std::move(versions);
  out.policy = previous;
  const std::string model_dir = repository.ModelDir(model);
  absl::StatusOr<VersionPolicy> policy = ReadServingPolicy(model_dir);
  if (policy.ok()) {
    out.policy = *policy;
  } else {
    LOG(WARNING) << "event=policy_error path=" << model_dir << "/"
                 << kPolicyFileName << " keeping=" << previous.ToString()
                 << " error=\"" << policy.status().message() << "\"";
  }
  return out;
}

absl::StatusOr<std::unique_ptr<VersionSource>> VersionSource::Create(
    const VersionSourceOptions& options, Callback callback) {
  if (options.repository == nullptr) {
    return absl::InvalidArgumentError("VersionSource: no repository given");
  }
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("inotify_init1: ", std::strerror(errno)));
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  return std::unique_ptr<VersionSource>(new VersionSource(
      options, std::move(callback), fd, pipe_fds[0], pipe_fds[1]));
}

VersionSource::VersionSource(VersionSourceOptions options, Callback callback,
                             int inotify_fd, int wake_read, int wake_write)
    : options_(std::move(options)),
      model_dir_(options_.repository->ModelDir(options_.model)),
      callback_(std::move(callback)),
      inotify_fd_(inotify_fd),
      wake_read_(wake_read),
      wake_write_(wake_write) {
  thread_ = std::thread([this] { Run(); });
}

VersionSource::~VersionSource() {
  stop_ = true;
  const char byte = 1;
  (void)!write(wake_write_, &byte, 1);
  thread_.join();
  close(inotify_fd_);
  close(wake_read_);
  close(wake_write_);
}

void VersionSource::ArmWatch() {
  if (watch_ >= 0) return;
  watch_ = inotify_add_watch(inotify_fd_, model_dir_.c_str(),
                             IN_CREATE | IN_DELETE | IN_MOVED_TO |
                                 IN_MOVED_FROM | IN_CLOSE_WRITE |
                                 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
  if (watch_ < 0 && parent_watch_ < 0) {
    // The model folder does not exist (yet): watch the repository root so
    // its creation is seen at once, not at the next rescan.
    const size_t slash = model_dir_.find_last_of('/');
    const std::string parent =
        slash == std::string::npos ? "." : model_dir_.substr(0, slash);
    parent_watch_ = inotify_add_watch(inotify_fd_, parent.c_str(),
                                      IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
  } else if (watch_ >= 0 && parent_watch_ >= 0) {
    inotify_rm_watch(inotify_fd_, parent_watch_);
    parent_watch_ = -1;
  }
}

void VersionSource::Run() {
  bool have_last = false;
  AspiredVersions last;
  while (!stop_) {
    ArmWatch();  // Re-armed here after the folder was deleted or moved.
    absl::StatusOr<AspiredVersions> state =
        Scan(*options_.repository, options_.model, last.policy);
    if (!state.ok()) {
      state = AspiredVersions{{}, last.policy};
    }
    if (!have_last || state->versions != last.versions ||
        !(state->policy == last.policy)) {
      have_last = true;
      last = *state;
      callback_(last);
      continue;  // Rescan at once: the callback may have taken long.
    }
    if (options_.after_unchanged_scan) options_.after_unchanged_scan();
    struct pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    const int timeout_ms =
        static_cast<int>(absl::ToInt64Milliseconds(options_.rescan_interval));
    if (poll(fds, 2, std::max(timeout_ms, 1)) > 0 &&
        (fds[0].revents & POLLIN)) {
      // Drain; a burst of events (a publish is several) makes one scan.
      alignas(struct inotify_event) char buffer[4096];
      ssize_t n;
      do {
        while ((n = read(inotify_fd_, buffer, sizeof(buffer))) > 0) {
          for (char* p = buffer; p < buffer + n;) {
            auto* event = reinterpret_cast<struct inotify_event*>(p);
            if (event->wd == watch_ &&
                (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))) {
              inotify_rm_watch(inotify_fd_, watch_);
              watch_ = -1;
            } else if (event->wd == parent_watch_ &&
                       (event->mask & IN_IGNORED)) {
              parent_watch_ = -1;
            }
            p += sizeof(struct inotify_event) + event->len;
          }
        }
        struct pollfd again = {inotify_fd_, POLLIN, 0};
        if (poll(&again, 1, 20) <= 0) break;
      } while (!stop_);
    }
  }
}

}  // namespace facet
