// ParseFlags: absl::ParseCommandLine with the exit statuses users' scripts
// and packagers expect, shared by every Facet program (facet-server,
// facet-trainer, facet-client, the bench binaries).
//
//  - --help, --helpfull, --helpshort, --helppackage, --helpon=M and
//    --helpmatch=S print their text to stdout and exit 0 (absl 20220623,
//    Debian bookworm's, exits 1);
//  - --version and --only_check_args exit 0, as in absl;
//  - an unknown flag prints "Unknown command line flag '<name>'" to stderr
//    and exits 1, as in absl; a bad flag value names the flag and exits 1.
//
// Call once from main, after absl::SetProgramUsageMessage and
// absl::SetFlagsUsageConfig, before starting threads.
#ifndef FACET_CORE_FLAGS_PARSE_FLAGS_H_
#define FACET_CORE_FLAGS_PARSE_FLAGS_H_

#include <vector>

namespace facet {

// Parses the flags in argv and returns the positional arguments, argv[0]
// first (what absl::ParseCommandLine returns). Does not return after a
// usage flag or a parse error (see above).
std::vector<char*> ParseFlags(int argc, char** argv);

}  // namespace facet

#endif  // FACET_CORE_FLAGS_PARSE_FLAGS_H_
