#include "core/model/pth_reader.h"

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/model/pickle_writer.h"
#include "core/model/pth_test_fixtures.h"
#include "core/model/safetensors.h"
#include "core/model/zip_archive.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using pth_testing::ExpectedTensor;
using pth_testing::GeneratedFixturesDir;
using pth_testing::ReadExpected;
using testing::ReadFile;

std::string DataOf(const RawTensor& t) {
  return std::string(t.data.begin(), t.data.end());
}

void ExpectTensorsEqual(const RawTensorMap& a, const RawTensorMap& b,
                        const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << what << ": missing " << name;
    EXPECT_EQ(t.dtype, it->second.dtype) << what << ": " << name;
    EXPECT_EQ(t.shape, it->second.shape) << what << ": " << name;
    EXPECT_TRUE(t.data == it->second.data) << what << ": " << name;
  }
}

// Checks `got` against an expectation list; `normalized` selects the
// float32 column and names without "module.".
void ExpectMatches(const RawTensorMap& got,
                   const std::vector<ExpectedTensor>& expected,
                   const std::string& what, bool normalized = false) {
  ASSERT_FALSE(expected.empty()) << what;
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (const ExpectedTensor& e : expected) {
    std::string name = e.name;
    if (normalized && name.rfind("module.", 0) == 0) name = name.substr(7);
    auto it = got.find(name);
    ASSERT_NE(it, got.end()) << what << ": missing " << name;
    const RawTensor& t = it->second;
    const bool converted =
        normalized &&
        (e.dtype == "F16" || e.dtype == "BF16" || e.dtype == "F64");
    EXPECT_EQ(DTypeName(t.dtype), converted ? std::string("F32") : e.dtype)
        << what << ": " << name;
    EXPECT_EQ(t.shape, e.shape) << what << ": " << name;
    EXPECT_EQ(pth_testing::Hex(DataOf(t)),
              pth_testing::Hex(normalized ? e.float32_bytes : e.bytes))
        << what << ": " << name;
  }
}

TEST(PthReaderTest, GoldenZipAndLegacyAgreeWithSafetensors) {
  const std::string shared = testing::FixturesDirIfPresent();
  if (shared.empty()) GTEST_SKIP() << "no shared fixtures";
  ModelResult<RawTensorMap> zip = ReadPthFile(shared + "/golden/small.zip.pth");
  ModelResult<RawTensorMap> legacy =
      ReadPthFile(shared + "/golden/small.legacy.pth");
  ModelResult<SafetensorsContents> safetensors =
      ReadSafetensorsFile(shared + "/golden/small.safetensors");
  ASSERT_TRUE(zip.ok()) << zip.status().ToString();
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  ASSERT_TRUE(safetensors.ok()) << safetensors.status().ToString();
  EXPECT_EQ(zip->size(), 86u);
  ExpectTensorsEqual(*zip, *legacy, "zip vs legacy");
  ExpectTensorsEqual(*zip, safetensors->tensors, "zip vs safetensors");
  const RawTensor& tracked =
      zip->at("encoder.1.conv1.norm.norm.num_batches_tracked");
  EXPECT_EQ(tracked.dtype, DType::kInt64);
  EXPECT_TRUE(tracked.shape.empty());
}

// The network at the published configuration (238 entries, ~85 MB), saved
// by torch in both formats, reads back exactly as its safetensors copy.
TEST(PthReaderTest, PublishedConfigurationMatchesSafetensors) {
  const std::string dir =
      pth_testing::GenerateWithPython("pth_published_fixture.py");
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  ModelResult<SafetensorsContents> expected =
      ReadSafetensorsFile(dir + "/published.safetensors");
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  ASSERT_EQ(expected->tensors.size(), 238u);
  for (const char* file : {"published.zip.pth", "published.legacy.pth"}) {
    ModelResult<RawTensorMap> got = ReadPthFile(dir + "/" + file);
    ASSERT_TRUE(got.ok()) << file << ": " << got.status().ToString();
    ExpectTensorsEqual(*got, expected->tensors, file);
  }
}

