// Fuzzes ParseVersionPolicy (core/repository/serving_policy.h), the text of
// serving_policy.txt: any text gives a policy or a clean error. Property:
// the candidates of an accepted policy are versions it was given, in order.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/repository/serving_policy.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Debian's Abseil has its own string_view (built as C++14).
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<facet::VersionPolicy> policy = facet::ParseVersionPolicy(text);
  if (!policy.ok()) {
    FUZZ_CHECK(!policy.status().message().empty(),
               "an error without a message");
    return 0;
  }
  FUZZ_CHECK(policy->kind != facet::VersionPolicy::Kind::kPinned ||
                 policy->pinned >= 1,
             "pinned to a version below 1");
  FUZZ_CHECK(!policy->ToString().empty(), "a policy without a name");
  const std::vector<int64_t> versions = {9, 7, 3, 2, 1};  // Newest first.
  const std::vector<int64_t> candidates =
      facet::CandidateVersions(*policy, versions);
  size_t next = 0;
  for (int64_t c : candidates) {
    while (next < versions.size() && versions[next] != c) ++next;
    FUZZ_CHECK(next < versions.size(),
               "a candidate that is not a given version");
    ++next;
  }
  return 0;
}
