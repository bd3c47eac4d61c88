// FakeFaceEngine: a FaceEngine (core/model/face_engine.h) without a network,
// for server unit tests: it answers every image with label 1 everywhere and
// a mid-grey restored image at the configured size, and counts its calls.
// MakeFakeModel wraps one in a ServableModel as ModelLoader would.
//
// Thread safety: Parse may be called concurrently.
#ifndef FACET_TESTS_UTIL_FAKE_FACE_ENGINE_H_
#define FACET_TESTS_UTIL_FAKE_FACE_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model/face_engine.h"
#include "server/manager/model_handle.h"

namespace facet {
namespace testing {

class FakeFaceEngine final : public FaceEngine {
 public:
  explicit FakeFaceEngine(int64_t side = 16) {
    config_.in_size = side;
    config_.out_size = side;
  }

  ModelResult<std::vector<ParseResult>> Parse(
      const std::vector<RgbImageView>& batch,
      const ParseOptions& options) const override {
    ++calls_;
    std::vector<ParseResult> results(batch.size());
    const size_t pixels =
        static_cast<size_t>(config_.out_size * config_.out_size);
    for (ParseResult& r : results) {
      r.height = r.width = config_.out_size;
      r.labels.assign(pixels, 1);
      if (options.want_restored) r.restored.assign(pixels * 3, 128);
    }
    return results;
  }
  const NetConfig& config() const override { return config_; }
  std::string engine() const override { return "fake"; }
  std::string device() const override { return "cpu"; }
  std::string precision() const override { return "fp32"; }
  std::string Describe() const override { return "fake engine"; }

  // Parse calls so far.
  int calls() const { return calls_.load(); }

 private:
  NetConfig config_;
  mutable std::atomic<int> calls_{0};
};

// A loaded version `version` of model `name` served by a FakeFaceEngine of
// side `side`; *engine (if given) borrows the engine, alive as long as the
// handle.
inline ModelHandle MakeFakeModel(const std::string& name, int64_t version,
                                 int64_t side = 16,
                                 const FakeFaceEngine** engine = nullptr) {
  auto fake = std::make_unique<FakeFaceEngine>(side);
  if (engine != nullptr) *engine = fake.get();
  auto model = std::make_shared<ServableModel>();
  model->name = name;
  model->version = version;
  model->source = "fake:" + name + "/" + std::to_string(version);
  model->config = fake->config();
  model->engine = std::move(fake);
  model->effective_max_batch_size = 8;
  return model;
}

}  // namespace testing
}  // namespace facet

#endif  // FACET_TESTS_UTIL_FAKE_FACE_ENGINE_H_