TEST(PthReaderTest, ReadsTorchWrittenCases) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  struct Case {
    const char* file;
    const char* expected;
  };
  const Case cases[] = {
      {"basic.zip.pth", "basic"},
      {"basic.legacy.pth", "basic"},
      {"basic.deflated.pth", "basic"},
      {"views.zip.pth", "views"},
      {"views.legacy.pth", "views"},
      {"module.zip.pth", "module"},
      {"module.legacy.pth", "module"},
      {"prefixed.zip.pth", "prefixed"},
      {"prefixed.legacy.pth", "prefixed"},
      {"params.zip.pth", "params"},
      {"params.legacy.pth", "params"},
      {"legacy_views.legacy.pth", "legacy_views"},
  };
  for (const Case& c : cases) {
    ModelResult<RawTensorMap> got = ReadPthFile(dir + "/" + c.file);
    ASSERT_TRUE(got.ok()) << c.file << ": " << got.status().ToString();
    const auto expected = ReadExpected(dir + "/" + c.expected + ".txt");
    ExpectMatches(*got, expected, c.file);
    ModelResult<RawTensorMap> normalized =
        NormalizeUpstreamStateDict(std::move(got).value());
    ASSERT_TRUE(normalized.ok())
        << c.file << ": " << normalized.status().ToString();
    ExpectMatches(*normalized, expected, std::string(c.file) + " normalized",
                  /*normalized=*/true);
  }
}

TEST(PthReaderTest, NormalizeStripsPrefixOnlyWhenAllKeysHaveIt) {
  RawTensor t;
  t.dtype = DType::kInt64;
  t.data.assign(8, 1);
  RawTensorMap all{{"module.a", t}, {"module.b.c", t}};
  ModelResult<RawTensorMap> stripped = NormalizeUpstreamStateDict(all);
  ASSERT_TRUE(stripped.ok());
  EXPECT_EQ(stripped->count("a"), 1u);
  EXPECT_EQ(stripped->count("b.c"), 1u);
  RawTensorMap some{{"module.a", t}, {"b", t}};
  ModelResult<RawTensorMap> kept = NormalizeUpstreamStateDict(some);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->count("module.a"), 1u);
  EXPECT_EQ(kept->at("module.a").dtype, DType::kInt64);
}

TEST(PthReaderTest, NormalizeRejectsBadTensors) {
  RawTensor wrong_size;
  wrong_size.shape = {3};
  wrong_size.data.assign(8, 0);
  ModelResult<RawTensorMap> a = NormalizeUpstreamStateDict({{"w", wrong_size}});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("'w'"), std::string::npos);
  RawTensor huge;
  huge.dtype = DType::kFloat64;
  huge.shape = {1};
  const double value = 1e300;
  huge.data.resize(8);
  std::memcpy(huge.data.data(), &value, 8);
  ModelResult<RawTensorMap> b = NormalizeUpstreamStateDict({{"big", huge}});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("'big'"), std::string::npos);
}

TEST(PthReaderTest, RejectsFilesThatAreNotStateDicts) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  struct Case {
    const char* file;
    ModelErrorCode code;
    const char* message;
  };
  const Case cases[] = {
      {"bad_torchscript.pt", ModelErrorCode::kInvalidArgument,
       "this is a TorchScript archive, not a state dict"},
      {"bad_list.zip.pth", ModelErrorCode::kInvalidArgument,
       "holds a list, not a state dict"},
      {"bad_nontensor.zip.pth", ModelErrorCode::kInvalidArgument,
       "entry 'epoch' is a int, not a tensor"},
      {"bad_nontensor.legacy.pth", ModelErrorCode::kInvalidArgument,
       "entry 'epoch' is a int, not a tensor"},
      {"bad_wholemodel.zip.pth", ModelErrorCode::kInvalidArgument,
       "is not allowed in a state dict"},
      {"bad_wholemodel.legacy.pth", ModelErrorCode::kInvalidArgument,
       "global '__main__._Net' is not allowed in a state dict"},
      {"bad_notcheckpoint.zip", ModelErrorCode::kInvalidArgument,
       "no 'folder/data.pkl'"},
      {"bad_nofolder.zip", ModelErrorCode::kInvalidArgument, "root folder"},
      {"bad_random.pth", ModelErrorCode::kInvalidArgument,
       "not a PyTorch checkpoint"},
  };
  for (const Case& c : cases) {
    const std::string path = dir + "/" + c.file;
    ModelResult<RawTensorMap> got = ReadPthFile(path);
    ASSERT_FALSE(got.ok()) << c.file;
    EXPECT_EQ(got.status().code(), c.code) << got.status().ToString();
    EXPECT_NE(got.status().message().find(c.message), std::string::npos)
        << c.file << ": " << got.status().message();
    EXPECT_EQ(got.status().message().rfind(path, 0), 0u)
        << "error should name the file: " << got.status().message();
  }
}

