// facet-bench-data: speed of the training data path on this machine.
//
//   synthetic faces   ms per face (one thread)
//   degradation       images/s per core at 512, all steps and each alone
//   loader            images/s of DataLoader batches (8 x 512) for 1..N
//                     workers, synthetic faces degraded online
//
// --smoke runs one iteration of each, for the tests.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "core/engine/usable_cores.h"
#include "core/flags/parse_flags.h"
#include "opencv2/core.hpp"
#include "trainer/data/data_loader.h"
#include "trainer/data/degradation_pipeline.h"
#include "trainer/data/synthetic_face_painter.h"
#include "trainer/data/synthetic_faces.h"

ABSL_FLAG(bool, smoke, false, "Run one iteration of everything and exit.");
ABSL_FLAG(double, seconds, 2.0, "Time spent on each measurement.");
ABSL_FLAG(int32_t, max_workers, 0,
          "Largest loader worker count tried (0 = the usable cores).");

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

// Calls `step(i)` for i = 0, 1, ... until `seconds` have passed (once with
// --smoke); returns calls per second.
double Rate(const std::function<void(int)>& step) {
  const bool smoke = absl::GetFlag(FLAGS_smoke);
  const double budget = absl::GetFlag(FLAGS_seconds);
  const Clock::time_point start = Clock::now();
  int calls = 0;
  double elapsed = 0;
  do {
    step(calls++);
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (!smoke && elapsed < budget);
  return calls / elapsed;
}

void BenchSyntheticFaces() {
  const double rate = Rate([](int i) { PaintSyntheticFace(1, i, 512); });
  std::printf(
      "synthetic_face_512        %8.2f ms/face  (%.0f faces/s, 1 thread)\n",
      1000.0 / rate, rate);
}

void BenchDegradation() {
  std::vector<cv::Mat> faces;
  for (int i = 0; i < 4; ++i)
    faces.push_back(PaintSyntheticFace(1, i, 512).image);
  // The paper's pipeline, then each step alone and always applied.
  const char* const kVariants[] = {"all steps (paper)", "gray only",
                                   "blur only",         "downscale only",
                                   "noise only",        "jpeg only"};
  for (int v = 0; v < 6; ++v) {
    DegradationOptions options;
    if (v > 0) {
      options.enable_gray = v == 1;
      options.enable_blur = v == 2;
      options.enable_downscale = v == 3;
      options.enable_noise = v == 4;
      options.enable_jpeg = v == 5;
      options.gray_probability = options.blur_probability = 1;
      options.noise_probability = options.jpeg_probability = 1;
    }
    const DegradationPipeline pipeline = *DegradationPipeline::Create(options);
    const double rate = Rate([&](int i) {
      absl::StatusOr<DegradedFace> out = pipeline.Degrade(faces[i % 4], 1, i);
      if (!out.ok()) std::abort();
    });
    std::printf("degrade_512 %-18s %8.1f images/s per core  (%.2f ms)\n",
                kVariants[v], rate, 1000.0 / rate);
  }
}

void BenchLoader() {
  SyntheticFaceSet::Options set_options;
  set_options.size = 100000;
  auto faces = *SyntheticFaceSet::Create(set_options);
  int max_workers = absl::GetFlag(FLAGS_max_workers);
  if (max_workers <= 0) {
    max_workers = UsableCores();
  }
  for (int workers = 1; workers <= max_workers; workers *= 2) {
    DataLoader::Options options;
    options.batch_size = 8;
    options.num_workers = workers;
    options.prefetch_batches = 2 * workers;
    auto loader = *DataLoader::Create(faces.get(), options);
    TrainingBatch batch;
    if (!absl::GetFlag(FLAGS_smoke)) {
      if (!loader->Next(&batch).ok()) std::abort();  // Warm-up.
    }
    const double rate = Rate([&](int) {
      if (!loader->Next(&batch).ok()) std::abort();
    });
    std::printf(
        "loader_8x512 workers=%-2d      %8.2f batches/s  (%.1f images/s)\n",
        workers, rate, rate * 8);
    if (absl::GetFlag(FLAGS_smoke)) break;
  }
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  facet::ParseFlags(argc, argv);
  cv::setNumThreads(0);  // One core per measurement, as in the loader.
  std::printf("cores: %d\n", facet::UsableCores());
  facet::BenchSyntheticFaces();
  facet::BenchDegradation();
  facet::BenchLoader();
  return 0;
}
