// RFC 3339 UTC timestamps ("2026-11-29T16:00:00Z"), the form of a manifest's
// created_at.
//
// Functions keep no state and may be called from any thread.
#ifndef FACET_CORE_REPOSITORY_RFC3339_H_
#define FACET_CORE_REPOSITORY_RFC3339_H_

#include <chrono>
#include <string>
#include <string_view>

namespace facet {

// `time` as RFC 3339 UTC with second precision: "2026-11-29T16:00:00Z".
std::string FormatRfc3339Utc(std::chrono::system_clock::time_point time);

// Returns true iff `s` is "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with valid
// calendar ranges (leap years and a leap second allowed). Offsets other
// than "Z" are refused: manifests are always written in UTC.
bool IsRfc3339Utc(std::string_view s);

}  // namespace facet

#endif  // FACET_CORE_REPOSITORY_RFC3339_H_
