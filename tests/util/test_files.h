// Scratch folders that clean up after themselves, and whole-file reads and
// writes, for tests (GoogleTest failures on error).
#ifndef FACET_TESTS_UTIL_TEST_FILES_H_
#define FACET_TESTS_UTIL_TEST_FILES_H_

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/test_paths.h"

namespace facet::testing {

inline bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The whole file, or "" if it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Replaces `path` by `bytes`; fails the test if that did not work.
inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

namespace internal {

// Removes the registered folders when the test program exits (static
// destruction, after the tests ran) unless FACET_KEEP_TEST_DIRS is set.
class TempDirRegistry {
 public:
  static TempDirRegistry& Get() {
    static TempDirRegistry registry;
    return registry;
  }
  void Add(const std::string& dir) { dirs_.push_back(dir); }
  ~TempDirRegistry() {
    if (std::getenv("FACET_KEEP_TEST_DIRS") != nullptr) return;  // Debugging.
    std::error_code ignored;
    for (const std::string& dir : dirs_) {
      std::filesystem::remove_all(dir, ignored);
    }
  }

 private:
  std::vector<std::string> dirs_;
};

}  // namespace internal

// MakeTempDir(prefix), removed with its contents when the test program
// exits. On failure the test fails and the system temp dir is returned, so
// callers never write relative to "/".
inline std::string MakeTempDirRemovedAtExit(const std::string& prefix) {
  const std::string dir = MakeTempDir(prefix);
  if (dir.empty()) {
    ADD_FAILURE() << "mkdtemp failed for " << prefix << " under "
                  << std::filesystem::temp_directory_path();
    return std::filesystem::temp_directory_path().string();
  }
  internal::TempDirRegistry::Get().Add(dir);
  return dir;
}

}  // namespace facet::testing

#endif  // FACET_TESTS_UTIL_TEST_FILES_H_
