#include "trainer/predict_command.h"

#include <filesystem>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "core/image/image_decoder.h"
#include "core/image/image_encoder.h"
#include "core/image/image_resize.h"
#include "core/image/label_rendering.h"
#include "core/engine/face_engine_factory.h"
#include "core/engine/openmp_wait.h"
#include "core/repository/weights_loader.h"
#include "core/status/model_status_conversion.h"
#include "trainer/data/thread_budget.h"
#include "trainer/trainer_flags.h"

ABSL_FLAG(std::string, resize, "bilinear",
          "predict, evaluate --data landmarks: filter that resizes inputs "
          "to the network size "
          "(bilinear, bicubic, area, nearest).");
ABSL_FLAG(std::string, engine, "auto",
          "predict: forward engine, auto (oneDNN on CPU when built in, "
          "LibTorch on CUDA), onednn or torch.");
ABSL_FLAG(
    std::string, precision, "fp32",
    "predict: forward precision, fp32, bf16 (oneDNN where the CPU has "
    "AVX-512 BF16, or the torch engine), int8 (oneDNN with AVX2, fast with "
    "VNNI; needs `facet-trainer calibrate` first) or fp16 (torch engine on "
    "CUDA).");
ABSL_FLAG(bool, mirror_average, false,
          "predict, evaluate --data landmarks: parse every face and its "
          "mirror image and average the two (better parses of real faces, "
          "twice the forward time).");
ABSL_FLAG(bool, fold_batch_norm, true,
          "predict: fold BatchNorm into the convolutions (faster; differs "
          "from the plain path by ~1e-6 relative).");

namespace facet {
namespace {

namespace fs = std::filesystem;

struct Outputs {
  cv::Mat labels;    // Output size, CV_8UC1 ids.
  cv::Mat restored;  // Output size, RGB.
};

absl::Status WriteOutputs(const std::string& out_dir, const std::string& stem,
                          const cv::Mat& input, const Outputs& outputs) {
  const std::string base = (fs::path(out_dir) / stem).string();
  // The overlay is drawn at the input's own size, as users look at it.
  cv::Mat labels_full = ResizeLabels(outputs.labels, input.cols, input.rows);
  for (const auto& [suffix, image] :
       std::initializer_list<std::pair<const char*, cv::Mat>>{
           {".labels.png", outputs.labels},
           {".color.png", ColorizeLabels(outputs.labels)},
           {".overlay.png", OverlayLabels(input, labels_full)},
           {".restored.png", outputs.restored}}) {
    absl::Status s = WriteImageFile(base + suffix, image);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status PredictOne(const FaceEngine& parser, ResizeFilter filter,
                        const std::string& path, const std::string& out_dir) {
  absl::StatusOr<cv::Mat> input = ReadImageFile(path, DecodeLimits());
  if (!input.ok()) return input.status();
  const int size = static_cast<int>(parser.config().in_size);
  cv::Mat resized = ResizeForNet(*input, size, filter);
  RgbImageView view{resized.data, resized.rows, resized.cols};
  auto results = ToAbslStatusOr(parser.Parse({view}));
  if (!results.ok()) return results.status();
  ParseResult& r = results->front();
  Outputs outputs;
  outputs.labels = cv::Mat(static_cast<int>(r.height), static_cast<int>(r.width), CV_8UC1,
                           r.labels.data())
                       .clone();
  outputs.restored = cv::Mat(static_cast<int>(r.height), static_cast<int>(r.width), CV_8UC3,
                             r.restored.data())
                         .clone();
  return WriteOutputs(out_dir, fs::path(path).stem().string(), *input, outputs);
}

}  // namespace

int RunPredictCommand(const std::vector<std::string>& images) {
  const std::string weights = absl::GetFlag(FLAGS_weights);
  const std::string out_dir = absl::GetFlag(FLAGS_out);
  if (weights.empty() || out_dir.empty() || images.empty()) {
    std::cerr << "usage: facet-trainer predict --weights FILE|VERSION_DIR "
                 "--out DIR IMAGE...\n";
    return 2;
  }
  absl::StatusOr<ResizeFilter> filter = ParseResizeFilter(absl::GetFlag(FLAGS_resize));
  if (!filter.ok()) {
    std::cerr << "error: --resize: " << filter.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<LoadedWeights> loaded =
      LoadWeights(weights, absl::GetFlag(FLAGS_input_size));
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return 1;
  }
  EngineOptions options;
  options.config = loaded->config;
  options.engine = absl::GetFlag(FLAGS_engine);
  options.device = absl::GetFlag(FLAGS_device);
  options.precision = absl::GetFlag(FLAGS_precision);
  options.int8_scales_path = loaded->int8_scales_path;
  const int cores = UsableCores();
  options.threads = NetworkThreads(absl::GetFlag(FLAGS_threads), cores);
  options.fold_batch_norm = absl::GetFlag(FLAGS_fold_batch_norm);
  options.mirror_average = absl::GetFlag(FLAGS_mirror_average);
  auto parser = ToAbslStatusOr(CreateFaceEngine(loaded->tensors, options));
  if (!parser.ok()) {
    std::cerr << "error: " << loaded->source << ": " << parser.status().message() << "\n";
    return 1;
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "error: cannot create output folder " << out_dir << ": " << ec.message()
              << "\n";
    return 1;
  }
  std::cerr << "network " << loaded->config.ToString() << " from " << loaded->source
            << " on " << (*parser)->Describe() << "\n"
            << "threads: usable_cores=" << cores << " intra_op_threads=" << options.threads
            << " openmp=\"" << OpenMpWaitSetting()
            << "\" (decode and encode run between forwards on the same thread; --threads)\n";
  int failed = 0;
  for (const std::string& path : images) {
    absl::Status s = PredictOne(**parser, *filter, path, out_dir);
    if (!s.ok()) {
      ++failed;
      std::cerr << "error: " << s.message() << "\n";
      continue;
    }
    std::cout << "wrote " << (fs::path(out_dir) / fs::path(path).stem()).string()
              << ".{labels,color,overlay,restored}.png\n";
  }
  std::cerr << images.size() - failed << " of " << images.size() << " images parsed\n";
  return failed ? 1 : 0;
}

}  // namespace facet
