// facet-server's flags (defined in server_flags.cc, listed by --help) and
// their environment overlay: every flag can also come from the environment
// as FACET_<FLAG_NAME> (e.g. FACET_PORT=9000); a command-line flag wins.
// ServerCoreOptionsFromFlags turns them into the parts' options.
//
// Thread safety: call from main() before any thread starts.
#ifndef FACET_SERVER_SERVER_FLAGS_H_
#define FACET_SERVER_SERVER_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/server_core.h"

namespace facet {

// Applies FACET_<NAME> environment variables to the flags of
// server_flags.cc; call before absl::ParseCommandLine, which then
// overrides them. InvalidArgument naming the variable, its value and the
// flag's complaint for a value that does not parse.
absl::Status ApplyEnvironmentToFlags();

// Parses --warmup_batch_sizes: "auto" (empty with adaptive batching, which
// measures every size worth warming; "1,max" without), or a comma-separated
// list of positive integers and "max" (= `max_batch_size`). Sorted, without
// duplicates. InvalidArgument naming the flag and the bad item otherwise.
absl::StatusOr<std::vector<int>> ParseWarmupBatchSizes(const std::string& list,
                                                       int max_batch_size,
                                                       bool adaptive_batching);

// The options of every part from the flags, with the thread counts derived
// from the usable cores. InvalidArgument naming the flag for a value that
// cannot work (nothing to serve, --batch_size_min_gain < -1, a bad
// --warmup_batch_sizes or --device). `main_start` is when main() began.
absl::StatusOr<ServerCoreOptions> ServerCoreOptionsFromFlags(
    absl::Time main_start);

}  // namespace facet

#endif  // FACET_SERVER_SERVER_FLAGS_H_
