// The server's folder arrows (docs/server.md, style.md section 4), checked
// on the sources: gRPC and protos only in service/ and main.cc,
// prometheus-cpp only in metrics/, no torch anywhere in server/, and
// manager/ knowing neither the batcher nor the service.
#include <dirent.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/util/test_paths.h"

namespace facet {
namespace {

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 3 && (name.substr(name.size() - 2) == ".h" ||
                            name.substr(name.size() - 3) == ".cc")) {
      out.push_back(dir + "/" + name);
    }
  }
  closedir(d);
  return out;
}

TEST(ServerArrowsTest, IncludesFollowTheLayering) {
  struct Rule {
    const char* folder;
    std::vector<const char*> forbidden;  // Include path prefixes.
  };
  const std::vector<Rule> rules = {
      {"server/metrics", {"grpcpp/", "facet/v1/", "torch/", "server/"}},
      {"server/manager",
       {"grpcpp/", "facet/v1/", "prometheus/", "torch/", "server/batching/",
        "server/service/", "server/health/"}},
      {"server/batching",
       {"grpcpp/", "facet/v1/", "prometheus/", "torch/", "server/service/"}},
      {"server/health",
       {"grpcpp/", "facet/v1/", "prometheus/", "torch/", "server/batching/",
        "server/manager/", "server/metrics/", "server/service/"}},
      {"server/common",
       {"grpcpp/", "facet/v1/", "prometheus/", "torch/", "server/"}},
      {"server/service", {"prometheus/", "torch/"}},
  };
  const std::regex include("#include [<\"]([^>\"]+)[>\"]");
  int checked = 0;
  for (const Rule& rule : rules) {
    const auto files = Files(testing::SourceDir() + "/" + rule.folder);
    EXPECT_FALSE(files.empty()) << rule.folder;
    for (const std::string& file : files) {
      if (file.find("_test.cc") != std::string::npos) continue;
      std::ifstream in(file);
      std::string line;
      while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, include)) continue;
        const std::string path = m[1];
        ++checked;
        for (const char* bad : rule.forbidden) {
          // A folder may include itself.
          if (path.rfind(std::string(rule.folder) + "/", 0) == 0) continue;
          EXPECT_NE(path.rfind(bad, 0), 0u)
              << file << " includes " << path << ", not allowed in "
              << rule.folder;
        }
      }
    }
  }
  EXPECT_GT(checked, 20);
}

}  // namespace
}  // namespace facet
