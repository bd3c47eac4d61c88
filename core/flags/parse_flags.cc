#include "core/flags/parse_flags.h"

#include <cstdlib>
#include <iostream>

#include "absl/flags/internal/parse.h"
#include "absl/flags/internal/usage.h"
#include "absl/flags/usage.h"

namespace facet {

std::vector<char*> ParseFlags(int argc, char** argv) {
  namespace fi = absl::flags_internal;
  // absl::ParseCommandLine is this call with kHandleUsage, which exits 1
  // after printing help; handling the usage flags here lets a requested
  // help succeed. Parse errors and unknown flags still exit 1 inside.
  std::vector<char*> positional = fi::ParseCommandLineImpl(
      argc, argv, fi::ArgvListAction::kRemoveParsedArgs,
      fi::UsageFlagsAction::kIgnoreUsage,
      fi::OnUndefinedFlag::kAbortIfUndefined);
  const int usage_exit =
      fi::HandleUsageFlags(std::cout, absl::ProgramUsageMessage());
  if (usage_exit != -1) {
    std::cout.flush();
    std::exit(0);
  }
  return positional;
}

}  // namespace facet
