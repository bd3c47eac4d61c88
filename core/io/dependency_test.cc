// core/io's rule (CMakeLists.txt): the standard library and POSIX only,
// so that facet_model, which may use nothing but LibTorch and the standard
// library, can share it. Checked on the sources: no absl, no LibTorch, no
// OpenCV, nothing else of Facet's.
#include <dirent.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace {

TEST(UtilDependencyTest, IncludesOnlyTheStandardLibraryAndItself) {
  const std::string dir = testing::SourceDir() + "/core/io";
  DIR* d = opendir(dir.c_str());
  ASSERT_NE(d, nullptr) << dir;
  std::vector<std::string> files;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    const bool source =
        name.size() > 3 && (name.substr(name.size() - 2) == ".h" ||
                            name.substr(name.size() - 3) == ".cc");
    if (source && name.find("_test.cc") == std::string::npos) {
      files.push_back(dir + "/" + name);
    }
  }
  closedir(d);
  ASSERT_FALSE(files.empty());
  // Quoted includes are Facet's or a library's; only core/io's own pass.
  const std::regex quoted("#include \"([^\"]+)\"");
  int checked = 0;
  for (const std::string& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      std::smatch m;
      if (!std::regex_search(line, m, quoted)) continue;
      ++checked;
      EXPECT_EQ(m[1].str().rfind("core/io/", 0), 0u)
          << file << " includes \"" << m[1] << "\"";
    }
  }
  EXPECT_GT(checked, 4);
}

}  // namespace
}  // namespace facet
