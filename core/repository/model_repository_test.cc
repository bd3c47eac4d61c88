#include "core/repository/model_repository.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/model/net_config.h"
#include "core/model/safetensors.h"
#include "core/repository/file_util.h"
#include "core/repository/rfc3339.h"
#include "core/repository/sha256.h"
#include "gtest/gtest.h"
#include "tests/util/random_state_dict.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

Manifest MakeManifest(const NetConfig& config) {
  Manifest m;
  m.config = config;
  m.step = 100;
  m.metrics = {{"val_miou", 0.5}};
  return m;
}

void SetFloat(RawTensor* t, size_t index, float v) {
  std::memcpy(&t->data[index * 4], &v, 4);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Rewrites the manifest's weights checksum to match the file as it now is,
// as a buggy trainer that hashed garbage would.
void Rehash(const std::string& dir) {
  std::string path = dir + "/manifest.json";
  absl::StatusOr<Manifest> m = ParseManifest(ReadAll(path), path);
  ASSERT_TRUE(m.ok()) << m.status();
  m->files[kWeightsFileName] = *Sha256File(dir + "/" + kWeightsFileName);
  WriteAll(path, SerializeManifest(*m));
}

class ModelRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "model_repository_test_XXXXXX";
    ASSERT_NE(::mkdtemp(&root_[0]), nullptr);
    absl::StatusOr<std::unique_ptr<ModelRepository>> repo =
        ModelRepository::Create(root_);
    ASSERT_TRUE(repo.ok()) << repo.status();
    repo_ = *std::move(repo);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Entries of the model folder (hidden ones included).
  std::set<std::string> Entries(const std::string& model) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(root_ + "/" + model)) {
      names.insert(e.path().filename().string());
    }
    return names;
  }

  std::string root_;
  std::unique_ptr<ModelRepository> repo_;
};

TEST(ParseVersionNameTest, AcceptsOnlyCanonicalPositiveIntegers) {
  struct Case {
    const char* name;
    int64_t version;  // 0: not a version.
  };
  const Case cases[] = {
      {"1", 1},  {"42", 42}, {"999999999999999999", 999999999999999999},
      {"0", 0},  {"01", 0},  {"+3", 0},
      {"-1", 0}, {"1a", 0},  {"", 0},
      {".5", 0}, {"1 ", 0},  {"9999999999999999999", 0}};
  for (const Case& c : cases) {
    int64_t v = 0;
    EXPECT_EQ(ParseVersionName(c.name, &v), c.version != 0) << c.name;
    if (c.version != 0) EXPECT_EQ(v, c.version) << c.name;
  }
}

TEST_F(ModelRepositoryTest, ListsOnlyVersionFoldersNewestFirst) {
  std::string dir = root_ + "/fpn";
  for (const char* d :
       {"1", "3", "10", "01", "+2", "-1", ".5", "abc", ".staging-1-x", "0"}) {
    fs::create_directories(dir + "/" + d);
  }
  WriteAll(dir + "/7", "a file, not a folder");
  absl::StatusOr<std::vector<int64_t>> v = repo_->ListVersions("fpn");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, (std::vector<int64_t>{10, 3, 1}));
  // None of them holds a valid version.
  EXPECT_TRUE(repo_->ListValidVersions("fpn")->empty());
}

TEST_F(ModelRepositoryTest, OpenUncheckedReportsNotFoundUntilTheRootExists) {
  auto repo = ModelRepository::OpenUnchecked(root_ + "/later/");
  EXPECT_EQ(repo->root(), root_ + "/later");
  EXPECT_EQ(repo->VersionDir("m", 3), root_ + "/later/m/3");
  EXPECT_EQ(repo->ListVersions("m").status().code(),
            absl::StatusCode::kNotFound);
  fs::create_directories(root_ + "/later/m/3");
  EXPECT_EQ(*repo->ListVersions("m"), (std::vector<int64_t>{3}));
}

