#include "client/cli/cli_common.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/io/file_io.h"
#include "core/status/errno_status.h"

namespace facet {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void ListFolder(const std::string& dir, bool recursive,
                std::vector<InputFile>* out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    out->push_back(
        {dir, absl::PermissionDeniedError(absl::StrCat(
                  "cannot list folder ", dir, ": ", std::strerror(errno)))});
    return;
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(d)) {
    if (entry->d_name[0] != '.') names.push_back(entry->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (recursive) ListFolder(path, recursive, out);
    } else if (S_ISREG(st.st_mode)) {
      out->push_back({path, absl::OkStatus()});
    }
  }
}

}  // namespace

std::vector<InputFile> ExpandInputs(const std::vector<std::string>& args,
                                    bool recursive) {
  std::vector<InputFile> inputs;
  for (std::string arg : args) {
    while (arg.size() > 1 && arg.back() == '/') arg.pop_back();
    struct stat st;
    if (stat(arg.c_str(), &st) != 0) {
      inputs.push_back({arg, absl::NotFoundError(absl::StrCat(
                                 "no such file or folder: ", arg))});
    } else if (S_ISDIR(st.st_mode)) {
      ListFolder(arg, recursive, &inputs);
    } else {
      inputs.push_back({arg, absl::OkStatus()});
    }
  }
  return inputs;
}

std::string UniqueStem(const std::string& path, std::set<std::string>* used) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  if (name.empty()) name = "input";
  std::string stem = name;
  for (int n = 2; used->count(stem) > 0; ++n) stem = absl::StrCat(name, "_", n);
  used->insert(stem);
  return stem;
}

absl::Status MakeDirs(const std::string& dir) {
  std::string partial;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      partial = dir.substr(0, i);
      if (!IsDirectory(partial) && mkdir(partial.c_str(), 0755) != 0 &&
          errno != EEXIST) {
        return absl::InternalError(absl::StrCat(
            "cannot create folder ", partial, ": ", std::strerror(errno)));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ReadFileBytes(const std::string& path, std::string* bytes) {
  ChunkedReadOptions options;
  options.origin = PathOrigin::kCaller;
  return ToAbslStatus(ReadWholeFile(path, options, bytes));
}

absl::Status WriteFileBytes(const std::string& path, const std::string& bytes) {
  DurableWriteOptions options;
  options.origin = PathOrigin::kCaller;
  return ToAbslStatus(WriteFileDurably(path, bytes, options));
}

std::string CodeName(absl::StatusCode code) {
  return absl::StatusCodeToString(code);
}

bool IsUnreachable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kDeadlineExceeded;
}

ProgressBar::ProgressBar(const std::string& label, size_t total, bool enabled)
    : label_(label),
      total_(total),
      enabled_(enabled && isatty(STDERR_FILENO) == 1),
      start_(absl::Now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputs("\n", stderr);
}

void ProgressBar::Update(size_t done, size_t failed) {
  if (!enabled_ || total_ == 0) return;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done / total_);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  const std::string bar =
      std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::fprintf(stderr, "\r%s [%s] %zu/%zu", label_.c_str(), bar.c_str(), done,
               total_);
  if (failed > 0) std::fprintf(stderr, " (%zu failed)", failed);
  if (seconds > 0) std::fprintf(stderr, " %.1f/s ", done / seconds);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace facet
