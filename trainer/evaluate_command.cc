#include "trainer/evaluate_command.h"

#include <cmath>
#include <iostream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "client/photo/face_finder.h"
#include "core/engine/face_engine_factory.h"
#include "core/engine/openmp_wait.h"
#include "core/repository/weights_loader.h"
#include "core/status/model_status_conversion.h"
#include "glog/logging.h"
#include "trainer/data/thread_budget.h"
#include "trainer/evaluation/landmark_evaluation.h"
#include "trainer/trainer_flags.h"
#include "trainer/training/face_data_source.h"
#include "trainer/training/fpn_trainer.h"
#include "trainer/training/validation.h"

// Defined with the train command, whose validation they also size.
ABSL_DECLARE_FLAG(int32_t, batch_size);
ABSL_DECLARE_FLAG(int32_t, val_batches);
ABSL_DECLARE_FLAG(std::string, resize);
ABSL_DECLARE_FLAG(bool, mirror_average);

ABSL_FLAG(std::string, sheet, "",
          "evaluate: with --data landmarks:PATH, also write a PNG contact "
          "sheet of the "
          "first faces (aligned input, parse, landmark parts) to this file.");

namespace facet {
namespace {

constexpr char kLandmarksPrefix[] = "landmarks:";

// The real-face score: faces found and aligned as `facet-client photo`
// does, parsed, and scored against the parts their landmarks outline.
int RunLandmarkEvaluation(const std::string& path) {
  auto files = ListLandmarkImages(path);
  if (!files.ok()) {
    std::cerr << "error: --data " << kLandmarksPrefix << path << ": "
              << files.status().message() << "\n";
    return 1;
  }
  auto loaded = LoadWeights(absl::GetFlag(FLAGS_weights),
                            absl::GetFlag(FLAGS_input_size));
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return 1;
  }
  EngineOptions engine_options;
  engine_options.config = loaded->config;
  engine_options.device = absl::GetFlag(FLAGS_device);
  const int cores = UsableCores();
  engine_options.threads = NetworkThreads(absl::GetFlag(FLAGS_threads), cores);
  engine_options.mirror_average = absl::GetFlag(FLAGS_mirror_average);
  auto engine =
      ToAbslStatusOr(CreateFaceEngine(loaded->tensors, engine_options));
  if (!engine.ok()) {
    std::cerr << "error: " << loaded->source << ": "
              << engine.status().message() << "\n";
    return 1;
  }
  auto finder = FaceFinder::Create(FaceFinder::Options());
  if (!finder.ok()) {
    std::cerr << "error: " << finder.status().message() << "\n";
    return 1;
  }
  LandmarkEvaluationOptions options;
  options.sheet_path = absl::GetFlag(FLAGS_sheet);
  absl::StatusOr<ResizeFilter> filter =
      ParseResizeFilter(absl::GetFlag(FLAGS_resize));
  if (!filter.ok()) {
    std::cerr << "error: --resize: " << filter.status().message() << "\n";
    return 1;
  }
  options.filter = *filter;
  auto evaluation = EvaluateOnLandmarks(**engine, **finder, *files, options);
  if (!evaluation.ok()) {
    std::cerr << "error: " << evaluation.status().message() << "\n";
    return 1;
  }
  int skipped = 0;
  for (const LandmarkFileResult& f : evaluation->files) {
    if (f.problem.empty()) {
      std::cerr << "file " << f.path << ": " << f.faces << " faces\n";
    } else {
      ++skipped;
      std::cerr << "skipped " << f.path << ": " << f.problem << "\n";
    }
  }
  const LandmarkPartReport& report = evaluation->report;
  std::cout << "weights " << loaded->source << " (" << loaded->config.ToString()
            << ") on the faces of " << files->size() - skipped << " of "
            << files->size() << " images in " << path
            << " (parts from dlib's 68 landmarks)\n"
            << "parsed by " << (*engine)->Describe() << "\n"
            << report.ToTable();
  std::string line =
      absl::StrFormat("landmark_score faces=%d mean_part_iou=%.4f",
                      report.total_faces, report.mean_part_iou);
  for (int p = 0; p < kNumFaceParts; ++p) {
    absl::StrAppendFormat(&line, " %s=%.4f", FacePartName(p),
                          report.mean_iou[p]);
  }
  std::cout << line << "\n";
  if (!options.sheet_path.empty() && report.total_faces > 0) {
    std::cerr << "wrote " << options.sheet_path << "\n";
  }
  if (report.total_faces == 0) {
    std::cerr << "error: no face found in " << path << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int RunEvaluateCommand(const std::vector<std::string>& args) {
  if (!args.empty() || absl::GetFlag(FLAGS_weights).empty()) {
    std::cerr << "usage: facet-trainer evaluate --weights FILE|VERSION_DIR "
                 "[--data D] "
                 "[--val_batches N] [--batch_size N]\n"
                 "       facet-trainer evaluate --weights FILE|VERSION_DIR "
                 "--data landmarks:IMAGE_OR_FOLDER [--sheet FILE.png]\n";
    return 2;
  }
  const std::string data_spec = absl::GetFlag(FLAGS_data);
  if (absl::StartsWith(data_spec, kLandmarksPrefix)) {
    return RunLandmarkEvaluation(
        data_spec.substr(sizeof(kLandmarksPrefix) - 1));
  }
  auto loaded = LoadWeights(absl::GetFlag(FLAGS_weights),
                            absl::GetFlag(FLAGS_input_size));
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return 1;
  }
  FpnTrainerOptions options;
  options.config = loaded->config;
  options.device = absl::GetFlag(FLAGS_device);
  const int cores = UsableCores();
  options.threads = NetworkThreads(absl::GetFlag(FLAGS_threads), cores);
  LOG(INFO) << "threads: usable_cores=" << cores
            << " intra_op_threads=" << options.threads
            << " loader_threads=0 openmp=\"" << OpenMpWaitSetting()
            << "\" (--threads)";
  auto trainer = FpnTrainer::Create(options, &loaded->tensors);
  if (!trainer.ok()) {
    std::cerr << "error: " << trainer.status().message() << "\n";
    return 1;
  }
  auto data =
      OpenFaceDataSource(absl::GetFlag(FLAGS_data), absl::GetFlag(FLAGS_seed));
  if (!data.ok()) {
    std::cerr << "error: " << data.status().message() << "\n";
    return 1;
  }
  auto report = Validate(
      **trainer, *data->validation, absl::GetFlag(FLAGS_batch_size),
      absl::GetFlag(FLAGS_val_batches), absl::GetFlag(FLAGS_seed) + 7919);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << "weights " << loaded->source << " (" << loaded->config.ToString()
            << ") on " << data->validation->Describe() << "\n"
            << report->ToTable(LabelNames());
  return 0;
}

}  // namespace facet