TEST_F(ModelRepositoryTest, ReadManifestReadsOnlyTheManifest) {
  NetConfig config = testing::TinyNetConfig();
  ASSERT_TRUE(repo_
                  ->Publish("fpn", testing::RandomStateDict(config, 1),
                            MakeManifest(config))
                  .ok());
  // A corrupt weights file does not matter to ReadManifest.
  WriteAll(repo_->VersionDir("fpn", 1) + "/" + kWeightsFileName, "junk");
  absl::StatusOr<Manifest> m = repo_->ReadManifest("fpn", 1);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->version, 1);
  EXPECT_EQ(m->metrics.at("val_miou"), 0.5);
  EXPECT_EQ(repo_->ReadManifest("fpn", 2).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(repo_->ReadManifest("../x", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  WriteAll(repo_->VersionDir("fpn", 1) + "/manifest.json", "{");
  EXPECT_EQ(repo_->ReadManifest("fpn", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelRepositoryTest, RetireVersionRemovesTheFolderThroughAHiddenName) {
  fs::create_directories(root_ + "/fpn/4/sub");
  fs::create_directories(root_ + "/fpn/5");
  // Left by a retirement of version 4 that was killed half-way.
  fs::create_directories(root_ + "/fpn/.deleting-4/old");
  ASSERT_TRUE(repo_->RetireVersion("fpn", 4).ok());
  EXPECT_EQ(Entries("fpn"), (std::set<std::string>{"5"}));
  EXPECT_EQ(repo_->RetireVersion("fpn", 4).code(), absl::StatusCode::kNotFound);
  WriteAll(root_ + "/fpn/6", "a file");
  EXPECT_EQ(repo_->RetireVersion("fpn", 6).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repo_->RetireVersion("..", 5).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelRepositoryTest, ListErrors) {
  EXPECT_EQ(repo_->ListVersions("absent").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(repo_->ListVersions("../etc").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(repo_->ListVersions(".hidden").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelRepositoryTest, CreateChecksRoot) {
  EXPECT_EQ(ModelRepository::Create(root_ + "/none").status().code(),
            absl::StatusCode::kNotFound);
  auto created = ModelRepository::Create(root_ + "/new/repo/", true);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)->root(), root_ + "/new/repo");
  EXPECT_TRUE(fs::is_directory(root_ + "/new/repo"));
  WriteAll(root_ + "/file", "x");
  EXPECT_EQ(ModelRepository::Create(root_ + "/file").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ModelRepositoryTest, PublishesValidatesAndLoads) {
  NetConfig config = testing::TinyNetConfig();
  RawTensorMap tensors = testing::RandomStateDict(config, 1);
  absl::StatusOr<int64_t> v1 =
      repo_->Publish("fpn", tensors, MakeManifest(config));
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(*v1, 1);
  absl::StatusOr<int64_t> v2 =
      repo_->Publish("fpn", testing::RandomStateDict(config, 2), MakeManifest(config));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(*v2, 2);
  EXPECT_EQ(Entries("fpn"),
            (std::set<std::string>{"1", "2"}));  // No staging left.

  absl::Status valid =
      ModelRepository::ValidateVersionDir(repo_->VersionDir("fpn", 1));
  EXPECT_TRUE(valid.ok()) << valid;
  absl::StatusOr<LoadedVersion> loaded =
      ModelRepository::LoadVersionDir(repo_->VersionDir("fpn", 1));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->manifest.model_name, "fpn");
  EXPECT_EQ(loaded->manifest.version, 1);
  EXPECT_EQ(loaded->manifest.config, config);
  EXPECT_EQ(loaded->manifest.step, 100);
  EXPECT_TRUE(IsRfc3339Utc(loaded->manifest.created_at));
  ASSERT_EQ(loaded->tensors.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    EXPECT_EQ(loaded->tensors.at(name).data, t.data) << name;
    EXPECT_EQ(loaded->tensors.at(name).shape, t.shape) << name;
  }
  EXPECT_EQ(*repo_->ListValidVersions("fpn"), (std::vector<int64_t>{2, 1}));
}

TEST_F(ModelRepositoryTest, PublishSkipsPastInvalidVersionFolders) {
  fs::create_directories(root_ + "/fpn/5");
  absl::StatusOr<int64_t> v = repo_->Publish(
      "fpn", testing::RandomStateDict(testing::TinyNetConfig(), 1),
      MakeManifest(testing::TinyNetConfig()));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 6);
}

TEST_F(ModelRepositoryTest, ConcurrentPublishersGetDistinctVersions) {
  NetConfig config = testing::TinyNetConfig();
  RawTensorMap tensors = testing::RandomStateDict(config, 3);
  std::vector<int64_t> got(4, 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<int64_t> v =
          repo_->Publish("fpn", tensors, MakeManifest(config));
      got[i] = v.ok() ? *v : -1;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<int64_t>(got.begin(), got.end()),
            (std::set<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(*repo_->ListValidVersions("fpn"),
            (std::vector<int64_t>{4, 3, 2, 1}));
}

struct Corruption {
  const char* what;
  std::function<void(const std::string& dir)> apply;
  absl::StatusCode code;
  const char* expected;  // Substring of the message.
};

// Keeps the first `keep` bytes of the weights, or drops the last -`keep`.
std::function<void(const std::string&)> Truncate(int64_t keep, bool rehash) {
  return [keep, rehash](const std::string& dir) {
    std::string path = dir + "/" + kWeightsFileName;
    std::string bytes = ReadAll(path);
    size_t n = keep >= 0 ? static_cast<size_t>(keep)
                         : bytes.size() - static_cast<size_t>(-keep);
    ASSERT_LT(n, bytes.size());
    WriteAll(path, bytes.substr(0, n));
    if (rehash) Rehash(dir);
  };
}

std::function<void(const std::string&)> ReplaceInWeights(std::string from,
                                                         std::string to) {
  return [from, to](const std::string& dir) {
    std::string path = dir + "/" + kWeightsFileName;
    std::string bytes = ReadAll(path);
    size_t at = bytes.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    bytes.replace(at, from.size(), to);
    WriteAll(path, bytes);
    Rehash(dir);
  };
}

std::function<void(const std::string&)> ReplaceInManifest(std::string from,
                                                          std::string to) {
  return [from, to](const std::string& dir) {
    std::string path = dir + "/manifest.json";
    std::string text = ReadAll(path);
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    WriteAll(path, text);
  };
}

TEST_F(ModelRepositoryTest, EachCorruptionIsReportedWithItsCause) {
  NetConfig config = testing::TinyNetConfig();
  const Corruption cases[] = {
      {"truncated, checksum stale", Truncate(1000, false),
       absl::StatusCode::kDataLoss, "SHA-256 mismatch"},
      {"truncated in length prefix", Truncate(5, true),
       absl::StatusCode::kDataLoss, "shorter than the 8-byte header length"},
      {"truncated in header", Truncate(300, true), absl::StatusCode::kDataLoss,
       "truncated file?"},
      {"truncated in data", Truncate(20000, true), absl::StatusCode::kDataLoss,
       "out of range"},
      {"last byte missing", Truncate(-1, true), absl::StatusCode::kDataLoss,
       "out of range"},
      {"offsets do not match",
       ReplaceInWeights("\"data_offsets\":[0,", "\"data_offsets\":[4,"),
       absl::StatusCode::kDataLoss, "needs"},
      {"dtype I32 instead of F32",
       ReplaceInWeights("\"dtype\":\"F32\"", "\"dtype\":\"I32\""),
       absl::StatusCode::kInvalidArgument,
       "has dtype I32, expected a float type"},
      {"dtype F16 instead of F32",
       ReplaceInWeights("\"dtype\":\"F32\"", "\"dtype\":\"F16\""),
       absl::StatusCode::kDataLoss, "but F16"},
      {"NaN weight",
       [config](const std::string& dir) {
         RawTensorMap t = testing::RandomStateDict(config, 5);
         SetFloat(&t["body.1.conv1.conv2d.weight"], 7, std::nanf(""));
         ASSERT_TRUE(
             WriteSafetensorsFile(dir + "/" + kWeightsFileName, t, {}).ok());
         Rehash(dir);
       },
       absl::StatusCode::kInvalidArgument,
       "tensor \"body.1.conv1.conv2d.weight\" element 7 is NaN"},
      {"infinite weight",
       [config](const std::string& dir) {
         RawTensorMap t = testing::RandomStateDict(config, 5);
         SetFloat(&t["out_mask_conv.conv2d.bias"], 0, INFINITY);
         ASSERT_TRUE(
             WriteSafetensorsFile(dir + "/" + kWeightsFileName, t, {}).ok());
         Rehash(dir);
       },
       absl::StatusCode::kInvalidArgument, "element 0 is infinite"},
      {"flipped data byte",
       [](const std::string& dir) {
         std::string path = dir + "/" + kWeightsFileName;
         std::string bytes = ReadAll(path);
         bytes[bytes.size() - 3] ^= 1;
         WriteAll(path, bytes);
       },
       absl::StatusCode::kDataLoss, "SHA-256 mismatch: manifest lists"},
      {"weights missing",
       [](const std::string& dir) { fs::remove(dir + "/" + kWeightsFileName); },
       absl::StatusCode::kNotFound, "weights.safetensors"},
      {"manifest missing",
       [](const std::string& dir) { fs::remove(dir + "/manifest.json"); },
       absl::StatusCode::kNotFound, "manifest.json"},
      {"manifest garbage",
       [](const std::string& dir) { WriteAll(dir + "/manifest.json", "{"); },
       absl::StatusCode::kInvalidArgument, "invalid JSON"},
      {"config not matching tensors",
       ReplaceInManifest("\"res_depth\": 2", "\"res_depth\": 3"),
       absl::StatusCode::kInvalidArgument, "missing tensor \"body.2."},
      {"config channels differ",
       ReplaceInManifest("\"base_ch\": 8", "\"base_ch\": 16"),
       absl::StatusCode::kInvalidArgument, "expected"},
      {"version differs from folder",
       ReplaceInManifest("\"version\": 1", "\"version\": 2"),
       absl::StatusCode::kInvalidArgument, "version 2 does not match folder 1"},
      {"weights not listed",
       ReplaceInManifest("\"weights.safetensors\"", "\"other.bin\""),
       absl::StatusCode::kInvalidArgument, "does not list weights.safetensors"},
      {"extra listed file missing",
       [](const std::string& dir) {
         std::string path = dir + "/manifest.json";
         Manifest m = *ParseManifest(ReadAll(path), path);
         m.files["notes.txt"] = std::string(64, '0');
         WriteAll(path, SerializeManifest(m));
       },
       absl::StatusCode::kNotFound, "notes.txt"},
  };
  int index = 0;
  for (const Corruption& c : cases) {
    std::string model = "m" + std::to_string(index++);
    absl::StatusOr<int64_t> v =
        repo_->Publish(model, testing::RandomStateDict(config, 9), MakeManifest(config));
    ASSERT_TRUE(v.ok()) << v.status();
    std::string dir = repo_->VersionDir(model, *v);
    ASSERT_TRUE(ModelRepository::ValidateVersionDir(dir).ok()) << c.what;
    c.apply(dir);
    absl::Status s = ModelRepository::ValidateVersionDir(dir);
    EXPECT_EQ(s.code(), c.code) << c.what << ": " << s;
    EXPECT_NE(s.message().find(c.expected), std::string::npos)
        << c.what << ": " << s;
    EXPECT_NE(s.message().find(dir), std::string::npos) << c.what << ": " << s;
    EXPECT_FALSE(ModelRepository::LoadVersionDir(dir).ok()) << c.what;
    EXPECT_TRUE(repo_->ListValidVersions(model)->empty()) << c.what;
  }
}

TEST_F(ModelRepositoryTest, ValidateMissingFolderIsNotFound) {
  absl::Status s = ModelRepository::ValidateVersionDir(root_ + "/fpn/1");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelRepositoryTest, PublishRejectsBadInputAndWritesNothing) {
  NetConfig config = testing::TinyNetConfig();
  RawTensorMap nan = testing::RandomStateDict(config, 1);
  SetFloat(&nan["encoder.0.conv2d.weight"], 3, std::nanf(""));
  RawTensorMap missing = testing::RandomStateDict(config, 1);
  missing.erase("out_img_conv.conv2d.bias");
  Manifest other_name = MakeManifest(config);
  other_name.model_name = "other";
  Manifest bad_time = MakeManifest(config);
  bad_time.created_at = "yesterday";
  struct Case {
    const char* what;
    std::string model;
    const RawTensorMap* tensors;
    Manifest manifest;
    const char* expected;
  };
  RawTensorMap good = testing::RandomStateDict(config, 1);
  const Case cases[] = {
      {"NaN", "fpn", &nan, MakeManifest(config), "is NaN"},
      {"missing tensor", "fpn", &missing, MakeManifest(config),
       "out_img_conv.conv2d.bias"},
      {"model name mismatch", "fpn", &good, other_name,
       "differs from the model"},
      {"bad created_at", "fpn", &good, bad_time, "created_at"},
      {"bad model name", "../up", &good, MakeManifest(config), "model name"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> v = repo_->Publish(c.model, *c.tensors, c.manifest);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(v.status().message().find(c.expected), std::string::npos)
        << c.what << ": " << v.status();
  }
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(ModelRepositoryTest, PublishIntoUnwritableModelPathFailsCleanly) {
  WriteAll(root_ + "/fpn", "a file where the model folder should be");
  absl::StatusOr<int64_t> v = repo_->Publish(
      "fpn", testing::RandomStateDict(testing::TinyNetConfig(), 1),
      MakeManifest(testing::TinyNetConfig()));
  EXPECT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find(root_ + "/fpn"), std::string::npos)
      << v.status();
  EXPECT_EQ(ReadAll(root_ + "/fpn"), "a file where the model folder should be");
}

// A file-size limit makes the weights write fail half-way with EFBIG, as a
// full disk would; works even when the tests run as root.
TEST_F(ModelRepositoryTest, PublishFailingMidWriteLeavesNoVersion) {
  NetConfig config = testing::TinyNetConfig();
  ASSERT_TRUE(
      repo_->Publish("fpn", testing::RandomStateDict(config, 1), MakeManifest(config)).ok());
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct sigaction ignore = {}, old_action;
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &old_action), 0);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  absl::StatusOr<int64_t> v =
      repo_->Publish("fpn", testing::RandomStateDict(config, 2), MakeManifest(config));
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::sigaction(SIGXFSZ, &old_action, nullptr);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kResourceExhausted)
      << v.status();
  EXPECT_NE(v.status().message().find("weights.safetensors"), std::string::npos)
      << v.status();
  EXPECT_EQ(Entries("fpn"), (std::set<std::string>{"1"}));
  EXPECT_TRUE(
      ModelRepository::ValidateVersionDir(repo_->VersionDir("fpn", 1)).ok());
}

TEST_F(ModelRepositoryTest, CleanStagingRemovesOnlyDeadWriters) {
  NetConfig config = testing::TinyNetConfig();
  ASSERT_TRUE(
      repo_->Publish("fpn", testing::RandomStateDict(config, 1), MakeManifest(config)).ok());
  std::string dir = root_ + "/fpn";
  // 999999999 exceeds Linux's largest pid, so that writer is surely gone.
  fs::create_directories(dir + "/.staging-999999999-deadbeef");
  WriteAll(dir + "/.staging-999999999-deadbeef/weights.safetensors", "partial");
  fs::create_directories(dir + "/.staging-garbage");
  std::string live = ".staging-" + std::to_string(::getpid()) + "-cafe";
  fs::create_directories(dir + "/" + live);
  absl::StatusOr<int> removed = repo_->CleanStaging("fpn");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(Entries("fpn"), (std::set<std::string>{"1", live}));
  EXPECT_EQ(repo_->CleanStaging("absent").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace facet
