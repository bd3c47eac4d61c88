#include "core/repository/manifest.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "tests/util/tiny_net_config.h"

namespace facet {
namespace {

Manifest GoodManifest() {
  Manifest m;
  m.model_name = "fpn-small";
  m.version = 3;
  m.config = testing::TinyNetConfig();
  m.step = 1200;
  m.metrics = {{"val_miou", 0.625}, {"val_loss", 1.5}};
  m.created_at = "2026-11-29T16:00:00Z";
  m.files = {{"weights.safetensors", std::string(64, 'a')}};
  m.extra = {{"git", "abc123"}};
  return m;
}

TEST(ManifestTest, RoundTrips) {
  Manifest m = GoodManifest();
  ASSERT_TRUE(ValidateManifest(m).ok());
  std::string json = SerializeManifest(m);
  absl::StatusOr<Manifest> back = ParseManifest(json, "m.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->format_version, m.format_version);
  EXPECT_EQ(back->model_name, m.model_name);
  EXPECT_EQ(back->version, m.version);
  EXPECT_EQ(back->config, m.config);
  EXPECT_EQ(back->step, m.step);
  EXPECT_EQ(back->metrics, m.metrics);
  EXPECT_EQ(back->created_at, m.created_at);
  EXPECT_EQ(back->files, m.files);
  EXPECT_EQ(back->extra, m.extra);
}

TEST(ManifestTest, ExtraIsOptional) {
  Manifest m = GoodManifest();
  m.extra.clear();
  std::string json = SerializeManifest(m);
  EXPECT_EQ(json.find("extra"), std::string::npos);
  absl::StatusOr<Manifest> back = ParseManifest(json, "m.json");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->extra.empty());
}

struct BadCase {
  const char* what;
  std::string from, to;  // Replacement applied to the good JSON.
  const char* expected;  // Substring of the error.
};

TEST(ManifestTest, RejectsEachBadField) {
  const std::string good = SerializeManifest(GoodManifest());
  const std::string sha(64, 'a');
  const BadCase cases[] = {
      {"newer format", "\"format_version\": 1", "\"format_version\": 2",
       "field \"format_version\": unsupported value 2"},
      {"format as string", "\"format_version\": 1", "\"format_version\": \"1\"",
       "field \"format_version\": expected an integer, got string"},
      {"missing step", "\"step\": 1200,", "", "field \"step\": missing"},
      {"missing config", "\"config\"", "\"konfig\"",
       "field \"konfig\": unknown field"},
      {"version as string", "\"version\": 3", "\"version\": \"3\"",
       "field \"version\": expected an integer, got string"},
      {"version zero", "\"version\": 3", "\"version\": 0",
       "\"version\": 0 is not >= 1"},
      {"version float", "\"version\": 3", "\"version\": 3.5",
       "expected an integer, got number"},
      {"config field type", "\"in_size\": 64", "\"in_size\": true",
       "field \"config.in_size\": expected an integer, got boolean"},
      {"config unknown field", "\"res_depth\": 2",
       "\"res_depth\": 2, \"depth\": 3",
       "field \"config.depth\": unknown field"},
      {"config invalid", "\"base_ch\": 8", "\"base_ch\": 4",
       "manifest field \"config\""},
      {"ch_range shape", "16\n    ]", "16, 32\n    ]",
       "config.ch_range\": expected [low, high]"},
      {"unknown top-level field", "\"step\": 1200,",
       "\"step\": 1200, \"stepp\": 1,", "field \"stepp\": unknown field"},
      {"duplicate key", "\"step\": 1200,", "\"step\": 1200, \"step\": 1201,",
       "duplicate key \"step\""},
      {"negative step", "\"step\": 1200", "\"step\": -1",
       "\"step\": -1 is negative"},
      {"metric as string", "\"val_loss\": 1.5", "\"val_loss\": \"low\"",
       "field \"metrics.val_loss\": expected a number, got string"},
      {"created_at not UTC", "16:00:00Z", "16:00:00+01:00", "\"created_at\""},
      {"created_at bad date", "2026-11-29", "2026-02-30", "\"created_at\""},
      {"bad digest", sha, "ABC", "files.weights.safetensors"},
      {"upper-case digest", sha, std::string(64, 'A'),
       "64 lowercase hex digits"},
      {"path in file name", "\"weights.safetensors\"",
       "\"../weights.safetensors\"", "is not a plain file name"},
      {"manifest lists itself", "\"weights.safetensors\"", "\"manifest.json\"",
       "is not a plain file name"},
      {"file digest not string", "\"" + sha + "\"", "7",
       "field \"files.weights.safetensors\": expected a string"},
      {"extra not string", "\"abc123\"", "1",
       "field \"extra.git\": expected a string"},
      {"model name", "\"fpn-small\"", "\"../x\"", "\"model_name\""},
      {"invalid JSON", "\"step\": 1200,", "\"step\": 1200", "invalid JSON"},
  };
  for (const BadCase& c : cases) {
    ASSERT_NE(good.find(c.from), std::string::npos) << c.what;
    std::string json = good;
    json.replace(json.find(c.from), c.from.size(), c.to);
    absl::StatusOr<Manifest> m = ParseManifest(json, "dir/manifest.json");
    ASSERT_FALSE(m.ok()) << c.what;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(m.status().message().find(c.expected), std::string::npos)
        << c.what << ": " << m.status().message();
    EXPECT_EQ(m.status().message().rfind("dir/manifest.json: ", 0), 0u)
        << c.what;
  }
}

TEST(ManifestTest, RejectsNonObjects) {
  for (const char* json : {"[]", "1", "\"x\"", "", "{"}) {
    absl::StatusOr<Manifest> m = ParseManifest(json, "m");
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << json;
  }
}

TEST(ManifestTest, ValidateRejectsNonFiniteMetric) {
  Manifest m = GoodManifest();
  m.metrics["loss"] = std::numeric_limits<double>::quiet_NaN();
  absl::Status s = ValidateManifest(m);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("metrics.loss"), std::string::npos) << s;
}

TEST(ManifestTest, ModelNames) {
  for (const char* ok : {"fpn", "fpn-small_2.1", "A"})
    EXPECT_TRUE(IsValidModelName(ok)) << ok;
  for (const char* bad : {"", ".hidden", "a/b", "..", "sp ace", "ü"}) {
    EXPECT_FALSE(IsValidModelName(bad)) << bad;
  }
  EXPECT_FALSE(IsValidModelName(std::string(129, 'a')));
}

}  // namespace
}  // namespace facet
