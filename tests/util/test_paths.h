// Where tests find the source tree, the shared fixtures and a scratch folder.
#ifndef FACET_TESTS_UTIL_TEST_PATHS_H_
#define FACET_TESTS_UTIL_TEST_PATHS_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace facet::testing {

// FACET_SOURCE_DIR (set by CTest), else the working directory.
inline std::string SourceDir() {
  const char* dir = std::getenv("FACET_SOURCE_DIR");
  return dir ? dir : std::filesystem::current_path().string();
}

// FACET_SHARED_DIR if set, else the folder CMake was configured with
// (FACET_SHARED_DIR cache variable), else SourceDir()/../shared. May not
// exist: tests that need fixtures GTEST_SKIP then.
inline std::string SharedDir() {
  const char* dir = std::getenv("FACET_SHARED_DIR");
  if (dir) return dir;
#ifdef FACET_DEFAULT_SHARED_DIR
  return FACET_DEFAULT_SHARED_DIR;
#else
  return SourceDir() + "/../shared";
#endif
}

// FACET_BINARY_DIR if set, else the build folder the test was built in,
// else SourceDir()/build. Programs live in <BinaryDir>/<folder>/<name>.
inline std::string BinaryDir() {
  const char* dir = std::getenv("FACET_BINARY_DIR");
  if (dir) return dir;
#ifdef FACET_DEFAULT_BINARY_DIR
  return FACET_DEFAULT_BINARY_DIR;
#else
  return SourceDir() + "/build";
#endif
}

// The programs under test, as the build put them.
inline std::string TrainerBinary() {
  return BinaryDir() + "/trainer/facet-trainer";
}

inline std::string FixturesDir() { return SharedDir() + "/fixtures"; }

// FixturesDir() if that folder exists, else "": tests that need fixtures
// check for "" and GTEST_SKIP.
inline std::string FixturesDirIfPresent() {
  const std::string dir = FixturesDir();
  std::error_code ignored;
  return std::filesystem::is_directory(dir, ignored) ? dir : std::string();
}

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