TEST(PthReaderTest, FileErrors) {
  EXPECT_EQ(ReadPthFile("/nonexistent/x.pth").status().code(),
            ModelErrorCode::kNotFound);
  EXPECT_EQ(ReadPthFile(::testing::TempDir()).status().code(),
            ModelErrorCode::kInvalidArgument);
  EXPECT_EQ(ParsePth("", "empty.pth").status().code(),
            ModelErrorCode::kInvalidArgument);
  EXPECT_EQ(ParsePth(std::string(300, '\0'), "zeros.pth").status().code(),
            ModelErrorCode::kInvalidArgument);
}

// Builds a zip checkpoint holding one tensor whose pickle the test shapes.
struct Crafted {
  std::string storage_type = "FloatStorage";
  int64_t storage_numel = 6;
  std::string storage_data = std::string(24, '\1');
  int64_t offset = 0;
  std::vector<int64_t> size = {2, 3};
  std::vector<int64_t> stride = {3, 1};
  std::string key = "w";
  bool duplicate_key = false;
  bool write_storage = true;
  std::string global_module = "torch._utils";
  std::string global_name = "_rebuild_tensor_v2";

  std::string Build() const {
    PickleWriter p;
    p.Global("collections", "OrderedDict");
    p.EmptyTuple();
    p.Reduce();
    p.Mark();
    for (int i = 0; i < (duplicate_key ? 2 : 1); ++i) {
      p.String(key);
      p.Global(global_module, global_name);
      p.Mark();
      p.Mark();
      p.String("storage");
      p.Global("torch", storage_type);
      p.String("0");
      p.String("cpu");
      p.Int(storage_numel);
      p.Tuple();
      p.PersistentId();
      p.Int(offset);
      p.IntTuple(size);
      p.IntTuple(stride);
      p.Bool(false);
      p.Global("collections", "OrderedDict");
      p.EmptyTuple();
      p.Reduce();
      p.Tuple();
      p.Reduce();
    }
    p.SetItems();
    ZipWriter zip;
    EXPECT_TRUE(zip.AddStored("archive/data.pkl", p.Finish()).ok());
    if (write_storage) {
      EXPECT_TRUE(zip.AddStored("archive/data/0", storage_data).ok());
    }
    EXPECT_TRUE(zip.AddStored("archive/version", "3\n").ok());
    return zip.Finish();
  }
};

