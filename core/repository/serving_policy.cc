#include "core/repository/serving_policy.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace facet {

std::string VersionPolicy::ToString() const {
  switch (kind) {
    case Kind::kLatest:
      return "latest";
    case Kind::kPinned:
      return absl::StrCat("pinned:", pinned);
    case Kind::kRollback:
      return "rollback";
  }
  return "?";
}

absl::StatusOr<VersionPolicy> ParseVersionPolicy(absl::string_view text) {
  VersionPolicy policy;
  bool seen = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = line.substr(0, line.find('#'));
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (seen) {
      return absl::InvalidArgumentError(
          absl::StrCat(kPolicyFileName, ": more than one directive (\"", line,
                       "\"); write exactly one of: latest | pin N | rollback"));
    }
    seen = true;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (words.size() == 1 && words[0] == "latest") {
      policy.kind = VersionPolicy::Kind::kLatest;
    } else if (words.size() == 1 && words[0] == "rollback") {
      policy.kind = VersionPolicy::Kind::kRollback;
    } else if (words.size() == 2 && words[0] == "pin" &&
               absl::SimpleAtoi(words[1], &policy.pinned) &&
               policy.pinned >= 1) {
      policy.kind = VersionPolicy::Kind::kPinned;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          kPolicyFileName, ": cannot parse \"", line,
          "\"; expected one of: latest | pin N (N >= 1) | rollback"));
    }
  }
  return policy;
}

std::vector<int64_t> CandidateVersions(const VersionPolicy& policy,
                                       const std::vector<int64_t>& versions) {
  switch (policy.kind) {
    case VersionPolicy::Kind::kLatest:
      return versions;
    case VersionPolicy::Kind::kPinned:
      for (int64_t v : versions) {
        if (v == policy.pinned) return {v};
      }
      return {};
    case VersionPolicy::Kind::kRollback:
      if (versions.empty()) return {};
      return std::vector<int64_t>(versions.begin() + 1, versions.end());
  }
  return {};
}

absl::StatusOr<VersionPolicy> ReadServingPolicy(const std::string& model_dir) {
  const std::string path = model_dir + "/" + kPolicyFileName;
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT || errno == ENOTDIR) return VersionPolicy();
    return absl::InternalError(
        absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<VersionPolicy> policy = ParseVersionPolicy(text.str());
  if (!policy.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", policy.status().message()));
  }
  return policy;
}

}  // namespace facet
