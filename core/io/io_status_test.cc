#include "core/io/io_status.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace facet {
namespace {

struct ErrnoCase {
  int err;
  PathOrigin origin;
  IoCode code;
};

// Every errno the mapping names, under both origins where it matters.
TEST(IoStatusTest, MapsEachErrnoToItsCode) {
  const std::vector<ErrnoCase> cases = {
      {ENOENT, PathOrigin::kProgram, IoCode::kNotFound},
      {ENOENT, PathOrigin::kCaller, IoCode::kNotFound},
      {EEXIST, PathOrigin::kProgram, IoCode::kAlreadyExists},
      {ENOTEMPTY, PathOrigin::kProgram, IoCode::kAlreadyExists},
      {EACCES, PathOrigin::kCaller, IoCode::kPermissionDenied},
      {EACCES, PathOrigin::kProgram, IoCode::kPermissionDenied},
      {EPERM, PathOrigin::kProgram, IoCode::kPermissionDenied},
      {EROFS, PathOrigin::kProgram, IoCode::kPermissionDenied},
      {EROFS, PathOrigin::kCaller, IoCode::kPermissionDenied},
      {ENOSPC, PathOrigin::kCaller, IoCode::kResourceExhausted},
      {ENOSPC, PathOrigin::kProgram, IoCode::kResourceExhausted},
      {EDQUOT, PathOrigin::kProgram, IoCode::kResourceExhausted},
      {EFBIG, PathOrigin::kProgram, IoCode::kResourceExhausted},
      {EIO, PathOrigin::kProgram, IoCode::kDataLoss},
      {EIO, PathOrigin::kCaller, IoCode::kDataLoss},
      {ENOTDIR, PathOrigin::kProgram, IoCode::kFailedPrecondition},
      {ENOTDIR, PathOrigin::kCaller, IoCode::kNotFound},
      {EISDIR, PathOrigin::kProgram, IoCode::kFailedPrecondition},
      {EISDIR, PathOrigin::kCaller, IoCode::kInvalidArgument},
      {EBADF, PathOrigin::kProgram, IoCode::kInternal},
      {EINVAL, PathOrigin::kCaller, IoCode::kInternal},
  };
  for (const ErrnoCase& c : cases) {
    EXPECT_EQ(ErrnoToIoCode(c.err, c.origin), c.code)
        << std::strerror(c.err) << " origin " << static_cast<int>(c.origin);
    EXPECT_EQ(ErrnoToIoStatus(c.err, "open", "/x", c.origin).code(), c.code)
        << std::strerror(c.err);
  }
}

TEST(IoStatusTest, MessageNamesOperationPathAndSystemError) {
  const IoStatus status = ErrnoToIoStatus(ENOSPC, "write", "/tmp/a b.bin");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.message(),
            std::string("cannot write /tmp/a b.bin: ") + std::strerror(ENOSPC));
}

TEST(IoStatusTest, KeepsTheErrnoItWasMadeFrom) {
  for (int err : {ENOSPC, EROFS, EACCES, EIO}) {
    EXPECT_EQ(ErrnoToIoStatus(err, "write", "/x").system_errno(), err)
        << std::strerror(err);
  }
  EXPECT_EQ(
      IoStatus(IoCode::kResourceExhausted, "over the limit").system_errno(), 0);
  EXPECT_EQ(IoStatus().system_errno(), 0);
}

TEST(IoStatusTest, DefaultIsOk) {
  EXPECT_TRUE(IoStatus().ok());
  EXPECT_EQ(IoStatus().code(), IoCode::kOk);
  EXPECT_EQ(ErrnoToIoCode(EISDIR), IoCode::kFailedPrecondition);
}

}  // namespace
}  // namespace facet
