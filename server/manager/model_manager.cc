#include "server/manager/model_manager.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "server/manager/batch_size_search.h"

namespace facet {
namespace {

std::string FileStem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  return name.substr(0, name.find('.'));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModelManager>> ModelManager::Create(
    const ModelManagerOptions& options) {
  if (options.model_file.empty() && options.repository_root.empty()) {
    return absl::InvalidArgumentError(
        "nothing to serve: set --model_repository DIR (with --model_name) or "
        "--model FILE");
  }
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("model manager: clock is required");
  }
  if (options.lease_refresh_interval < absl::ZeroDuration() ||
      options.lease_refresh_interval >= kDefaultLeaseMaxAge) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lease refresh interval ",
        absl::FormatDuration(options.lease_refresh_interval),
        ": expected at least 0 and below the lease's maximum age of ",
        absl::FormatDuration(kDefaultLeaseMaxAge)));
  }
  if (options.model_file.empty() && !IsValidModelName(options.model_name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--model_name=", options.model_name,
        ": expected 1-128 characters of [A-Za-z0-9_.-] without a leading "
        "'.'"));
  }
  std::unique_ptr<ModelManager> manager(new ModelManager(options));
  ModelManager* m = manager.get();
  if (!options.model_file.empty()) {
    {
      absl::MutexLock lock(&m->mu_);
      m->policy_ = "file";
    }
    m->file_loader_ =
        std::thread([m] { m->TryLoad(m->options_.model_file, 0); });
    return manager;
  }
  if (!options.watch_repository) return manager;
  VersionSourceOptions source_options;
  source_options.repository = m->repository_.get();
  source_options.model = options.model_name;
  source_options.rescan_interval = options.rescan_interval;
  // The lease must be refreshed while nothing changes too, or it ages past
  // kDefaultLeaseMaxAge and retention stops protecting the served version.
  source_options.after_unchanged_scan = [m] {
    m->RefreshLease();
    m->ReturnMemoryOfReplacedVersions();
  };
  absl::StatusOr<std::unique_ptr<VersionSource>> source = VersionSource::Create(
      source_options,
      [m](const AspiredVersions& a) { m->SetAspiredVersions(a); });
  if (!source.ok()) return source.status();
  m->source_ = std::move(source).value();
  return manager;
}

ModelManager::ModelManager(ModelManagerOptions options)
    : options_(std::move(options)),
      repository_(ModelRepository::OpenUnchecked(options_.repository_root)),
      lease_holder_(ThisLeaseHolder()) {}

ModelManager::~ModelManager() {
  source_.reset();  // Stops the watcher (waits for a load in progress).
  if (file_loader_.joinable()) file_loader_.join();
  if (options_.model_file.empty()) {
    absl::Status removed = RemoveServingLease(ModelDir(), lease_holder_);
    if (!removed.ok()) {
      LOG(WARNING) << "event=lease_remove_failed error=\"" << removed.message() << "\"";
    }
  }
}

ModelHandle ModelManager::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

std::vector<int64_t> ModelManager::FailedVersions() const {
  absl::MutexLock lock(&mu_);
  return std::vector<int64_t>(failed_.begin(), failed_.end());
}

std::string ModelManager::PolicyString() const {
  absl::MutexLock lock(&mu_);
  return policy_;
}

void ModelManager::SetAspiredVersions(const AspiredVersions& aspired) {
  int64_t current_version = -1;
  std::set<int64_t> failed;
  {
    absl::MutexLock lock(&mu_);
    policy_ = aspired.policy.ToString();
    if (current_ != nullptr) current_version = current_->version;
    failed = failed_;
  }
  const std::vector<int64_t> candidates =
      CandidateVersions(aspired.policy, aspired.versions);
  LOG(INFO) << "event=versions_seen model=" << options_.model_name
            << " versions=" << aspired.versions.size()
            << " policy=" << aspired.policy.ToString()
            << " serving=" << current_version;
  for (int64_t version : candidates) {
    if (version == current_version) break;  // Best loadable is served.
    if (failed.count(version) > 0) continue;
    if (TryLoad(repository_->VersionDir(options_.model_name, version),
                version)) {
      break;
    }
  }
  RefreshLease();
  // A replaced version no batch held was freed in TryLoad: its memory goes
  // back now; one still in use goes back at a later scan.
  ReturnMemoryOfReplacedVersions();
}

