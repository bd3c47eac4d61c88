#include "core/model/cuda_device.h"

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(CudaDeviceTest, CudaNamesAreCudaWhetherOrNotADeviceIsThere) {
  for (const char* name : {"cuda", "cuda:0", "cuda:3", "cudax"}) {
    EXPECT_TRUE(DeviceIsCuda(name)) << name;
  }
}

TEST(CudaDeviceTest, CpuAndOtherNamesAreNot) {
  for (const char* name : {"cpu", "CUDA", "gpu", "mps", " cuda"}) {
    EXPECT_FALSE(DeviceIsCuda(name)) << name;
  }
}

TEST(CudaDeviceTest, AutoIsCudaIffADeviceIsAvailable) {
  EXPECT_EQ(DeviceIsCuda("auto"), CudaAvailable());
  EXPECT_EQ(DeviceIsCuda(""), CudaAvailable());
}

TEST(CudaDeviceTest, NoDeviceWithoutACudaBuild) {
  if (!BuiltWithCuda()) EXPECT_FALSE(CudaAvailable());
}

}  // namespace
}  // namespace facet
