#include "core/repository/manifest.h"

#include <cmath>
#include <initializer_list>
#include <limits>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/repository/rfc3339.h"
#include "nlohmann/json.hpp"

namespace facet {
namespace {

using Json = nlohmann::json;

bool IsLowerHexSha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// Reads typed fields out of one JSON object, naming them by their dotted
// path ("config.in_size") in errors.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, const std::string& source)
      : object_(object), path_(std::move(path)), source_(source) {}

  absl::Status Error(const std::string& key, const std::string& what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": field \"", Name(key), "\": ", what));
  }

  absl::StatusOr<const Json*> Find(const std::string& key) const {
    auto it = object_.find(key);
    if (it == object_.end()) return Error(key, "missing");
    return &*it;
  }

  absl::Status Int64(const std::string& key, int64_t* out) const {
    absl::StatusOr<const Json*> v = Find(key);
    if (!v.ok()) return v.status();
    if (!(*v)->is_number_integer()) {
      return Error(
          key, absl::StrCat("expected an integer, got ", (*v)->type_name()));
    }
    if ((*v)->is_number_unsigned() &&
        (*v)->get<uint64_t>() >
            static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Error(key, "integer out of range");
    }
    *out = (*v)->get<int64_t>();
    return absl::OkStatus();
  }

  absl::Status String(const std::string& key, std::string* out) const {
    absl::StatusOr<const Json*> v = Find(key);
    if (!v.ok()) return v.status();
    if (!(*v)->is_string()) {
      return Error(key,
                   absl::StrCat("expected a string, got ", (*v)->type_name()));
    }
    *out = (*v)->get<std::string>();
    return absl::OkStatus();
  }

  absl::Status StringMap(const std::string& key,
                         std::map<std::string, std::string>* out) const {
    absl::StatusOr<const Json*> v = Find(key);
    if (!v.ok()) return v.status();
    if (!(*v)->is_object()) {
      return Error(key,
                   absl::StrCat("expected an object, got ", (*v)->type_name()));
    }
    for (auto it = (*v)->begin(); it != (*v)->end(); ++it) {
      if (!it->is_string()) {
        return Error(absl::StrCat(key, ".", it.key()),
                     absl::StrCat("expected a string, got ", it->type_name()));
      }
      (*out)[it.key()] = it->get<std::string>();
    }
    return absl::OkStatus();
  }

  // Fails on the first key of the object not in `known`.
  absl::Status OnlyKnown(std::initializer_list<const char*> known) const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      bool found = false;
      for (const char* k : known) found = found || it.key() == k;
      if (!found) return Error(it.key(), "unknown field");
    }
    return absl::OkStatus();
  }

  std::string Name(const std::string& key) const {
    return path_.empty() ? key : absl::StrCat(path_, ".", key);
  }

 private:
  const Json& object_;
  std::string path_;
  const std::string& source_;
};

absl::Status ParseConfig(const ObjectReader& top, NetConfig* config,
                         const std::string& source) {
  absl::StatusOr<const Json*> c = top.Find("config");
  if (!c.ok()) return c.status();
  if (!(*c)->is_object()) {
    return top.Error(
        "config", absl::StrCat("expected an object, got ", (*c)->type_name()));
  }
  ObjectReader r(**c, "config", source);
  if (absl::Status s =
          r.OnlyKnown({"in_size", "out_size", "min_feat_size", "base_ch",
                       "parsing_ch", "res_depth", "ch_range"});
      !s.ok()) {
    return s;
  }
  struct Field {
    const char* key;
    int64_t* out;
  };
  for (Field f : {Field{"in_size", &config->in_size},
                  Field{"out_size", &config->out_size},
                  Field{"min_feat_size", &config->min_feat_size},
                  Field{"base_ch", &config->base_ch},
                  Field{"parsing_ch", &config->parsing_ch},
                  Field{"res_depth", &config->res_depth}}) {
    if (absl::Status s = r.Int64(f.key, f.out); !s.ok()) return s;
  }
  absl::StatusOr<const Json*> range = r.Find("ch_range");
  if (!range.ok()) return range.status();
  if (!(*range)->is_array() || (*range)->size() != 2 ||
      !(**range)[0].is_number_integer() || !(**range)[1].is_number_integer()) {
    return r.Error("ch_range", "expected [low, high], two integers");
  }
  config->ch_lo = (**range)[0].get<int64_t>();
  config->ch_hi = (**range)[1].get<int64_t>();
  return absl::OkStatus();
}

}  // namespace

