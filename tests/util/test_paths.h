// Where tests find the source tree, the shared fixtures and a scratch folder.
#ifndef FACET_TESTS_UTIL_TEST_PATHS_H_
#define FACET_TESTS_UTIL_TEST_PATHS_H_

#include <cstdlib>
#include <filesystem>
#include <string>

namespace facet::testing {

// FACET_SOURCE_DIR (set by CTest), else the working directory.
inline std::string SourceDir() {
  const char* dir = std::getenv("FACET_SOURCE_DIR");
  return dir ? dir : std::filesystem::current_path().string();
}

// FACET_SHARED_DIR (set by CTest), else SourceDir()/../shared. May not
// exist: tests that need fixtures GTEST_SKIP then.
inline std::string SharedDir() {
  const char* dir = std::getenv("FACET_SHARED_DIR");
  return dir ? dir : SourceDir() + "/../shared";
}

inline std::string FixturesDir() { return SharedDir() + "/fixtures"; }

// A fresh empty folder under the system temp dir, removed by the caller
// (or left for the OS) — never inside the source tree or shared/.
inline std::string MakeTempDir(const std::string& prefix) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* dir = mkdtemp(pattern.data());
  return dir ? std::string(dir) : std::string();
}

}  // namespace facet::testing

#endif  // FACET_TESTS_UTIL_TEST_PATHS_H_
