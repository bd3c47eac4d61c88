#include "trainer/training/training_malloc_policy.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace facet {
namespace {

TEST(TrainingMallocPolicyTest, TheEnvironmentWins) {
  ASSERT_EQ(setenv("MALLOC_TRIM_THRESHOLD_", "1000000", 1), 0);
  EXPECT_EQ(ApplyTrainingMallocPolicy(),
            "environment (MALLOC_TRIM_THRESHOLD_)");
  unsetenv("MALLOC_TRIM_THRESHOLD_");
}

// A 16 MiB block, a tensor of a training step, comes from the heap and is
// not handed back to the kernel when freed.
TEST(TrainingMallocPolicyTest, StepSizedBlocksStayOnTheHeap) {
  ASSERT_EQ(std::getenv("MALLOC_MMAP_THRESHOLD_"), nullptr);
  EXPECT_EQ(ApplyTrainingMallocPolicy(),
            "mmap_threshold=64MiB trim_threshold=256MiB");
  const size_t mmapped_before = mallinfo2().hblkhd;
  constexpr size_t kBlock = 16 << 20;
  char* block = static_cast<char*>(std::malloc(kBlock));
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, kBlock);
  EXPECT_EQ(mallinfo2().hblkhd, mmapped_before) << "the block was mmapped";
  const size_t heap_with_block = mallinfo2().arena;
  std::free(block);
  EXPECT_EQ(mallinfo2().arena, heap_with_block) << "freeing trimmed the heap";
}

}  // namespace
}  // namespace facet
