#include "trainer/trainer_flags.h"

#include <gtest/gtest.h>

namespace facet {
namespace {

TEST(SplitModelDestinationTest, SplitsRepositoryAndModel) {
  struct Case {
    const char* to;
    const char* repository;
    const char* model;
  } cases[] = {
      {"models/fpn", "models", "fpn"},
      {"/srv/models/fpn/", "/srv/models", "fpn"},
      {"fpn", ".", "fpn"},
      {"./a/../models/fpn", "models", "fpn"},
  };
  for (const Case& c : cases) {
    ModelDestination d = SplitModelDestination(c.to);
    EXPECT_EQ(d.repository, c.repository) << c.to;
    EXPECT_EQ(d.model, c.model) << c.to;
  }
}

}  // namespace
}  // namespace facet
