#include "core/repository/serving_policy.h"

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(VersionPolicyTest, ParsesDirectives) {
  struct Case {
    const char* text;
    bool ok;
    std::string policy;
  };
  const Case cases[] = {
      {"", true, "latest"},
      {"# nothing\n\n", true, "latest"},
      {"latest\n", true, "latest"},
      {"  pin 7  # incident 42\n", true, "pinned:7"},
      {"rollback", true, "rollback"},
      {"pin", false, ""},
      {"pin 0", false, ""},
      {"pin x", false, ""},
      {"pin 3 4", false, ""},
      {"newest", false, ""},
      {"latest\npin 2", false, ""},
  };
  for (const Case& c : cases) {
    auto policy = ParseVersionPolicy(c.text);
    EXPECT_EQ(policy.ok(), c.ok) << c.text;
    if (policy.ok()) {
      EXPECT_EQ(policy->ToString(), c.policy) << c.text;
    } else {
      EXPECT_NE(policy.status().message().find("latest | pin N"),
                std::string::npos)
          << policy.status();
    }
  }
}

TEST(VersionPolicyTest, ListsCandidatesInOrder) {
  const std::vector<int64_t> versions = {5, 3, 2};
  VersionPolicy latest;
  EXPECT_EQ(CandidateVersions(latest, versions), versions);
  VersionPolicy pinned{VersionPolicy::Kind::kPinned, 3};
  EXPECT_EQ(CandidateVersions(pinned, versions), std::vector<int64_t>{3});
  VersionPolicy missing{VersionPolicy::Kind::kPinned, 4};
  EXPECT_TRUE(CandidateVersions(missing, versions).empty());
  VersionPolicy rollback{VersionPolicy::Kind::kRollback, 0};
  EXPECT_EQ(CandidateVersions(rollback, versions),
            (std::vector<int64_t>{3, 2}));
  EXPECT_TRUE(CandidateVersions(rollback, {}).empty());
}

}  // namespace
}  // namespace facet
