#include "core/model/safetensors.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "core/model/safetensors_header.h"
#include "gtest/gtest.h"
#include "tests/util/test_files.h"

namespace facet {
namespace {

// A tensor whose bytes are a deterministic function of `seed`.
RawTensor MakeTensor(DType dtype, std::vector<int64_t> shape, int seed) {
  RawTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(static_cast<size_t>(t.numel()) * DTypeSize(dtype));
  for (size_t i = 0; i < t.data.size(); ++i) {
    t.data[i] =
        static_cast<uint8_t>((i * 31 + static_cast<size_t>(seed) * 7) & 0xFF);
  }
  return t;
}

RawTensorMap AllDTypes() {
  RawTensorMap m;
  const DType dtypes[] = {DType::kFloat32, DType::kFloat16, DType::kBFloat16,
                          DType::kFloat64, DType::kInt64,   DType::kInt32,
                          DType::kInt16,   DType::kInt8,    DType::kUInt8,
                          DType::kBool};
  int seed = 0;
  for (DType d : dtypes) {
    m[std::string("t_") + DTypeName(d)] = MakeTensor(d, {2, 3}, seed++);
  }
  m["scalar"] = MakeTensor(DType::kInt64, {}, seed++);
  m["empty"] = MakeTensor(DType::kFloat32, {0, 4}, seed++);
  m["quote\"and\\slash \xC3\xA9"] = MakeTensor(DType::kFloat32, {3}, seed++);
  return m;
}

void ExpectSameTensors(const RawTensorMap& a, const RawTensorMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    ASSERT_NE(it, b.end()) << name;
    EXPECT_EQ(t.dtype, it->second.dtype) << name;
    EXPECT_EQ(t.shape, it->second.shape) << name;
    EXPECT_EQ(t.data, it->second.data) << name;
  }
}

// A file from a literal header and `buffer_size` zero bytes of data.
std::string MakeFile(const std::string& header, size_t buffer_size) {
  std::string out;
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  return out + header + std::string(buffer_size, '\0');
}

std::string TempDir() {
  return testing::MakeTempDirRemovedAtExit("safetensors_test");
}

TEST(SafetensorsTest, RoundTripsAllDTypesScalarAndEmpty) {
  RawTensorMap tensors = AllDTypes();
  std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"note", "line\nbreak \"quoted\" \xE2\x82\xAC"}};
  ASSERT_TRUE(CheckSerializable(tensors, metadata).ok());
  std::string bytes = SerializeSafetensors(tensors, metadata);
  ModelResult<SafetensorsContents> parsed = ParseSafetensors(bytes, "mem");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameTensors(tensors, parsed->tensors);
  EXPECT_EQ(parsed->metadata, metadata);
}

TEST(SafetensorsTest, SerializedHeaderIsPaddedAndTensorsAligned) {
  RawTensorMap tensors = AllDTypes();
  std::string bytes = SerializeSafetensors(tensors, {});
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
  ModelResult<SafetensorsHeader> header =
      ParseSafetensorsHeader(std::string_view(bytes).substr(8, n));
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  for (const SafetensorsHeaderEntry& e : header->tensors) {
    EXPECT_EQ((8 + n + e.begin) % DTypeSize(e.dtype), 0u) << e.name;
  }
}

TEST(SafetensorsTest, WritesAndReadsFile) {
  std::string path = TempDir() + "/w.safetensors";
  RawTensorMap tensors = AllDTypes();
  ModelStatus s = WriteSafetensorsFile(path, tensors, {{"k", "v"}});
  ASSERT_TRUE(s.ok()) << s.ToString();
  ModelResult<SafetensorsContents> read = ReadSafetensorsFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ExpectSameTensors(tensors, read->tensors);
  EXPECT_EQ(read->metadata.at("k"), "v");
}

TEST(SafetensorsTest, EmptyFileWithPaddedHeaderParses) {
  ModelResult<SafetensorsContents> r =
      ParseSafetensors(MakeFile("{}      ", 0), "f");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->tensors.empty());
}

