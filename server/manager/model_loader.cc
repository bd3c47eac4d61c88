#include "server/manager/model_loader.h"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/engine/face_engine_factory.h"
#include "core/repository/weights_loader.h"
#include "core/status/model_status_conversion.h"
#include "server/manager/batch_size_search.h"

namespace facet {
namespace {

// A deterministic input with smooth gradients and a bright disc: exercises
// every channel without depending on a fixture file.
std::vector<uint8_t> GoldenInput(int64_t size) {
  std::vector<uint8_t> rgb(static_cast<size_t>(size * size * 3));
  const double c = (size - 1) / 2.0;
  for (int64_t y = 0; y < size; ++y) {
    for (int64_t x = 0; x < size; ++x) {
      const bool disc = (x - c) * (x - c) + (y - c) * (y - c) < c * c / 2;
      uint8_t* p = &rgb[static_cast<size_t>((y * size + x) * 3)];
      p[0] = static_cast<uint8_t>(disc ? 220 : (x * 255) / size);
      p[1] = static_cast<uint8_t>(disc ? 180 : (y * 255) / size);
      p[2] = static_cast<uint8_t>(((x + y) * 127) / size);
    }
  }
  return rgb;
}

// Runs the golden input (batch size 1) and checks the outputs; returns the
// forward's seconds.
absl::StatusOr<double> CheckGoldenOutputs(const FaceEngine& parser,
                                          const std::string& path) {
  const NetConfig& config = parser.config();
  const std::vector<uint8_t> input = GoldenInput(config.in_size);
  ParseOptions options;
  options.want_raw = true;
  const absl::Time start = absl::Now();
  auto result = ToAbslStatusOr(parser.Parse(
      {RgbImageView{input.data(), config.in_size, config.in_size}}, options));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!result.ok()) return result.status();
  const ParseResult& out = (*result)[0];
  for (size_t i = 0; i < out.logits.size(); ++i) {
    if (!std::isfinite(out.logits[i])) {
      return absl::DataLossError(absl::StrCat(
          path,
          ": the built-in golden input gives a non-finite parsing logit "
          "(",
          out.logits[i], " at element ", i, "); refusing this version"));
    }
  }
  for (size_t i = 0; i < out.image.size(); ++i) {
    if (!std::isfinite(out.image[i])) {
      return absl::DataLossError(absl::StrCat(
          path,
          ": the built-in golden input gives a non-finite restored "
          "image value (",
          out.image[i], " at element ", i, "); refusing this version"));
    }
  }
  for (uint8_t label : out.labels) {
    if (label >= config.parsing_ch) {
      return absl::DataLossError(
          absl::StrCat(path, ": label ", label, " out of range [0, ",
                       config.parsing_ch, ") on the golden input"));
    }
  }
  return seconds;
}

// Seconds one forward of `batch` copies of `input` takes.
absl::StatusOr<double> TimeForward(const FaceEngine& engine,
                                   const std::vector<uint8_t>& input,
                                   int64_t size, int batch) {
  const std::vector<RgbImageView> views(
      static_cast<size_t>(batch), RgbImageView{input.data(), size, size});
  const absl::Time start = absl::Now();
  auto result = ToAbslStatusOr(engine.Parse(views));
  if (!result.ok()) return result.status();
  return absl::ToDoubleSeconds(absl::Now() - start);
}

// Images per second at `batch`: the fastest of runs repeated until
// `min_time` was spent (at least one, at most 10).
absl::StatusOr<double> MeasureThroughput(const FaceEngine& engine,
                                         const std::vector<uint8_t>& input,
                                         int64_t size, int batch,
                                         absl::Duration min_time) {
  constexpr int kMaxRuns = 10;
  double fastest = std::numeric_limits<double>::infinity();
  double spent = 0;
  for (int run = 0;
       run < kMaxRuns && (run == 0 || spent < absl::ToDoubleSeconds(min_time));
       ++run) {
    absl::StatusOr<double> seconds = TimeForward(engine, input, size, batch);
    if (!seconds.ok()) return seconds.status();
    spent += *seconds;
    fastest = std::min(fastest, *seconds);
  }
  return batch / std::max(fastest, 1e-9);
}

struct BatchChoice {
  int effective = 1;
  std::vector<std::pair<int, double>> throughput;  // As measured.
  std::string end_reason;
};

// Step 4 of the file comment: runs a BatchSizeSearch on `engine` within the
// time budget; adds the sizes it ran to `*ran`. `golden_seconds` is the
// golden forward's time (batch size 1).
BatchChoice ChooseBatchSize(const FaceEngine& engine,
                            const std::vector<uint8_t>& input, int64_t size,
                            double golden_seconds,
                            const ModelLoaderOptions& options,
                            std::set<int>* ran) {
  BatchSizeSearch search(options.max_batch_size, options.batch_size_min_gain);
  const double floor = absl::ToDoubleSeconds(options.measure_budget_floor);
  const double min_time = absl::ToDoubleSeconds(options.min_measure_time);
  double budget = floor;
  double spent = 0;
  while (!search.done()) {
    const int batch = search.next();
    const bool first = search.measured().empty();
    if (!first) {
      // Forecast from the best throughput so far.
      const double forecast = std::max(
          min_time, batch / std::max(search.best_throughput(), 1e-9));
      if (spent + forecast > budget) {
        search.Stop();
        break;
      }
    }
    absl::StatusOr<double> rate;
    if (first && golden_seconds >= min_time) {
      // The golden forward ran batch size 1 and was long enough to time
      // alone: it is the first sample. Being the first forward it may be
      // slow, which can only make batch 2 look better, and a gain is
      // confirmed by timing batch 1 again (BatchSizeSearch).
      rate = 1.0 / golden_seconds;
      spent += golden_seconds;
    } else {
      const absl::Time start = absl::Now();
      // A size that fails (say, out of device memory) ends the search like
      // one that does not pay; the golden check proved batch size 1 works.
      rate = MeasureThroughput(engine, input, size, batch,
                               options.min_measure_time);
      spent += absl::ToDoubleSeconds(absl::Now() - start);
    }
    if (first && rate.ok()) {
      budget = std::max(floor, options.measure_budget_forwards / *rate);
    }
    search.Record(rate.ok() ? *rate : 0);
    ran->insert(batch);
  }
  BatchChoice choice;
  choice.effective = search.best();
  choice.throughput = search.measured();
  choice.end_reason = search.end_reason();
  return choice;
}

absl::StatusOr<ModelHandle> LoadModelOnce(const std::string& path,
                                          const std::string& name,
                                          int64_t version,
                                          const ModelLoaderOptions& options) {
  absl::StatusOr<LoadedWeights> weights = LoadWeights(path, options.input_size);
  if (!weights.ok()) return weights.status();
  EngineOptions engine_options;
  engine_options.config = weights->config;
  engine_options.engine = options.engine;
  engine_options.device = options.device;
  engine_options.precision = options.precision;
  engine_options.int8_scales_path = weights->int8_scales_path;
  engine_options.cuda_graphs = options.cuda_graphs;
  engine_options.channels_last = options.channels_last;
  engine_options.mirror_average = options.mirror_average;
  engine_options.threads = options.intra_op_threads;
  auto parser =
      ToAbslStatusOr(CreateFaceEngine(weights->tensors, engine_options));
  if (!parser.ok()) {
    return absl::Status(parser.status().code(),
                        absl::StrCat(path, ": ", parser.status().message()));
  }
  weights->tensors.clear();  // The network holds its own copy now.
  const absl::Time warm_start = absl::Now();
  absl::StatusOr<double> golden_seconds = CheckGoldenOutputs(**parser, path);
  if (!golden_seconds.ok()) return golden_seconds.status();

  const int64_t size = weights->config.in_size;
  const std::vector<uint8_t> input = GoldenInput(size);
  std::set<int> ran = {1};  // The golden check ran batch size 1.
  BatchChoice choice;
  choice.effective = std::max(1, options.max_batch_size);
  // With a largest batch of 1 there is nothing to choose.
  if (options.adaptive_batching && options.max_batch_size > 1) {
    choice = ChooseBatchSize(**parser, input, size, *golden_seconds, options,
                             &ran);
  }
  for (int batch : options.warmup_batch_sizes) {
    if (batch < 1 || ran.count(batch) > 0) continue;
    absl::StatusOr<double> warm = TimeForward(**parser, input, size, batch);
    if (!warm.ok()) {
      return absl::Status(warm.status().code(),
                          absl::StrCat(path, ": warm-up at batch size ", batch,
                                       " failed: ", warm.status().message()));
    }
    ran.insert(batch);
  }

  auto model = std::make_unique<ServableModel>();
  model->name = name;
  model->version = version;
  model->source = path;
  model->config = weights->config;
  model->manifest = std::move(weights->manifest);
  model->engine = std::move(parser).value();
  model->effective_max_batch_size = choice.effective;
  model->batch_throughput = std::move(choice.throughput);
  model->batch_search_end = std::move(choice.end_reason);
  model->warmup_seconds = absl::ToDoubleSeconds(absl::Now() - warm_start);
  return ModelHandle(std::move(model));
}

}  // namespace

// glibc keeps freed heap memory for reuse, and a version is tens to hundreds
// of MB of tensors, workspaces and kernels freed at once: the next version's
// allocations, differently sized and interleaved with request traffic, do
// not refill those holes exactly, so without a trim resident memory ratchets
// up reload after reload while live memory stays flat (issue 14;
// docs/operations.md has the figures).
void ReturnFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

absl::StatusOr<ModelHandle> LoadModel(const std::string& path,
                                      const std::string& name, int64_t version,
                                      const ModelLoaderOptions& options) {
  absl::StatusOr<ModelHandle> model =
      LoadModelOnce(path, name, version, options);
  // A refused version may have been built and warmed before it failed.
  if (!model.ok()) ReturnFreedMemory();
  return model;
}

}  // namespace facet
