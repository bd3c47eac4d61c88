#include "core/status/errno_status.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

struct ErrnoCase {
  int err;
  PathOrigin origin;
  absl::StatusCode code;
};

TEST(ErrnoToStatusTest, MapsEachErrnoToItsCode) {
  using absl::StatusCode;
  const std::vector<ErrnoCase> cases = {
      {ENOENT, PathOrigin::kProgram, StatusCode::kNotFound},
      {ENOENT, PathOrigin::kCaller, StatusCode::kNotFound},
      {EEXIST, PathOrigin::kProgram, StatusCode::kAlreadyExists},
      {ENOTEMPTY, PathOrigin::kProgram, StatusCode::kAlreadyExists},
      {EACCES, PathOrigin::kCaller, StatusCode::kPermissionDenied},
      {EPERM, PathOrigin::kProgram, StatusCode::kPermissionDenied},
      {EROFS, PathOrigin::kProgram, StatusCode::kPermissionDenied},
      {ENOSPC, PathOrigin::kCaller, StatusCode::kResourceExhausted},
      {EDQUOT, PathOrigin::kProgram, StatusCode::kResourceExhausted},
      {EFBIG, PathOrigin::kProgram, StatusCode::kResourceExhausted},
      {ENOTDIR, PathOrigin::kProgram, StatusCode::kFailedPrecondition},
      {ENOTDIR, PathOrigin::kCaller, StatusCode::kNotFound},
      {EISDIR, PathOrigin::kProgram, StatusCode::kFailedPrecondition},
      {EISDIR, PathOrigin::kCaller, StatusCode::kInvalidArgument},
      {EIO, PathOrigin::kProgram, StatusCode::kDataLoss},
      {EIO, PathOrigin::kCaller, StatusCode::kDataLoss},
      {EBADF, PathOrigin::kProgram, StatusCode::kInternal},
  };
  for (const ErrnoCase& c : cases) {
    const absl::Status status = ErrnoToStatus(c.err, "open", "/x", c.origin);
    EXPECT_EQ(status.code(), c.code)
        << std::strerror(c.err) << " origin " << static_cast<int>(c.origin);
  }
}

TEST(ErrnoToStatusTest, MessageNamesOperationPathAndSystemError) {
  const absl::Status status =
      ErrnoToStatus(ENOENT, "rename the new file onto", "/tmp/a b.png");
  EXPECT_EQ(std::string(status.message()),
            std::string("cannot rename the new file onto /tmp/a b.png: ") +
                std::strerror(ENOENT));
}

TEST(ErrnoToStatusTest, DefaultOriginIsTheProgram) {
  EXPECT_EQ(ErrnoToStatus(EISDIR, "read", "/d").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ErrnoToStatusTest, IoStatusKeepsCodeAndMessage) {
  EXPECT_TRUE(ToAbslStatus(IoStatus()).ok());
  const absl::Status status =
      ToAbslStatus(IoStatus(IoCode::kResourceExhausted, "disk full"));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "disk full");
  EXPECT_EQ(IoErrno(status), 0);
}

// The errno survives as a payload, so EROFS and EACCES (both
// PermissionDenied) stay apart without reading the message.
TEST(ErrnoToStatusTest, CarriesTheErrnoAsAPayload) {
  for (int err : {ENOSPC, EROFS, EACCES, EIO, ENOENT}) {
    const absl::Status status = ErrnoToStatus(err, "write", "/x");
    EXPECT_EQ(IoErrno(status), err) << std::strerror(err);
    EXPECT_TRUE(status.GetPayload(kErrnoPayloadUrl).has_value());
    EXPECT_EQ(IoErrno(ToAbslStatus(ErrnoToIoStatus(err, "write", "/x"))), err)
        << std::strerror(err);
  }
}

TEST(ErrnoToStatusTest, NoErrnoWhereNoSystemCallFailed) {
  EXPECT_EQ(IoErrno(absl::OkStatus()), 0);
  EXPECT_EQ(IoErrno(absl::PermissionDeniedError(
                std::string("cannot write /x: ") + std::strerror(EROFS))),
            0);
  EXPECT_EQ(IoErrno(absl::InternalError("x")), 0);
}

TEST(ErrnoToStatusTest, WithErrnoKeepsCodeAndMessage) {
  const absl::Status status =
      WithErrno(absl::UnavailableError("cannot create /ckpt"), EROFS);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "cannot create /ckpt");
  EXPECT_EQ(IoErrno(status), EROFS);
  // OK stays OK and payload-free; errno 0 attaches nothing.
  EXPECT_TRUE(WithErrno(absl::OkStatus(), EROFS).ok());
  EXPECT_EQ(IoErrno(WithErrno(absl::OkStatus(), EROFS)), 0);
  EXPECT_FALSE(WithErrno(absl::InternalError("x"), 0)
                   .GetPayload(kErrnoPayloadUrl)
                   .has_value());
}

TEST(ErrnoToStatusTest, MalformedPayloadReadsAsNoErrno) {
  absl::Status status = absl::InternalError("x");
  status.SetPayload(kErrnoPayloadUrl, absl::Cord("EROFS"));
  EXPECT_EQ(IoErrno(status), 0);
}

}  // namespace
}  // namespace facet
