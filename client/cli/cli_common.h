// Pieces shared by facet-client's commands: exit codes, input expansion,
// output naming and writing, a terminal progress bar.

#ifndef FACET_CLIENT_CLI_CLI_COMMON_H_
#define FACET_CLIENT_CLI_CLI_COMMON_H_

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace facet {

// facet-client's exit codes (documented in --help and docs/client.md).
enum ExitCode {
  kExitOk = 0,           // Everything succeeded (health: SERVING).
  kExitSomeFailed = 1,   // Some inputs or faces failed (health: not
                         // SERVING; bench: some requests failed).
  kExitUsage = 2,        // Bad command line: unknown command or flag
                         // value, no inputs.
  kExitUnreachable = 3,  // The server could not be reached or answered
                         // nothing (UNAVAILABLE / DEADLINE_EXCEEDED for
                         // every request).
  kExitLocalError = 4,   // A local file could not be read or written.
};

// One input named on the command line or found in a folder.
struct InputFile {
  std::string path;
  absl::Status status;  // Not OK if the named path does not exist.
};

// Expands FILE and DIR arguments: a file is taken as is (whatever its
// type, so the server or the header check reports non-images); a folder
// contributes its regular, non-hidden files in name order, descending
// into sub-folders if `recursive`. A missing path becomes an input with a
// NotFound status.
std::vector<InputFile> ExpandInputs(const std::vector<std::string>& args,
                                    bool recursive);

// Returns a name for `path`'s outputs unique among `used` (the file stem,
// then stem_2, stem_3, ...), and records it.
std::string UniqueStem(const std::string& path, std::set<std::string>* used);

// Creates `dir` and its parents. Internal naming the folder on failure.
absl::Status MakeDirs(const std::string& dir);

// Reads a whole file (core/io's ReadWholeFile): NotFound, InvalidArgument
// for a folder, other errnos as core/io/io_status.h maps them, naming it.
absl::Status ReadFileBytes(const std::string& path, std::string* bytes);

// Writes `bytes` to `path` (replacing it) and fsyncs it (core/io's
// WriteFileDurably in place); errors name it, with core/io/io_status.h's
// codes (a full disk is ResourceExhausted).
absl::Status WriteFileBytes(const std::string& path, const std::string& bytes);

// "INVALID_ARGUMENT" etc.
std::string CodeName(absl::StatusCode code);

// True for the codes that mean the server was not reached or answered
// nothing in time (UNAVAILABLE, DEADLINE_EXCEEDED): kExitUnreachable when
// every request ended so.
bool IsUnreachable(absl::StatusCode code);

// A one-line progress bar on stderr, drawn only if enabled and stderr is
// a terminal. Not thread-safe: call from one thread at a time.
class ProgressBar {
 public:
  ProgressBar(const std::string& label, size_t total, bool enabled);
  ~ProgressBar();  // Finishes the line.
  void Update(size_t done, size_t failed);

 private:
  std::string label_;
  size_t total_;
  bool enabled_;
  bool drawn_ = false;
  absl::Time start_;
};

}  // namespace facet

#endif  // FACET_CLIENT_CLI_CLI_COMMON_H_
