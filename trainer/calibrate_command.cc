#include "trainer/calibrate_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/engine/face_engine_factory.h"
#include "core/model/int8_scales.h"
#include "core/repository/weights_loader.h"
#include "core/status/model_status_conversion.h"
#include "trainer/data/data_loader.h"
#include "trainer/data/thread_budget.h"
#include "trainer/trainer_flags.h"
#include "trainer/training/face_data_source.h"
#ifdef FACET_HAVE_ONEDNN
#include "core/onednn/int8_calibrator.h"
#endif

ABSL_FLAG(int32_t, calibration_faces, 64,
          "calibrate: degraded training faces whose activations set the int8 "
          "ranges.");
ABSL_FLAG(
    std::string, int8_method, "percentile:99.999",
    "calibrate: how a range is read from the activations, max or percentile:P "
    "(|x| below which P % of the values lie; clips rare outliers).");

namespace facet {

#ifdef FACET_HAVE_ONEDNN
namespace {

using Clock = std::chrono::steady_clock;

// The batch's LQ faces as RGB bytes (lq = byte / 255 * 2 - 1, so exact).
std::vector<std::vector<uint8_t>> LqFaces(const TrainingBatch& batch) {
  const int64_t s = batch.image_size, plane = s * s;
  std::vector<std::vector<uint8_t>> faces(batch.batch_size,
                                          std::vector<uint8_t>(plane * 3));
  for (int n = 0; n < batch.batch_size; ++n) {
    for (int c = 0; c < 3; ++c) {
      for (int64_t p = 0; p < plane; ++p) {
        const float v = batch.lq[(size_t(n) * 3 + c) * plane + p];
        faces[n][p * 3 + c] = static_cast<uint8_t>(
            std::clamp(std::lround((v + 1.0f) * 127.5f), 0L, 255L));
      }
    }
  }
  return faces;
}

void Progress(bool tty, int done, int total, double elapsed) {
  if (tty) {
    const int width = 30, filled = total > 0 ? width * done / total : width;
    std::fprintf(stderr, "\r[%s%s] %d/%d faces %.1f s ",
                 std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total,
                 elapsed);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  } else if (done == total || done % 16 == 0) {
    std::cerr << absl::StrFormat("calibrated=%d/%d elapsed_s=%.1f\n", done,
                                 total, elapsed);
  }
}

}  // namespace
#endif

int RunCalibrateCommand(const std::vector<std::string>& args) {
  const std::string weights = absl::GetFlag(FLAGS_weights);
  const int faces = absl::GetFlag(FLAGS_calibration_faces);
  if (!args.empty() || weights.empty()) {
    std::cerr << "usage: facet-trainer calibrate --weights FILE|VERSION_DIR "
                 "[--data D] "
                 "[--calibration_faces N] [--int8_method max|percentile:P] "
                 "[--seed S]\n";
    return 2;
  }
  if (faces < 1) {
    std::cerr << "error: --calibration_faces=" << faces
              << ": expected at least 1\n";
    return 2;
  }
#ifndef FACET_HAVE_ONEDNN
  std::cerr << "error: calibrate needs the onednn engine, which is not built "
               "into this "
               "binary (install libdnnl-dev and rebuild)\n";
  return 1;
#else
  absl::StatusOr<LoadedWeights> loaded =
      LoadWeights(weights, absl::GetFlag(FLAGS_input_size));
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return 1;
  }
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  auto data = OpenFaceDataSource(absl::GetFlag(FLAGS_data), seed);
  if (!data.ok()) {
    std::cerr << "error: " << data.status().message() << "\n";
    return 1;
  }
  const int threads =
      NetworkThreads(absl::GetFlag(FLAGS_threads), UsableCores());
  auto calibrator = ToAbslStatusOr(
      Int8Calibrator::Create(loaded->tensors, loaded->config, threads));
  if (!calibrator.ok()) {
    std::cerr << "error: " << loaded->source << ": "
              << calibrator.status().message() << "\n";
    return 1;
  }
  DataLoader::Options options;
  options.batch_size = 1;
  options.num_workers = 0;
  options.seed = seed;
  options.degradation.net_size = static_cast<int>(loaded->config.in_size);
  auto loader = DataLoader::Create(data->train.get(), options);
  if (!loader.ok()) {
    std::cerr << "error: " << loader.status().message() << "\n";
    return 1;
  }
  std::cerr << "calibrating int8 ranges of " << loaded->source << " ("
            << loaded->config.ToString() << ") on " << faces
            << " degraded faces of " << data->train->Describe() << ", "
            << threads << " threads\n";
  const bool tty = isatty(STDERR_FILENO);
  const Clock::time_point start = Clock::now();
  TrainingBatch batch;
  for (int done = 0; done < faces;) {
    absl::Status s = (*loader)->Next(&batch);
    if (!s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 1;
    }
    const std::vector<std::vector<uint8_t>> rgb = LqFaces(batch);
    std::vector<RgbImageView> views;
    for (const auto& f : rgb)
      views.push_back({f.data(), batch.image_size, batch.image_size});
    absl::Status added = ToAbslStatus((*calibrator)->Add(views));
    if (!added.ok()) {
      std::cerr << "error: " << added.message() << "\n";
      return 1;
    }
    done += static_cast<int>(views.size());
    Progress(tty, done, faces,
             std::chrono::duration<double>(Clock::now() - start).count());
  }
  auto scales = ToAbslStatusOr(
      (*calibrator)
          ->Scales(
              absl::GetFlag(FLAGS_int8_method),
              absl::StrCat(data->train->Describe(),
                           ", degraded as in training (seed ", seed, ")")));
  if (!scales.ok()) {
    std::cerr << "error: --int8_method: " << scales.status().message() << "\n";
    return scales.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  absl::Status written =
      ToAbslStatus(WriteInt8ScalesFile(loaded->int8_scales_path, *scales));
  if (!written.ok()) {
    std::cerr << "error: " << written.message() << "\n";
    return 1;
  }
  std::vector<float> ranges;
  for (const auto& [name, range] : scales->input_ranges)
    ranges.push_back(range);
  std::sort(ranges.begin(), ranges.end());
  std::cout << "wrote " << loaded->int8_scales_path << ": " << ranges.size()
            << " convolution input ranges (" << scales->method << ", min "
            << ranges.front() << ", median " << ranges[ranges.size() / 2]
            << ", max " << ranges.back() << ") for weights checksum "
            << scales->weights_checksum << "\n";
  return 0;
#endif
}

}  // namespace facet
