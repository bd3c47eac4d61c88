#include "core/model/pth_writer.h"

#include <cstring>
#include <string>

#include "core/model/pth_reader.h"
#include "core/model/pth_test_fixtures.h"
#include "core/model/zip_archive.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using pth_testing::HavePythonTorch;
using pth_testing::Hex;
using testing::ReadFile;
using testing::SourceDir;
using testing::WriteFile;

RawTensor MakeTensor(DType dtype, std::vector<int64_t> shape, int seed) {
  RawTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(t.numel() * DTypeSize(dtype));
  for (size_t i = 0; i < t.data.size(); ++i) {
    t.data[i] = static_cast<uint8_t>((i * 37 + seed * 11) % 251);
  }
  if (dtype == DType::kBool) {
    for (uint8_t& b : t.data) b &= 1;
  }
  if (dtype == DType::kFloat32) {  // Keep floats finite: plain numbers.
    for (size_t i = 0; i < t.data.size() / 4; ++i) {
      const float f = static_cast<float>(i) * 0.25f - seed;
      std::memcpy(&t.data[4 * i], &f, 4);
    }
  }
  return t;
}

RawTensorMap AllKinds() {
  RawTensorMap m;
  m["conv.weight"] = MakeTensor(DType::kFloat32, {4, 3, 3, 3}, 1);
  m["conv.bias"] = MakeTensor(DType::kFloat32, {4}, 2);
  m["bn.num_batches_tracked"] = MakeTensor(DType::kInt64, {}, 3);
  m["t.f16"] = MakeTensor(DType::kFloat16, {2, 5}, 4);
  m["t.bf16"] = MakeTensor(DType::kBFloat16, {3}, 5);
  m["t.f64"] = MakeTensor(DType::kFloat64, {2, 2}, 6);
  m["t.i32"] = MakeTensor(DType::kInt32, {3}, 7);
  m["t.i16"] = MakeTensor(DType::kInt16, {3}, 8);
  m["t.i8"] = MakeTensor(DType::kInt8, {3}, 9);
  m["t.u8"] = MakeTensor(DType::kUInt8, {300}, 10);
  m["t.flags"] = MakeTensor(DType::kBool, {4}, 11);
  m["t.empty"] = MakeTensor(DType::kFloat32, {0, 3}, 12);
  m["big.index"] = MakeTensor(DType::kInt64, {70000}, 13);
  return m;
}

void ExpectSame(const RawTensorMap& a, const RawTensorMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    ASSERT_EQ(b.count(name), 1u) << name;
    EXPECT_EQ(t.dtype, b.at(name).dtype) << name;
    EXPECT_EQ(t.shape, b.at(name).shape) << name;
    EXPECT_TRUE(t.data == b.at(name).data) << name;
  }
}

// The expectation list format of make_pth_fixtures.py.
std::string ExpectedList(const RawTensorMap& m) {
  std::string out;
  for (const auto& [name, t] : m) {
    std::string shape;
    for (size_t i = 0; i < t.shape.size(); ++i) {
      shape += (i ? "," : "") + std::to_string(t.shape[i]);
    }
    const std::string hex = Hex(std::string(t.data.begin(), t.data.end()));
    out += name + "\t" + DTypeName(t.dtype) + "\t" + shape + "\t" + hex + "\t" +
           hex + "\n";
  }
  return out;
}

TEST(PthWriterTest, RoundTripsThroughReader) {
  const RawTensorMap tensors = AllKinds();
  ModelResult<std::string> bytes = SerializePthZip(tensors);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  ModelResult<RawTensorMap> back = ParsePth(*bytes, "written.pth");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(tensors, *back);
}

TEST(PthWriterTest, LaysOutArchiveLikeTorch) {
  const RawTensorMap tensors = AllKinds();
  ModelResult<std::string> bytes = SerializePthZip(tensors, "weights");
  ASSERT_TRUE(bytes.ok());
  ModelResult<ZipReader> zip = ZipReader::Open(*bytes);
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  ASSERT_EQ(zip->entries().size(), tensors.size() + 2);
  EXPECT_EQ(zip->entries().front().name, "weights/data.pkl");
  EXPECT_EQ(zip->entries().back().name, "weights/version");
  EXPECT_EQ(*zip->Read(zip->entries().back()), "3\n");
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ZipEntry& e = zip->entries()[i + 1];
    EXPECT_EQ(e.name, "weights/data/" + std::to_string(i));
    EXPECT_EQ(e.data_offset % 64, 0u) << e.name;
  }
}