bool IsValidModelName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateManifest(const Manifest& m) {
  auto bad = [](const std::string& field, const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest field \"", field, "\": ", what));
  };
  if (m.format_version != kManifestFormatVersion) {
    return bad("format_version",
               absl::StrCat("unsupported value ", m.format_version,
                            " (expected ", kManifestFormatVersion, ")"));
  }
  if (!IsValidModelName(m.model_name)) {
    return bad("model_name",
               absl::StrCat("\"", m.model_name,
                            "\" is not 1-128 characters of [A-Za-z0-9_.-] "
                            "without a leading '.'"));
  }
  if (m.version < 1)
    return bad("version", absl::StrCat(m.version, " is not >= 1"));
  if (ModelStatus s = m.config.Validate(); !s.ok())
    return bad("config", s.message());
  if (m.step < 0) return bad("step", absl::StrCat(m.step, " is negative"));
  for (const auto& [name, value] : m.metrics) {
    if (!std::isfinite(value)) {
      return bad(absl::StrCat("metrics.", name),
                 absl::StrCat(value, " is not finite"));
    }
  }
  if (!IsRfc3339Utc(m.created_at)) {
    return bad("created_at", absl::StrCat("\"", m.created_at,
                                          "\" is not RFC 3339 UTC "
                                          "(YYYY-MM-DDTHH:MM:SS[.fraction]Z)"));
  }
  for (const auto& [name, digest] : m.files) {
    if (!IsPlainFileName(name) || name == kManifestFileName) {
      return bad("files", absl::StrCat("\"", name,
                                       "\" is not a plain file name other than "
                                       "manifest.json"));
    }
    if (!IsLowerHexSha256(digest)) {
      return bad(
          absl::StrCat("files.", name),
          absl::StrCat("\"", digest, "\" is not 64 lowercase hex digits"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Manifest> ParseManifest(std::string_view json_text,
                                       const std::string& source) {
  // nlohmann keeps the last of repeated keys silently; the callback sees
  // every key, so repeats are caught here with their object's key set.
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !keys.empty()) {
      keys.pop_back();
    } else if (event == Json::parse_event_t::key && !keys.empty()) {
      std::string key = parsed.get<std::string>();
      if (!keys.back().insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end(), callback);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": invalid JSON: ", e.what()));
  }
  if (!duplicate.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": duplicate key \"", duplicate, "\""));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": expected a JSON object, got ", root.type_name()));
  }

  Manifest m;
  ObjectReader r(root, "", source);
  // format_version first: a newer format may differ in every other field.
  int64_t format_version;
  if (absl::Status s = r.Int64("format_version", &format_version); !s.ok())
    return s;
  if (format_version != kManifestFormatVersion) {
    return r.Error(
        "format_version",
        absl::StrCat("unsupported value ", format_version,
                     " (this build reads ", kManifestFormatVersion, ")"));
  }
  m.format_version = static_cast<int>(format_version);
  if (absl::Status s =
          r.OnlyKnown({"format_version", "model_name", "version", "config",
                       "step", "metrics", "created_at", "files", "extra"});
      !s.ok()) {
    return s;
  }
  absl::Status s = r.String("model_name", &m.model_name);
  if (s.ok()) s = r.Int64("version", &m.version);
  if (s.ok()) s = ParseConfig(r, &m.config, source);
  if (s.ok()) s = r.Int64("step", &m.step);
  if (s.ok()) {
    absl::StatusOr<const Json*> metrics = r.Find("metrics");
    if (!metrics.ok()) {
      s = metrics.status();
    } else if (!(*metrics)->is_object()) {
      s = r.Error("metrics", absl::StrCat("expected an object, got ",
                                          (*metrics)->type_name()));
    } else {
      for (auto it = (*metrics)->begin(); it != (*metrics)->end() && s.ok();
           ++it) {
        if (!it->is_number()) {
          s = r.Error(absl::StrCat("metrics.", it.key()),
                      absl::StrCat("expected a number, got ", it->type_name()));
        } else {
          m.metrics[it.key()] = it->get<double>();
        }
      }
    }
  }
  if (s.ok()) s = r.String("created_at", &m.created_at);
  if (s.ok()) s = r.StringMap("files", &m.files);
  if (s.ok() && root.contains("extra")) s = r.StringMap("extra", &m.extra);
  if (s.ok()) s = ValidateManifest(m);
  if (!s.ok()) {
    if (absl::StartsWith(s.message(), source)) return s;
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", s.message()));
  }
  return m;
}

std::string SerializeManifest(const Manifest& m) {
  nlohmann::ordered_json j;
  j["format_version"] = m.format_version;
  j["model_name"] = m.model_name;
  j["version"] = m.version;
  nlohmann::ordered_json c;
  c["in_size"] = m.config.in_size;
  c["out_size"] = m.config.out_size;
  c["min_feat_size"] = m.config.min_feat_size;
  c["base_ch"] = m.config.base_ch;
  c["parsing_ch"] = m.config.parsing_ch;
  c["res_depth"] = m.config.res_depth;
  c["ch_range"] = {m.config.ch_lo, m.config.ch_hi};
  j["config"] = c;
  j["step"] = m.step;
  j["metrics"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : m.metrics) j["metrics"][k] = v;
  j["created_at"] = m.created_at;
  j["files"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : m.files) j["files"][k] = v;
  if (!m.extra.empty()) {
    for (const auto& [k, v] : m.extra) j["extra"][k] = v;
  }
  // The replacement handler keeps dump() from throwing on invalid UTF-8.
  return j.dump(2, ' ', false,
                nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

}  // namespace facet
