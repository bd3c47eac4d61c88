#include "trainer/evaluate_command.h"

#include <iostream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "core/engine/face_engine_factory.h"
#include "core/engine/openmp_wait.h"
#include "core/repository/weights_loader.h"
#include "glog/logging.h"
#include "trainer/data/thread_budget.h"
#include "trainer/trainer_flags.h"
#include "trainer/training/face_data_source.h"
#include "trainer/training/fpn_trainer.h"
#include "trainer/training/validation.h"

// Defined with the train command, whose validation they also size.
ABSL_DECLARE_FLAG(int32_t, batch_size);
ABSL_DECLARE_FLAG(int32_t, val_batches);

namespace facet {

int RunEvaluateCommand(const std::vector<std::string> &args) {
  if (!args.empty() || absl::GetFlag(FLAGS_weights).empty()) {
    std::cerr << "usage: facet-trainer evaluate --weights FILE|VERSION_DIR "
                 "[--data D] "
                 "[--val_batches N] [--batch_size N]\n";
    return 2;
  }
  auto loaded = LoadWeights(absl::GetFlag(FLAGS_weights), absl::GetFlag(FLAGS_input_size));
  if (!loaded.ok()) {
    std::cerr << "error: " << loaded.status().message() << "\n";
    return 1;
  }
  FpnTrainerOptions options;
  options.config = loaded->config;
  options.device = absl::GetFlag(FLAGS_device);
  const int cores = UsableCores();
  options.threads = NetworkThreads(absl::GetFlag(FLAGS_threads), cores);
  LOG(INFO) << "threads: usable_cores=" << cores << " intra_op_threads=" << options.threads
            << " loader_threads=0 openmp=\"" << OpenMpWaitSetting() << "\" (--threads)";
  auto trainer = FpnTrainer::Create(options, &loaded->tensors);
  if (!trainer.ok()) {
    std::cerr << "error: " << trainer.status().message() << "\n";
    return 1;
  }
  auto data = OpenFaceDataSource(absl::GetFlag(FLAGS_data), absl::GetFlag(FLAGS_seed));
  if (!data.ok()) {
    std::cerr << "error: " << data.status().message() << "\n";
    return 1;
  }
  auto report =
      ValidateOnDataset(**trainer, *data->validation, absl::GetFlag(FLAGS_batch_size),
                        absl::GetFlag(FLAGS_val_batches), absl::GetFlag(FLAGS_seed) + 7919);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << "weights " << loaded->source << " (" << loaded->config.ToString() << ") on "
            << data->validation->Describe() << "\n"
            << report->ToTable(ParsingLabelNames());
  return 0;
}

}  // namespace facet