TEST(PthWriterTest, RejectsBadInput) {
  RawTensorMap bad_size = {{"w", MakeTensor(DType::kFloat32, {2}, 0)}};
  bad_size["w"].data.pop_back();
  ModelResult<std::string> a = SerializePthZip(bad_size);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), ModelErrorCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("'w'"), std::string::npos);
  RawTensorMap negative = {{"n", MakeTensor(DType::kFloat32, {2}, 0)}};
  negative["n"].shape = {-2};
  EXPECT_FALSE(SerializePthZip(negative).ok());
  RawTensorMap unnamed = {{"", MakeTensor(DType::kFloat32, {2}, 0)}};
  EXPECT_FALSE(SerializePthZip(unnamed).ok());
  EXPECT_FALSE(SerializePthZip(AllKinds(), "a/b").ok());
  EXPECT_FALSE(SerializePthZip(AllKinds(), "").ok());
}

TEST(PthWriterTest, WritesFiles) {
  const std::string path = ::testing::TempDir() + "pth_writer_test.pth";
  ASSERT_TRUE(WritePthFile(path, AllKinds()).ok());
  ModelResult<RawTensorMap> back = ReadPthFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(AllKinds(), *back);
  ModelStatus bad = WritePthFile("/nonexistent/dir/x.pth", AllKinds());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("/nonexistent/dir/x.pth"), std::string::npos);
}

// Upstream Python loads what we write, bit for bit, and strictly.
TEST(PthWriterTest, TorchLoadsOutputStrictly) {
  if (!HavePythonTorch()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  const std::string dir = ::testing::TempDir();
  const std::string script = SourceDir() + "/tests/python/pth_check_load.py";
  const std::string pth = dir + "pth_writer_all.pth";
  const std::string list = dir + "pth_writer_all.txt";
  ASSERT_TRUE(WritePthFile(pth, AllKinds()).ok());
  WriteFile(list, ExpectedList(AllKinds()));
  std::string command = std::string(pth_testing::kPython) + " " + script + " " +
                        pth + " --expected " + list;
  EXPECT_EQ(pth_testing::Run(command), 0) << command;

  // The golden checkpoint, read from the legacy file and written back in
  // the zip format, equals torch's own zip file.
  const std::string shared = testing::FixturesDirIfPresent();
  if (shared.empty()) return;
  ModelResult<RawTensorMap> golden =
      ReadPthFile(shared + "/golden/small.legacy.pth");
  ASSERT_TRUE(golden.ok()) << golden.status().ToString();
  const std::string converted = dir + "pth_writer_golden.pth";
  ASSERT_TRUE(WritePthFile(converted, *golden).ok());
  command = std::string(pth_testing::kPython) + " " + script + " " + converted +
            " --reference " + shared + "/golden/small.zip.pth";
  EXPECT_EQ(pth_testing::Run(command), 0) << command;
}

// The Python checker itself must be able to fail: a changed expectation.
TEST(PthWriterTest, CheckerFailsOnMismatch) {
  if (!HavePythonTorch()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  const std::string pth = ::testing::TempDir() + "pth_writer_mismatch.pth";
  const std::string list = ::testing::TempDir() + "pth_writer_mismatch.txt";
  RawTensorMap m = AllKinds();
  ASSERT_TRUE(WritePthFile(pth, m).ok());
  m["conv.bias"].data[0] ^= 1;  // The expectation no longer matches.
  WriteFile(list, ExpectedList(m));
  const std::string command = std::string(pth_testing::kPython) + " " +
                              SourceDir() + "/tests/python/pth_check_load.py " +
                              pth + " --expected " + list + " 2>/dev/null";
  EXPECT_NE(pth_testing::Run(command), 0)
      << "the checker must fail on a value mismatch";
}

}  // namespace
}  // namespace facet
