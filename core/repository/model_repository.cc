#include "core/repository/model_repository.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <random>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/io/byte_order.h"
#include "core/model/net_config.h"
#include "core/model/safetensors.h"
#include "core/repository/file_util.h"
#include "core/repository/rfc3339.h"
#include "core/repository/sha256.h"
#include "core/status/errno_status.h"
#include "core/status/model_status_conversion.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Index of the first NaN or infinity in a floating tensor, or -1; *nan says
// which. Works on the bit patterns (exponent all ones), so it needs no
// conversion of half-precision values.
int64_t FirstNonFinite(const RawTensor& t, bool* nan) {
  int width;
  uint64_t exponent, mantissa;
  switch (t.dtype) {
    case DType::kFloat32:
      width = 4, exponent = 0x7F800000, mantissa = 0x007FFFFF;
      break;
    case DType::kFloat64:
      width = 8, exponent = 0x7FF0000000000000, mantissa = 0x000FFFFFFFFFFFFF;
      break;
    case DType::kFloat16:
      width = 2, exponent = 0x7C00, mantissa = 0x03FF;
      break;
    case DType::kBFloat16:
      width = 2, exponent = 0x7F80, mantissa = 0x007F;
      break;
    default:
      return -1;
  }
  const std::string_view bytes(reinterpret_cast<const char*>(t.data.data()),
                               t.data.size());
  size_t n = bytes.size() / static_cast<size_t>(width);
  for (size_t i = 0; i < n; ++i) {
    uint64_t bits =
        LoadLittleEndian(bytes, i * static_cast<size_t>(width), width);
    if ((bits & exponent) == exponent) {
      *nan = (bits & mantissa) != 0;
      return static_cast<int64_t>(i);
    }
  }
  return -1;
}

std::string StripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string RandomHex() {
  std::random_device rd;
  uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) s.push_back(kHex[(v >> (4 * i)) & 0xF]);
  return s;
}

bool ProcessAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

absl::Status CheckModelName(const std::string& model) {
  if (IsValidModelName(model)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "model name \"", model,
      "\" is not 1-128 characters of [A-Za-z0-9_.-] without a leading '.'"));
}

// Removes `dir` and what it holds, ignoring errors (clean-up after a
// failure that is already being reported).
void RemoveQuietly(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace

bool ParseVersionName(std::string_view name, int64_t* version) {
  // 18 digits always fit in int64_t; longer names are not versions.
  if (name.empty() || name.size() > 18 || name[0] < '1' || name[0] > '9')
    return false;
  int64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *version = v;
  return true;
}

absl::Status CheckWeights(const NetConfig& config,
                          const RawTensorMap& tensors) {
  if (ModelStatus s = CheckStateDictShapes(config, tensors); !s.ok()) {
    return absl::InvalidArgumentError(s.message());
  }
  for (const auto& [name, t] : tensors) {
    bool nan = false;
    int64_t at = FirstNonFinite(t, &nan);
    if (at >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor \"", name, "\" element ", at, " is ",
                       nan ? "NaN" : "infinite", " (weights must be finite)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ModelRepository>> ModelRepository::Create(
    const std::string& root, bool create_if_missing) {
  std::string dir = StripTrailingSlashes(root);
  if (dir.empty()) return absl::InvalidArgumentError("empty repository path");
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoToStatus(errno, "stat repository", dir);
    if (!create_if_missing) {
      return absl::NotFoundError(
          absl::StrCat("model repository ", dir, " does not exist"));
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return ErrnoToStatus(ec.value(), "create repository", dir);
  } else if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("model repository ", dir, " is not a folder"));
  }
  return std::unique_ptr<ModelRepository>(new ModelRepository(dir));
}

std::unique_ptr<ModelRepository> ModelRepository::OpenUnchecked(
    const std::string& root) {
  return std::unique_ptr<ModelRepository>(
      new ModelRepository(StripTrailingSlashes(root)));
}

std::string ModelRepository::ModelDir(const std::string& model) const {
  return absl::StrCat(root_, "/", model);
}

std::string ModelRepository::VersionDir(const std::string& model,
                                        int64_t version) const {
  return absl::StrCat(root_, "/", model, "/", version);
}

absl::StatusOr<std::vector<int64_t>> ModelRepository::ListVersions(
    const std::string& model) const {
  if (absl::Status s = CheckModelName(model); !s.ok()) return s;
  std::string dir = ModelDir(model);
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return ErrnoToStatus(ec.value(), "list model folder", dir);
  std::vector<int64_t> versions;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    int64_t v;
    if (!ParseVersionName(name, &v)) continue;  // Hidden or not a number.
    if (!IsDirectory(it->path().string())) continue;
    versions.push_back(v);
  }
  if (ec) return ErrnoToStatus(ec.value(), "list model folder", dir);
  std::sort(versions.rbegin(), versions.rend());
  return versions;
}

