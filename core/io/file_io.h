// The durable write and the chunked read that every Facet file writer and
// weights reader goes through, so that a full disk, a missing folder or a
// failing device reads the same from the repository, the weight files and
// the image encoder (errors as core/io/io_status.h maps them).
//
// Standard library and POSIX only (facet_model uses them). The functions
// keep no state and may be called from any thread; two writers of the same
// path race as the file system decides.
#ifndef FACET_CORE_IO_FILE_IO_H_
#define FACET_CORE_IO_FILE_IO_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

#include "core/io/io_status.h"

namespace facet {

struct DurableWriteOptions {
  enum class Mode {
    // Create or truncate `path` (mode 0644) and write into it. On failure
    // a regular file at `path` is removed (a device such as /dev/full is
    // left alone); readers may see a partial file meanwhile.
    kInPlace,
    // Write "<path>.tmp.<pid>.<n>" beside `path` (O_EXCL, mode 0644) and
    // rename it over `path` once complete: readers see the old bytes or
    // the new, never a mix. On failure the temporary file is removed and
    // `path` is untouched. The folder itself is not fsynced.
    kReplace,
  };
  // Default: kInPlace.
  Mode mode = Mode::kInPlace;
  // How an errno on `path` reads (io_status.h). Default: kProgram.
  PathOrigin origin = PathOrigin::kProgram;
};

// Writes `bytes` to `path` as `options.mode` says and fsyncs the file
// before returning OK. Errors name the step ("create", "write", "fsync",
// "close", "rename the new file onto") and `path`; ENOSPC, EDQUOT and EFBIG
// are ResourceExhausted, a missing folder NotFound.
IoStatus WriteFileDurably(const std::string& path, std::string_view bytes,
                          const DurableWriteOptions& options = {});

struct ChunkedReadOptions {
  // Bytes handed to each call of the chunk callback, at most. Default: 1 MiB.
  size_t chunk_bytes = size_t{1} << 20;
  // A file larger than this is ResourceExhausted ("<path>: file is N bytes,
  // over the limit of M"), checked from its size before reading and again
  // while reading (the file may grow). Default: no limit.
  uint64_t max_bytes = std::numeric_limits<uint64_t>::max();
  // How an errno and a non-regular file read (io_status.h): a path that is
  // no regular file is FailedPrecondition for kProgram, InvalidArgument
  // for kCaller. Default: kProgram.
  PathOrigin origin = PathOrigin::kProgram;
};

// Reads the regular file at `path` from start to end, calling `on_chunk`
// with each piece in order (never with an empty one). OK once the end is
// reached. NotFound if it does not exist; an errno as io_status.h maps it
// ("cannot open/read <path>: ..."); the size limit and non-regular files
// as `options` says. `on_chunk` runs on the calling thread and must not
// keep the view.
IoStatus ReadFileChunked(const std::string& path,
                         const ChunkedReadOptions& options,
                         const std::function<void(std::string_view)>& on_chunk);

// ReadFileChunked into one string: sets `*contents` to the whole file on
// success; leaves it unspecified on failure.
IoStatus ReadWholeFile(const std::string& path,
                       const ChunkedReadOptions& options,
                       std::string* contents);

}  // namespace facet

#endif  // FACET_CORE_IO_FILE_IO_H_
