#include "trainer/training/process_memory.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace facet {
namespace {

// cgroup v1 reports "no limit" as the largest page-aligned int64.
constexpr int64_t kNoLimitThreshold = int64_t{1} << 62;

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "Key:   123 kB" lines of /proc/meminfo and /proc/self/status.
std::optional<int64_t> ReadKibField(const std::string& path,
                                    const std::string& key) {
  std::optional<std::string> text = ReadSmallFile(path);
  if (!text) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (!absl::ConsumePrefix(&line, key) || !absl::ConsumePrefix(&line, ":"))
      continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    int64_t kib = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib))
      return kib * 1024;
  }
  return std::nullopt;
}

// A limit file's value; nullopt for "max", unlimited or unreadable.
std::optional<int64_t> ReadLimitFile(const std::string& path) {
  std::optional<std::string> text = ReadSmallFile(path);
  if (!text) return std::nullopt;
  int64_t v = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &v) || v <= 0 ||
      v >= kNoLimitThreshold) {
    return std::nullopt;
  }
  return v;
}

// Checks `dir`/`file` in the cgroup folder for `rel` (e.g. "/a/b") and each
// ancestor, keeping the smallest limit in `best`.
void WalkLimits(const std::string& mount, std::string rel,
                const std::string& file, const std::string& label,
                MemoryLimit* best) {
  while (true) {
    const std::string path =
        absl::StrCat(mount, rel == "/" ? "" : rel, "/", file);
    std::optional<int64_t> v = ReadLimitFile(path);
    if (v && *v < best->bytes) *best = {*v, absl::StrCat(label, " in ", path)};
    if (rel.empty() || rel == "/") break;
    const size_t slash = rel.find_last_of('/');
    rel = slash == 0 || slash == std::string::npos ? "/" : rel.substr(0, slash);
  }
}

}  // namespace

absl::StatusOr<MemoryLimit> ProcessMemoryLimit(const std::string& proc_root,
                                               const std::string& cgroup_root) {
  std::optional<int64_t> total =
      ReadKibField(proc_root + "/meminfo", "MemTotal");
  if (!total) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read MemTotal from ", proc_root, "/meminfo"));
  }
  MemoryLimit best{*total, absl::StrCat("physical memory: MemTotal in ",
                                        proc_root, "/meminfo")};
  std::optional<std::string> cgroups =
      ReadSmallFile(proc_root + "/self/cgroup");
  if (!cgroups) return best;
  // Lines are "id:controllers:path"; "0::path" is cgroup v2.
  for (absl::string_view line :
       absl::StrSplit(*cgroups, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts =
        absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    const std::string& path = parts[2];
    if (parts[0] == "0" && parts[1].empty()) {
      // Unified hierarchy: mounted at the root, or at .../unified in hybrid
      // setups.
      for (const std::string& mount : {cgroup_root, cgroup_root + "/unified"}) {
        WalkLimits(mount, path, "memory.max", "cgroup v2 memory.max", &best);
      }
    } else {
      for (absl::string_view c : absl::StrSplit(parts[1], ',')) {
        if (c != "memory") continue;
        WalkLimits(cgroup_root + "/memory", path, "memory.limit_in_bytes",
                   "cgroup v1 memory.limit_in_bytes", &best);
      }
    }
  }
  return best;
}

std::optional<int64_t> AvailableMemoryBytes(const std::string& proc_root) {
  return ReadKibField(proc_root + "/meminfo", "MemAvailable");
}

std::optional<int64_t> PeakResidentBytes(const std::string& proc_root) {
  return ReadKibField(proc_root + "/self/status", "VmHWM");
}

absl::StatusOr<int64_t> ParseByteCount(const std::string& flag,
                                       const std::string& text) {
  std::string t = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  absl::string_view v = t;
  absl::ConsumeSuffix(&v, "IB") || absl::ConsumeSuffix(&v, "B");
  int shift = 0;
  if (!v.empty()) {
    switch (v.back()) {
      case 'K':
        shift = 10;
        break;
      case 'M':
        shift = 20;
        break;
      case 'G':
        shift = 30;
        break;
      case 'T':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift > 0) v.remove_suffix(1);
  }
  double number = 0;
  if (v.empty() || !absl::SimpleAtod(v, &number) || !(number > 0) ||
      number * double(int64_t{1} << shift) >= 9.2e18) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", text,
        ": expected a positive byte count such as 12G, 800M or 1048576"));
  }
  return static_cast<int64_t>(number * double(int64_t{1} << shift));
}

}  // namespace facet