absl::StatusOr<Manifest> ModelRepository::ReadManifest(const std::string& model,
                                                       int64_t version) const {
  if (absl::Status s = CheckModelName(model); !s.ok()) return s;
  const std::string path =
      absl::StrCat(VersionDir(model, version), "/", kManifestFileName);
  absl::StatusOr<std::string> text = ReadFileWithLimit(path, kMaxManifestBytes);
  if (!text.ok()) return text.status();
  absl::StatusOr<Manifest> manifest = ParseManifest(*text, path);
  if (manifest.ok() && manifest->version != version) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": version ", manifest->version,
                     " does not match folder ", version));
  }
  return manifest;
}

absl::Status ModelRepository::RetireVersion(const std::string& model,
                                            int64_t version) const {
  if (absl::Status s = CheckModelName(model); !s.ok()) return s;
  const std::string dir = VersionDir(model, version);
  if (!IsDirectory(dir)) {
    return absl::NotFoundError(
        absl::StrCat("version folder ", dir, " does not exist"));
  }
  const std::string hidden =
      absl::StrCat(ModelDir(model), "/", kDeletingPrefix, version);
  std::error_code ec;
  fs::remove_all(hidden, ec);  // What a killed retirement of it left.
  ec.clear();
  fs::rename(dir, hidden, ec);
  if (!ec) fs::remove_all(hidden, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot remove ", dir, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> ModelRepository::ListValidVersions(
    const std::string& model) const {
  absl::StatusOr<std::vector<int64_t>> all = ListVersions(model);
  if (!all.ok()) return all.status();
  std::vector<int64_t> valid;
  for (int64_t v : *all) {
    if (ValidateVersionDir(VersionDir(model, v)).ok()) valid.push_back(v);
  }
  return valid;
}

absl::Status ModelRepository::ValidateVersionDir(
    const std::string& version_dir) {
  return LoadVersionDir(version_dir).status();
}

absl::StatusOr<LoadedVersion> ModelRepository::LoadVersionDir(
    const std::string& version_dir) {
  std::string dir = StripTrailingSlashes(version_dir);
  if (!IsDirectory(dir)) {
    return absl::NotFoundError(
        absl::StrCat("version folder ", dir, " does not exist"));
  }
  std::string manifest_path = absl::StrCat(dir, "/", kManifestFileName);
  absl::StatusOr<std::string> text =
      ReadFileWithLimit(manifest_path, kMaxManifestBytes);
  if (!text.ok()) return text.status();
  absl::StatusOr<Manifest> manifest = ParseManifest(*text, manifest_path);
  if (!manifest.ok()) return manifest.status();

  int64_t folder_version;
  if (ParseVersionName(fs::path(dir).filename().string(), &folder_version) &&
      folder_version != manifest->version) {
    return absl::InvalidArgumentError(
        absl::StrCat(manifest_path, ": version ", manifest->version,
                     " does not match folder ", folder_version));
  }
  if (manifest->files.count(kWeightsFileName) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        manifest_path, ": \"files\" does not list ", kWeightsFileName));
  }
  // The weights are read once: hashed and parsed from the same bytes, so
  // a load costs one read of the file and what is checked is what is used.
  std::string weights_path = absl::StrCat(dir, "/", kWeightsFileName);
  absl::StatusOr<std::string> weights_bytes =
      ReadFileWithLimit(weights_path, kMaxSafetensorsFileBytes);
  if (!weights_bytes.ok()) return weights_bytes.status();
  for (const auto& [name, expected] : manifest->files) {
    std::string path = absl::StrCat(dir, "/", name);
    absl::StatusOr<std::string> actual =
        name == kWeightsFileName ? Sha256Hex(*weights_bytes) : Sha256File(path);
    if (!actual.ok()) return actual.status();
    if (*actual != expected) {
      return absl::DataLossError(
          absl::StrCat(path, ": SHA-256 mismatch: manifest lists ", expected,
                       ", file has ", *actual));
    }
  }
  absl::StatusOr<SafetensorsContents> weights =
      ToAbslStatusOr(ParseSafetensors(*weights_bytes, weights_path));
  weights_bytes = std::string();  // The tensors hold their own copy.
  if (!weights.ok()) return weights.status();
  if (absl::Status s = CheckWeights(manifest->config, weights->tensors);
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        weights_path, " does not match ", manifest_path, ": ", s.message()));
  }
  return LoadedVersion{*std::move(manifest), std::move(weights->tensors)};
}

