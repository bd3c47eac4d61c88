#include "core/io/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <vector>

namespace facet {
namespace {

// Closes the descriptor when it leaves scope unless Release()d.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Writes all of `bytes` to `fd`, then fsyncs and closes it (always
// closed). `path` names the file in errors.
IoStatus WriteSyncClose(int fd, std::string_view bytes, const std::string& path,
                        PathOrigin origin) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoToIoStatus(err, "write", path, origin);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoToIoStatus(err, "fsync", path, origin);
  }
  // close() may report a deferred write error (NFS); it counts.
  if (::close(fd) != 0) return ErrnoToIoStatus(errno, "close", path, origin);
  return IoStatus();
}

IoStatus WriteInPlace(const std::string& path, std::string_view bytes,
                      PathOrigin origin) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToIoStatus(errno, "create", path, origin);
  // Only a regular file we opened is removed on failure: `path` may name a
  // device (/dev/full in tests) that must survive.
  struct stat st;
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  IoStatus status = WriteSyncClose(fd, bytes, path, origin);
  if (!status.ok() && regular) ::unlink(path.c_str());
  return status;
}

IoStatus WriteReplacing(const std::string& path, std::string_view bytes,
                        PathOrigin origin) {
  static std::atomic<uint64_t> counter{0};
  const std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." +
                           std::to_string(counter.fetch_add(1));
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToIoStatus(errno, "create", path, origin);
  IoStatus status = WriteSyncClose(fd, bytes, path, origin);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoToIoStatus(errno, "rename the new file onto", path, origin);
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

IoStatus OverLimit(const std::string& path, uint64_t size, uint64_t limit) {
  return IoStatus(IoCode::kResourceExhausted,
                  path + ": file is " + std::to_string(size) +
                      " bytes, over the limit of " + std::to_string(limit));
}

}  // namespace

IoStatus WriteFileDurably(const std::string& path, std::string_view bytes,
                          const DurableWriteOptions& options) {
  switch (options.mode) {
    case DurableWriteOptions::Mode::kInPlace:
      return WriteInPlace(path, bytes, options.origin);
    case DurableWriteOptions::Mode::kReplace:
      return WriteReplacing(path, bytes, options.origin);
  }
  return IoStatus(IoCode::kInternal, "unknown write mode");
}

IoStatus ReadFileChunked(
    const std::string& path, const ChunkedReadOptions& options,
    const std::function<void(std::string_view)>& on_chunk) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToIoStatus(errno, "open", path, options.origin);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return ErrnoToIoStatus(errno, "stat", path, options.origin);
  }
  if (!S_ISREG(st.st_mode)) {
    return IoStatus(options.origin == PathOrigin::kCaller
                        ? IoCode::kInvalidArgument
                        : IoCode::kFailedPrecondition,
                    path + ": not a regular file");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > options.max_bytes) return OverLimit(path, size, options.max_bytes);
  std::vector<char> buffer(options.chunk_bytes > 0 ? options.chunk_bytes : 1);
  uint64_t total = 0;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToIoStatus(errno, "read", path, options.origin);
    if (n == 0) return IoStatus();
    total += static_cast<uint64_t>(n);
    if (total > options.max_bytes) {  // The file grew while being read.
      return IoStatus(IoCode::kResourceExhausted,
                      path + ": file is over the limit of " +
                          std::to_string(options.max_bytes) + " bytes");
    }
    on_chunk(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
}

IoStatus ReadWholeFile(const std::string& path,
                       const ChunkedReadOptions& options,
                       std::string* contents) {
  contents->clear();
  // Reserving the size seen now saves the regrowth copies of an 85 MB
  // weights file; the read below still checks the limit and the end.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) <= options.max_bytes) {
    contents->reserve(static_cast<size_t>(st.st_size));
  }
  return ReadFileChunked(path, options, [contents](std::string_view chunk) {
    contents->append(chunk);
  });
}

}  // namespace facet
