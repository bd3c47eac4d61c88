// Test-only helpers shared by the .pth tests (pth_*_test.cc, zip and
// inflate tests): where fixtures live, Python-generated fixtures, and the
// expected-tensor lists make_pth_fixtures.py writes (paths and file
// reads/writes come from tests/util/). Header-only so that it never enters
// the facet_model library.
#ifndef FACET_CORE_MODEL_PTH_TEST_FIXTURES_H_
#define FACET_CORE_MODEL_PTH_TEST_FIXTURES_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/test_files.h"

namespace facet {
namespace pth_testing {

inline bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

constexpr const char* kPython = "/usr/bin/python3";

// True iff Debian's Python with torch is available.
inline bool HavePythonTorch() {
  static const bool have =
      PathExists(kPython) &&
      std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
  return have;
}

// Runs `command` through the shell; returns its exit status (-1 if it did
// not exit normally).
inline int Run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The folder that the Python script tests/python/<script> OUT_DIR fills,
// generated once per version of the script into the test temp dir (so that
// the many test processes CTest starts share one run), or "" when Python
// with torch is unavailable. Concurrent callers race benignly: each
// generates into its own folder and the first rename wins.
inline std::string GenerateWithPython(const std::string& script_name) {
  const std::string script =
      testing::SourceDir() + "/tests/python/" + script_name;
  if (!PathExists(script)) return std::string();
  const std::string text = testing::ReadFile(script);
  uint64_t hash = 1469598103934665603ull;  // FNV-1a.
  for (char c : text)
    hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  const std::string final_dir =
      ::testing::TempDir() + "facet_pth_" + std::to_string(hash);
  if (PathExists(final_dir + "/DONE")) return final_dir;
  if (!HavePythonTorch()) return std::string();
  const std::string tmp = final_dir + ".tmp" + std::to_string(::getpid());
  if (Run(std::string(kPython) + " " + script + " " + tmp + " > " + tmp +
          ".log 2>&1") != 0) {
    ADD_FAILURE() << script_name << " failed; see " << tmp << ".log";
    return std::string();
  }
  testing::WriteFile(tmp + "/DONE", "");
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    Run("rm -rf '" + tmp + "'");  // Another process won the race.
  }
  return PathExists(final_dir + "/DONE") ? final_dir : std::string();
}

// The fixtures of tests/python/make_pth_fixtures.py (see GenerateWithPython).
inline std::string GeneratedFixturesDir() {
  static const std::string dir = GenerateWithPython("make_pth_fixtures.py");
  return dir;
}

// One line of a make_pth_fixtures.py expectation list.
struct ExpectedTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;          // As stored.
  std::string float32_bytes;  // After NormalizeUpstreamStateDict.
};

inline std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

inline std::string Hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kDigits[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kDigits[static_cast<uint8_t>(c) & 15]);
  }
  return out;
}

inline std::vector<ExpectedTensor> ReadExpected(const std::string& path) {
  std::vector<ExpectedTensor> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) f.push_back(field);
    if (f.size() == 4) f.push_back("");  // getline drops an empty last field.
    if (f.size() != 5) {
      ADD_FAILURE() << path << ": bad line " << line;
      continue;
    }
    ExpectedTensor t;
    t.name = f[0];
    t.dtype = f[1];
    std::stringstream dims(f[2]);
    std::string d;
    while (std::getline(dims, d, ',')) t.shape.push_back(std::stoll(d));
    t.bytes = Unhex(f[3]);
    t.float32_bytes = Unhex(f[4]);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace pth_testing
}  // namespace facet

#endif  // FACET_CORE_MODEL_PTH_TEST_FIXTURES_H_
