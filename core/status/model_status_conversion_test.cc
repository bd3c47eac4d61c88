#include "core/status/model_status_conversion.h"

#include <cerrno>

#include "core/io/io_status.h"
#include "core/status/errno_status.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(ModelStatusConversionTest, KeepsCodeMessageAndErrno) {
  const ModelStatus model =
      ModelStatus::FromIoStatus(ErrnoToIoStatus(EROFS, "write", "/w"));
  EXPECT_EQ(model.system_errno(), EROFS);
  const absl::Status status = ToAbslStatus(model);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), model.message());
  EXPECT_EQ(IoErrno(status), EROFS);
}

TEST(ModelStatusConversionTest, NoErrnoWithoutASystemCall) {
  const absl::Status status =
      ToAbslStatus(ModelStatus::DataLoss("weight \"x\" is not finite"));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(IoErrno(status), 0);
  EXPECT_TRUE(ToAbslStatus(ModelStatus::Ok()).ok());
}

TEST(ModelStatusConversionTest, ResultCarriesTheErrnoToo) {
  ModelResult<int> result(
      ModelStatus::FromIoStatus(ErrnoToIoStatus(ENOSPC, "write", "/w")));
  absl::StatusOr<int> converted = ToAbslStatusOr(std::move(result));
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(IoErrno(converted.status()), ENOSPC);
}

}  // namespace
}  // namespace facet
