#include "trainer/training/validation.h"

#include "core/image/label_palette.h"
#include "trainer/data/data_loader.h"

namespace facet {

absl::StatusOr<SegmentationReport> ValidateOnDataset(FpnTrainer &trainer,
                                                     const FaceDataset &dataset, int batch_size,
                                                     int batches, uint64_t seed) {
  DataLoader::Options options;
  options.batch_size = batch_size;
  options.num_workers = 0;
  options.shuffle = false;
  options.seed = seed;
  options.degradation.net_size = static_cast<int>(trainer.config().in_size);
  auto loader = DataLoader::Create(&dataset, options);
  if (!loader.ok()) return loader.status();
  SegmentationMetrics metrics(static_cast<int>(trainer.config().parsing_ch));
  TrainingBatch batch;
  for (int i = 0; i < batches; ++i) {
    absl::Status s = (*loader)->Next(&batch);
    if (!s.ok()) return s;
    s = trainer.Evaluate(batch, &metrics);
    if (!s.ok()) return s;
  }
  return metrics.Report();
}

std::vector<std::string> ParsingLabelNames() {
  std::vector<std::string> names;
  for (int i = 0; i < kNumLabels; ++i) names.push_back(Label(i).name);
  return names;
}

}  // namespace facet