void ModelManager::ReturnMemoryOfReplacedVersions() {
  bool freed = false;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = replaced_.begin(); it != replaced_.end();) {
      if (it->expired()) {
        it = replaced_.erase(it);
        freed = true;
      } else {
        ++it;
      }
    }
  }
  if (!freed) return;
  if (options_.return_freed_memory) {
    options_.return_freed_memory();
  } else {
    ReturnFreedMemory();
  }
}

void ModelManager::RefreshLease() {
  int64_t version = 0;
  {
    absl::MutexLock lock(&mu_);
    if (current_ != nullptr) version = current_->version;
  }
  if (version <= 0) return;
  // Every write is an fsync; an unchanged lease only needs to stay well
  // within kDefaultLeaseMaxAge. A failed write (lease_version_ 0) is retried
  // at the next scan, so a repair shows at once.
  const absl::Time now = options_.clock->Now();
  if (version == lease_version_ &&
      now - lease_written_at_ < options_.lease_refresh_interval) {
    return;
  }
  absl::Status written = WriteServingLease(ModelDir(), lease_holder_, version);
  lease_version_ = written.ok() ? version : 0;
  lease_written_at_ = now;
  // Logged when the failure starts or changes (a full disk that then turns
  // read-only) and when it ends, not at every rescan. Serving goes on: a
  // lease only protects the version from retention
  // (docs/model-repository.md).
  const std::string error = written.ok() ? "" : std::string(written.message());
  if (error == lease_error_) return;
  if (!written.ok()) {
    LOG(WARNING) << "event=lease_unwritable model=" << options_.model_name
                 << " version=" << version << " error=\"" << error << "\"";
  } else {
    LOG(INFO) << "event=lease_written model=" << options_.model_name
              << " version=" << version << " after=\"" << lease_error_ << "\"";
  }
  lease_error_ = error;
}

std::string ModelManager::ModelDir() const {
  return repository_->ModelDir(options_.model_name);
}

bool ModelManager::TryLoad(const std::string& path, int64_t version) {
  const std::string name = options_.model_file.empty()
                               ? options_.model_name
                               : FileStem(options_.model_file);
  LOG(INFO) << "event=model_load_start model=" << name << " version=" << version
            << " path=" << path;
  const absl::Time start = options_.clock->Now();
  absl::StatusOr<ModelHandle> model =
      options_.load_model ? options_.load_model(path, name, version)
                          : LoadModel(path, name, version, options_.loader);
  const double seconds = absl::ToDoubleSeconds(options_.clock->Now() - start);
  if (!model.ok()) {
    LOG(ERROR) << "event=model_load_failed model=" << name
               << " version=" << version << " seconds=" << seconds
               << " error=\"" << model.status().ToString() << "\"";
    if (options_.metrics)
      options_.metrics->ObserveModelLoad("failure", seconds);
    absl::MutexLock lock(&mu_);
    failed_.insert(version);
    return false;
  }
  ModelHandle old;
  {
    absl::MutexLock lock(&mu_);
    old = std::move(current_);
    current_ = *model;
    if (old != nullptr) replaced_.push_back(old);
  }
  const ServableModel& m = **model;
  if (options_.metrics) {
    options_.metrics->ObserveModelLoad("success", seconds);
    options_.metrics->SetModel(name, version, m.engine->device(),
                               m.engine->engine(), m.engine->precision());
    options_.metrics->SetEffectiveMaxBatchSize(m.effective_max_batch_size);
  }
  LOG(INFO) << "event=batch_size_chosen model=" << name
            << " version=" << version
            << " effective_max_batch_size=" << m.effective_max_batch_size
            << " max_batch_size=" << options_.loader.max_batch_size
            << " adaptive=" << (options_.loader.adaptive_batching ? 1 : 0)
            << " images_per_s=\"" << FormatThroughput(m.batch_throughput)
            << "\" ended=" << (m.batch_search_end.empty() ? "-"
                                                           : m.batch_search_end);
  LOG(INFO) << "event=model_serving model=" << name << " version=" << version
            << " previous=" << (old ? old->version : -1)
            << " engine=\"" << m.engine->Describe() << "\""
            << " device=" << m.engine->device() << " config=\""
            << m.config.ToString() << "\" load_seconds=" << seconds
            << " warmup_seconds=" << m.warmup_seconds;
  // `old` is released here; in-flight batches holding it finish first.
  return true;
}

}  // namespace facet