TEST(PthReaderTest, CraftedCheckpoints) {
  struct Case {
    const char* what;
    Crafted crafted;
    ModelErrorCode code;  // kOk: must load.
    const char* message;
  };
  std::vector<Case> cases;
  cases.push_back({"plain", Crafted(), ModelErrorCode::kOk, ""});
  Crafted c;
  c.size = {3, 3};
  cases.push_back({"tensor past storage", c, ModelErrorCode::kInvalidArgument,
                   "reaches element 8 of a storage of 6 elements"});
  c = Crafted();
  c.offset = 1;
  cases.push_back({"offset past storage", c, ModelErrorCode::kInvalidArgument,
                   "reaches element 6"});
  c = Crafted();
  c.storage_data.resize(20);
  cases.push_back({"short storage", c, ModelErrorCode::kDataLoss,
                   "holds 20 bytes; its 6 F32 elements need 24"});
  c = Crafted();
  c.write_storage = false;
  cases.push_back({"missing storage", c, ModelErrorCode::kDataLoss,
                   "has no entry 'archive/data/0'"});
  c = Crafted();
  c.duplicate_key = true;
  cases.push_back(
      {"duplicate key", c, ModelErrorCode::kInvalidArgument, "key 'w' twice"});
  c = Crafted();
  c.global_module = "os";
  c.global_name = "system";
  cases.push_back({"unknown global", c, ModelErrorCode::kInvalidArgument,
                   "global 'os.system' is not allowed"});
  c = Crafted();
  c.storage_type = "ComplexFloatStorage";
  cases.push_back(
      {"unknown storage", c, ModelErrorCode::kInvalidArgument, "not allowed"});
  c = Crafted();
  c.size = {int64_t{1} << 62, int64_t{1} << 62};
  cases.push_back(
      {"overflowing sizes", c, ModelErrorCode::kInvalidArgument, "overflow"});
  c = Crafted();
  c.storage_numel = int64_t{1} << 61;
  cases.push_back({"huge storage", c, ModelErrorCode::kInvalidArgument,
                   "declares 2305843009213693952 elements"});
  c = Crafted();
  c.storage_numel = 7;
  cases.push_back({"storage size mismatch", c, ModelErrorCode::kDataLoss,
                   "holds 24 bytes; its 7 F32 elements need 28"});
  c = Crafted();
  c.size = {1000000, 1000000};
  c.stride = {0, 0};
  cases.push_back({"broadcast bomb", c, ModelErrorCode::kResourceExhausted,
                   "past the limit"});
  c = Crafted();
  c.size = {2, 3};
  c.stride = {1, 2};
  cases.push_back({"strided", c, ModelErrorCode::kOk, ""});
  c = Crafted();
  c.size = {2};
  c.stride = {1, 1};
  cases.push_back({"stride rank", c, ModelErrorCode::kInvalidArgument,
                   "different lengths"});

  for (const Case& k : cases) {
    ModelResult<RawTensorMap> got = ParsePth(k.crafted.Build(), "crafted.pth");
    if (k.code == ModelErrorCode::kOk) {
      ASSERT_TRUE(got.ok()) << k.what << ": " << got.status().ToString();
      EXPECT_EQ(got->at("w").shape, k.crafted.size) << k.what;
      continue;
    }
    ASSERT_FALSE(got.ok()) << k.what;
    EXPECT_EQ(got.status().code(), k.code)
        << k.what << ": " << got.status().ToString();
    EXPECT_NE(got.status().message().find(k.message), std::string::npos)
        << k.what << ": " << got.status().message();
  }
}

TEST(PthReaderTest, StridedCraftedValues) {
  Crafted c;
  c.storage_data.clear();
  for (float f = 0; f < 6; ++f) {
    c.storage_data.append(reinterpret_cast<const char*>(&f), 4);
  }
  c.size = {3, 2};
  c.stride = {1, 3};  // The transpose of a 2 x 3 matrix.
  ModelResult<RawTensorMap> got = ParsePth(c.Build(), "crafted.pth");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::vector<float> values(6);
  std::memcpy(values.data(), got->at("w").data.data(), 24);
  EXPECT_EQ(values, (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

// Every prefix of a valid file must fail to parse, for both formats.
TEST(PthReaderTest, EveryTruncationFails) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  for (const char* file : {"module.zip.pth", "module.legacy.pth"}) {
    const std::string bytes = ReadFile(dir + "/" + file);
    ASSERT_TRUE(ParsePth(bytes, file).ok()) << file;
    for (size_t n = 0; n < bytes.size(); ++n) {
      ModelResult<RawTensorMap> got = ParsePth(bytes.substr(0, n), file);
      EXPECT_FALSE(got.ok()) << file << " cut at " << n;
    }
  }
}

// Random byte changes must give an error or a well-formed result, never a
// crash; for the zip format (CRC-checked) a result must equal the original.
TEST(PthReaderTest, SurvivesRandomByteFlips) {
  const std::string dir = GeneratedFixturesDir();
  if (dir.empty()) GTEST_SKIP() << "needs /usr/bin/python3 with torch";
  std::mt19937 rng(2024);
  for (const char* file : {"views.zip.pth", "views.legacy.pth"}) {
    const std::string bytes = ReadFile(dir + "/" + file);
    ModelResult<RawTensorMap> original = ParsePth(bytes, file);
    ASSERT_TRUE(original.ok());
    int failures = 0;
    for (int i = 0; i < 2500; ++i) {
      std::string bad = bytes;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) {
        bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
      }
      ModelResult<RawTensorMap> got = ParsePth(bad, file);
      if (!got.ok()) {
        ++failures;
        EXPECT_FALSE(got.status().message().empty());
        continue;
      }
      for (const auto& [name, t] : *got) {
        EXPECT_EQ(t.data.size(), t.numel() * DTypeSize(t.dtype)) << name;
      }
      if (std::string(file).find(".zip.") != std::string::npos) {
        ExpectTensorsEqual(*got, *original, "zip survived flips");
      }
    }
    EXPECT_GT(failures, 0) << file;
  }
}

}  // namespace
}  // namespace facet