TEST(SafetensorsTest, ReadErrorsNameThePath) {
  std::string dir = TempDir();
  ModelResult<SafetensorsContents> missing = ReadSafetensorsFile(dir + "/nope");
  EXPECT_EQ(missing.status().code(), ModelErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find(dir + "/nope"), std::string::npos);
  ModelResult<SafetensorsContents> folder = ReadSafetensorsFile(dir);
  EXPECT_EQ(folder.status().code(), ModelErrorCode::kInvalidArgument);
  EXPECT_NE(folder.status().message().find("not a regular file"),
            std::string::npos);
}

TEST(SafetensorsTest, WriteErrorsNameThePath) {
  RawTensorMap tensors = AllDTypes();
  std::string bad = TempDir() + "/no/such/dir/w.safetensors";
  ModelStatus s = WriteSafetensorsFile(bad, tensors, {});
  EXPECT_EQ(s.code(), ModelErrorCode::kNotFound);
  EXPECT_NE(s.message().find(bad), std::string::npos) << s.ToString();
  struct stat st;
  if (::stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
    ModelStatus full = WriteSafetensorsFile("/dev/full", tensors, {});
    EXPECT_EQ(full.code(), ModelErrorCode::kResourceExhausted)
        << full.ToString();
    EXPECT_NE(full.message().find("/dev/full"), std::string::npos);
    EXPECT_EQ(::stat("/dev/full", &st), 0) << "device must not be removed";
  }
}

TEST(SafetensorsTest, CheckSerializableRejectsBadTensors) {
  RawTensorMap short_data = {{"w", MakeTensor(DType::kFloat32, {2, 2}, 0)}};
  short_data["w"].data.pop_back();
  RawTensorMap reserved = {{"__metadata__", MakeTensor(DType::kUInt8, {1}, 0)}};
  RawTensorMap negative = {{"n", MakeTensor(DType::kUInt8, {1}, 0)}};
  negative["n"].shape = {-1};
  for (const RawTensorMap* m : {&short_data, &reserved, &negative}) {
    ModelStatus s = CheckSerializable(*m, {});
    EXPECT_EQ(s.code(), ModelErrorCode::kInvalidArgument);
    EXPECT_NE(s.message().find(m->begin()->first), std::string::npos)
        << s.ToString();
  }
  ModelStatus w = WriteSafetensorsFile(TempDir() + "/x", short_data, {});
  EXPECT_EQ(w.code(), ModelErrorCode::kInvalidArgument);
}

