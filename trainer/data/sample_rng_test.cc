#include "trainer/data/sample_rng.h"

#include <set>

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(SampleRngTest, SameKeyGivesSameStream) {
  SampleRng a(5, RngStream::kDegradation, 17),
      b(5, RngStream::kDegradation, 17);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Next(), b.Next());
}

TEST(SampleRngTest, SeedStreamAndIndexEachChangeTheStream) {
  const uint64_t base = SampleRng(5, RngStream::kDegradation, 17).Next();
  EXPECT_NE(base, SampleRng(6, RngStream::kDegradation, 17).Next());
  EXPECT_NE(base, SampleRng(5, RngStream::kSyntheticFace, 17).Next());
  EXPECT_NE(base, SampleRng(5, RngStream::kDegradation, 18).Next());
}

TEST(SampleRngTest, UniformIntIsInclusiveAndCoversTheRange) {
  SampleRng rng(1, RngStream::kDegradation, 0);
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const int64_t v = rng.UniformInt(3, 15);
    ASSERT_GE(v, 3);
    ASSERT_LE(v, 15);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 13u);
}

TEST(SampleRngTest, UniformStaysInItsInterval) {
  SampleRng rng(2, RngStream::kDegradation, 0);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = rng.Uniform(3.0, 15.0);
    ASSERT_GE(u, 3.0);
    ASSERT_LT(u, 15.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 9.0, 0.2);
}

TEST(SampleRngTest, NormalHasTheRequestedMoments) {
  SampleRng rng(3, RngStream::kDegradation, 0);
  double sum = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double v = rng.Normal(2.0, 3.0);
    sum += v;
    sq += v * v;
  }
  const double mean = sum / n;
  EXPECT_NEAR(mean, 2.0, 0.1);
  EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 3.0, 0.1);
}

}  // namespace
}  // namespace facet
