#include "core/repository/serving_lease.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/repository/file_util.h"
#include "core/status/errno_status.h"

namespace facet {

namespace fs = std::filesystem;

std::string ThisLeaseHolder() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "host");
  }
  return absl::StrCat(host, "-", getpid());
}

absl::Status WriteServingLease(const std::string& model_dir,
                               const std::string& holder, int64_t version) {
  const std::string dir = absl::StrCat(model_dir, "/", kLeaseDirName);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, "create", dir);
  }
  const std::string path = absl::StrCat(dir, "/", holder);
  const std::string temp = absl::StrCat(path, ".tmp");
  absl::Status written =
      WriteFileSynced(temp, absl::StrCat("version ", version, "\n"));
  if (!written.ok()) return written;
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(temp.c_str());
    return ErrnoToStatus(err, "rename", temp);
  }
  return absl::OkStatus();
}

absl::Status RemoveServingLease(const std::string& model_dir,
                                const std::string& holder) {
  const std::string path =
      absl::StrCat(model_dir, "/", kLeaseDirName, "/", holder);
  if (std::remove(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, "remove", path);
  }
  return absl::OkStatus();
}

std::vector<ServingLease> ListServingLeases(const std::string& model_dir,
                                            absl::Duration max_age) {
  std::vector<ServingLease> out;
  std::error_code ec;
  fs::directory_iterator it(absl::StrCat(model_dir, "/", kLeaseDirName), ec);
  if (ec) return out;
  const absl::Time now = absl::Now();
  for (const fs::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || absl::EndsWith(name, ".tmp")) continue;
    struct stat st;
    if (stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const absl::Duration age = now - absl::TimeFromTimespec(st.st_mtim);
    if (age > max_age) continue;
    std::ifstream in(entry.path());
    std::string word, number;
    int64_t version = 0;
    if (!(in >> word >> number) || word != "version" ||
        !absl::SimpleAtoi(number, &version) || version <= 0) {
      continue;
    }
    out.push_back({name, version, age});
  }
  return out;
}

}  // namespace facet