absl::StatusOr<int64_t> ModelRepository::Publish(const std::string& model,
                                                 const RawTensorMap& tensors,
                                                 Manifest manifest) {
  if (absl::Status s = CheckModelName(model); !s.ok()) return s;
  if (manifest.model_name.empty()) manifest.model_name = model;
  if (manifest.model_name != model) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest model_name \"", manifest.model_name,
                     "\" differs from the model \"", model, "\""));
  }
  if (manifest.created_at.empty()) {
    manifest.created_at = FormatRfc3339Utc(std::chrono::system_clock::now());
  }
  manifest.files.clear();
  manifest.version = 1;  // Placeholder so that validation passes; set below.
  if (absl::Status s = ValidateManifest(manifest); !s.ok()) return s;
  if (absl::Status s = CheckWeights(manifest.config, tensors); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to publish: ", s.message()));
  }

  std::string model_dir = ModelDir(model);
  if (::mkdir(model_dir.c_str(), 0755) == 0) {
    if (absl::Status s = SyncDir(root_); !s.ok()) return s;
  } else if (errno != EEXIST) {
    return ErrnoToStatus(errno, "create model folder", model_dir);
  }
  std::string staging = absl::StrCat(model_dir, "/", kStagingPrefix, ::getpid(),
                                     "-", RandomHex());
  if (::mkdir(staging.c_str(), 0755) != 0) {
    return ErrnoToStatus(errno, "create staging folder", staging);
  }
  absl::StatusOr<int64_t> result = [&]() -> absl::StatusOr<int64_t> {
    std::string weights_path = absl::StrCat(staging, "/", kWeightsFileName);
    absl::Status s =
        ToAbslStatus(WriteSafetensorsFile(weights_path, tensors, {}));
    if (!s.ok()) return s;
    absl::StatusOr<std::string> digest = Sha256File(weights_path);
    if (!digest.ok()) return digest.status();
    manifest.files[kWeightsFileName] = *digest;
    std::string manifest_path = absl::StrCat(staging, "/", kManifestFileName);
    // Another publisher may take the number between listing and renaming;
    // the rename then fails without replacing and we try the next number.
    for (int attempt = 0; attempt < 100; ++attempt) {
      absl::StatusOr<std::vector<int64_t>> versions = ListVersions(model);
      if (!versions.ok()) return versions.status();
      manifest.version = versions->empty() ? 1 : versions->front() + 1;
      if (s = WriteFileSynced(manifest_path, SerializeManifest(manifest));
          !s.ok())
        return s;
      if (s = SyncDir(staging); !s.ok()) return s;
      std::string target = VersionDir(model, manifest.version);
      s = RenameNoReplace(staging, target);
      if (absl::IsAlreadyExists(s)) continue;
      if (!s.ok()) return s;
      if (s = SyncDir(model_dir); !s.ok()) {
        // Not durable: withdraw the version rather than report an error
        // while it stays visible.
        if (::rename(target.c_str(), staging.c_str()) != 0)
          RemoveQuietly(target);
        return s;
      }
      return manifest.version;
    }
    return absl::AbortedError(
        absl::StrCat("gave up publishing into ", model_dir,
                     ": version numbers kept being taken"));
  }();
  if (!result.ok()) RemoveQuietly(staging);
  return result;
}

absl::StatusOr<int> ModelRepository::CleanStaging(
    const std::string& model) const {
  if (absl::Status s = CheckModelName(model); !s.ok()) return s;
  std::string dir = ModelDir(model);
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return ErrnoToStatus(ec.value(), "list model folder", dir);
  std::vector<std::string> doomed;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (absl::StartsWith(name, kDeletingPrefix)) {
      doomed.push_back(it->path().string());  // A retention that was killed.
      continue;
    }
    if (!absl::StartsWith(name, kStagingPrefix)) continue;
    std::string_view rest =
        std::string_view(name).substr(sizeof(kStagingPrefix) - 1);
    size_t dash = rest.find('-');
    int64_t pid;
    if (dash != std::string_view::npos &&
        ParseVersionName(rest.substr(0, dash), &pid) && pid <= 0x7FFFFFFF &&
        ProcessAlive(static_cast<pid_t>(pid))) {
      continue;  // Its writer may still be running.
    }
    doomed.push_back(it->path().string());
  }
  if (ec) return ErrnoToStatus(ec.value(), "list model folder", dir);
  for (const std::string& path : doomed) {
    fs::remove_all(path, ec);
    // Another cleaner may have removed it first.
    if (ec && ec.value() != ENOENT) {
      return ErrnoToStatus(ec.value(), "remove staging folder", path);
    }
  }
  return static_cast<int>(doomed.size());
}

}  // namespace facet