TEST(SafetensorsTest, GoldenFileMatchesGoldenManifest) {
  const std::string fixtures = testing::FixturesDirIfPresent();
  std::string golden = fixtures + "/golden";
  std::ifstream manifest_file(golden + "/manifest.json");
  if (fixtures.empty() || !manifest_file) GTEST_SKIP() << "no fixtures";
  std::stringstream ss;
  ss << manifest_file.rdbuf();
  std::string manifest = ss.str();
  // Entries of state_dict.keys read as ["name", [dims], "dtype"].
  size_t keys = manifest.find("\"keys\"");
  ASSERT_NE(keys, std::string::npos);
  std::string rest = manifest.substr(keys);
  std::regex entry_re(
      R"re(\[\s*"([^"]+)",\s*\[([0-9,\s]*)\],\s*"(\w+)"\s*\])re");
  ModelResult<SafetensorsContents> file =
      ReadSafetensorsFile(golden + "/small.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  size_t count = 0;
  for (std::sregex_iterator it(rest.begin(), rest.end(), entry_re), end;
       it != end; ++it, ++count) {
    std::string name = (*it)[1];
    std::vector<int64_t> shape;
    std::stringstream dims((*it)[2].str());
    for (std::string d; std::getline(dims, d, ',');)
      shape.push_back(std::stoll(d));
    DType dtype = (*it)[3] == "int64" ? DType::kInt64 : DType::kFloat32;
    auto t = file->tensors.find(name);
    ASSERT_NE(t, file->tensors.end()) << name;
    EXPECT_EQ(t->second.shape, shape) << name;
    EXPECT_EQ(t->second.dtype, dtype) << name;
  }
  EXPECT_EQ(count, 86u);
  EXPECT_EQ(file->tensors.size(), 86u);
}

TEST(SafetensorsTest, EveryTruncationFails) {
  RawTensorMap tensors = AllDTypes();
  std::string bytes = SerializeSafetensors(tensors, {{"a", "b"}});
  for (size_t len = 0; len < bytes.size(); ++len) {
    ModelResult<SafetensorsContents> r =
        ParseSafetensors(std::string_view(bytes).substr(0, len), "trunc.st");
    ASSERT_FALSE(r.ok()) << "prefix of " << len << " bytes parsed";
    EXPECT_EQ(r.status().code(), ModelErrorCode::kDataLoss);
    EXPECT_EQ(r.status().message().rfind("trunc.st: ", 0), 0u)
        << r.status().message();
  }
}

struct CorruptCase {
  const char* what;
  std::string file;
  const char* expected;  // Substring of the error message.
};

std::string W(const std::string& fields) { return "{\"w\":{" + fields + "}}"; }

TEST(SafetensorsTest, RejectsEachCorruption) {
  std::string huge_len(8, '\0');
  huge_len[7] = '\x7F';
  std::string over_len = MakeFile("{}", 0);
  over_len[0] = 100;
  const std::string f32 = "\"dtype\":\"F32\",\"shape\":[2],";
  const CorruptCase cases[] = {
      {"short file", "abc", "shorter than the 8-byte header length"},
      {"absurd header length", huge_len + "{}", "exceeds the limit"},
      {"header longer than file", over_len, "truncated file?"},
      {"not UTF-8", MakeFile("{\"\xFF\":{}}", 0), "not valid UTF-8"},
      {"overlong UTF-8", MakeFile("{\"\xC0\xAF\":{}}", 0), "not valid UTF-8"},
      {"not an object", MakeFile("[]", 0), "expected '{'"},
      {"invalid JSON", MakeFile(W(f32 + "\"data_offsets\":[0,8],"), 8),
       "expected a field name"},
      {"duplicate tensor",
       MakeFile("{\"w\":{" + f32 + "\"data_offsets\":[0,8]},\"w\":{" + f32 +
                    "\"data_offsets\":[8,16]}}",
                16),
       "duplicate tensor name \"w\""},
      {"duplicate field",
       MakeFile(W(f32 + "\"shape\":[2],\"data_offsets\":[0,8]"), 8),
       "tensor \"w\": duplicate field \"shape\""},
      {"duplicate metadata",
       MakeFile("{\"__metadata__\":{},\"__metadata__\":{}}", 0),
       "duplicate key"},
      {"duplicate metadata key",
       MakeFile("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0),
       "duplicate metadata key \"a\""},
      {"metadata not string", MakeFile("{\"__metadata__\":{\"a\":1}}", 0),
       "a string value for \"a\""},
      {"unknown dtype",
       MakeFile(W("\"dtype\":\"F8\",\"shape\":[2],\"data_offsets\":[0,2]"), 2),
       "tensor \"w\": unknown dtype \"F8\""},
      {"negative dimension",
       MakeFile(W("\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]"),
                8),
       "expected a non-negative integer"},
      {"fractional dimension",
       MakeFile(W("\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]"),
                8),
       "without fraction or exponent"},
      {"leading zero",
       MakeFile(W("\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]"),
                8),
       "leading zero"},
      {"integer overflow",
       MakeFile(W("\"dtype\":\"F32\",\"shape\":[99999999999999999999],"
                  "\"data_offsets\":[0,8]"),
                8),
       "overflows 64 bits"},
      {"dimension above int64",
       MakeFile(W("\"dtype\":\"F32\",\"shape\":[9223372036854775808],"
                  "\"data_offsets\":[0,8]"),
                8),
       "too large"},
      {"numel overflow",
       MakeFile(W("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
                  "\"data_offsets\":[0,8]"),
                8),
       "needs more bytes than"},
      {"offsets past buffer", MakeFile(W(f32 + "\"data_offsets\":[8,16]"), 8),
       "tensor \"w\": data_offsets [8, 16] out of range"},
      {"offsets reversed", MakeFile(W(f32 + "\"data_offsets\":[8,0]"), 8),
       "out of range"},
      {"offsets do not match dtype x numel",
       MakeFile(W(f32 + "\"data_offsets\":[0,12]"), 12),
       "span 12 bytes, but F32 [2] needs 8"},
      {"three offsets", MakeFile(W(f32 + "\"data_offsets\":[0,4,8]"), 8),
       "exactly two offsets"},
      {"one offset", MakeFile(W(f32 + "\"data_offsets\":[0]"), 8),
       "two offsets"},
      {"overlap",
       MakeFile("{\"a\":{" + f32 + "\"data_offsets\":[0,8]},\"b\":{" + f32 +
                    "\"data_offsets\":[4,12]}}",
                12),
       "overlap tensor \"a\""},
      {"hole",
       MakeFile("{\"a\":{" + f32 + "\"data_offsets\":[0,8]},\"b\":{" + f32 +
                    "\"data_offsets\":[12,20]}}",
                20),
       "leave a hole"},
      {"trailing data", MakeFile(W(f32 + "\"data_offsets\":[0,8]"), 9),
       "1 trailing bytes"},
      {"garbage after header",
       MakeFile(W(f32 + "\"data_offsets\":[0,8]") + " x", 8),
       "after the header object"},
      {"unknown field", MakeFile(W(f32 + "\"data_offsets\":[0,8],\"x\":1"), 8),
       "unknown field \"x\""},
      {"missing field", MakeFile(W("\"dtype\":\"F32\",\"shape\":[2]"), 8),
       "missing field \"data_offsets\""},
      {"lone surrogate", MakeFile("{\"\\ud800\":{}}", 0),
       "lone high surrogate"},
      {"control character", MakeFile("{\"a\nb\":{}}", 0), "control character"},
      {"unterminated", MakeFile("{\"w", 0), "unterminated string"},
  };
  for (const CorruptCase& c : cases) {
    ModelResult<SafetensorsContents> r =
        ParseSafetensors(c.file, "bad.safetensors");
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), ModelErrorCode::kDataLoss) << c.what;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << c.what << ": " << r.status().message();
    EXPECT_EQ(r.status().message().rfind("bad.safetensors: ", 0), 0u) << c.what;
  }
}

TEST(SafetensorsTest, EscapesInNamesDecode) {
  std::string f = MakeFile(
      "{\"a\\u00e9\\ud83d\\ude00\\n\":{\"dtype\":\"U8\",\"shape\":[1],"
      "\"data_offsets\":[0,1]}}",
      1);
  ModelResult<SafetensorsContents> r = ParseSafetensors(f, "f");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tensors.begin()->first, "a\xC3\xA9\xF0\x9F\x98\x80\n");
}

// Random corruption never crashes, and whatever parses is self-consistent.
TEST(SafetensorsTest, RandomByteFlipsNeverCrash) {
  RawTensorMap tensors = AllDTypes();
  const std::string original = SerializeSafetensors(tensors, {{"k", "v"}});
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes = original;
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      // Bias toward the length prefix and header, where parsing happens.
      size_t limit =
          (rng() % 4 == 0) ? bytes.size() : std::min<size_t>(bytes.size(), 600);
      bytes[rng() % limit] = static_cast<char>(rng() & 0xFF);
    }
    if (rng() % 8 == 0) bytes.resize(rng() % bytes.size());
    ModelResult<SafetensorsContents> r = ParseSafetensors(bytes, "fuzz");
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
      continue;
    }
    ++accepted;
    for (const auto& [name, t] : r->tensors) {
      ASSERT_EQ(t.data.size(),
                static_cast<size_t>(t.numel()) * DTypeSize(t.dtype))
          << name;
    }
  }
  // Flips in tensor data keep the file valid, so some must be accepted.
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace facet
