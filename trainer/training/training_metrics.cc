#include "trainer/training/training_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <exception>
#include <string>

#include "absl/strings/str_cat.h"
#include "trainer/training/checkpoint_publisher.h"

namespace facet {

struct TrainingMetrics::Impl {
  std::unique_ptr<prometheus::Exposer> exposer;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Gauge* step = nullptr;
  prometheus::Gauge* loss_total = nullptr;
  prometheus::Gauge* loss_parsing = nullptr;
  prometheus::Gauge* loss_pixel = nullptr;
  prometheus::Gauge* learning_rate = nullptr;
  prometheus::Gauge* images_per_second = nullptr;
  prometheus::Gauge* data_wait = nullptr;
  prometheus::Gauge* val_miou = nullptr;
  prometheus::Gauge* published_version = nullptr;
  prometheus::Family<prometheus::Counter>* publish_failures = nullptr;
  prometheus::Family<prometheus::Counter>* checkpoint_failures = nullptr;
  prometheus::Counter* skipped_steps = nullptr;
};

namespace {

prometheus::Gauge* Gauge(prometheus::Registry& r, const std::string& name,
                         const std::string& help,
                         const prometheus::Labels& rank) {
  return &prometheus::BuildGauge()
              .Name(name)
              .Help(help)
              .Labels(rank)
              .Register(r)
              .Add({});
}

prometheus::Counter* Counter(prometheus::Registry& r, const std::string& name,
                             const std::string& help,
                             const prometheus::Labels& rank) {
  return &prometheus::BuildCounter()
              .Name(name)
              .Help(help)
              .Labels(rank)
              .Register(r)
              .Add({});
}

}  // namespace

absl::StatusOr<std::unique_ptr<TrainingMetrics>> TrainingMetrics::Create(
    int port, int rank) {
  const prometheus::Labels l = {{"rank", absl::StrCat(rank)}};
  auto impl = std::make_unique<Impl>();
  try {
    impl->exposer = std::make_unique<prometheus::Exposer>(absl::StrCat("0.0.0.0:", port));
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on port ", port, ": ", e.what()));
  }
  prometheus::Registry& r = *impl->registry;
  impl->step = Gauge(r, "facet_trainer_step", "Training steps completed.", l);
  auto& loss = prometheus::BuildGauge()
                   .Name("facet_trainer_loss")
                   .Help("Training loss of the last step, by part.")
                   .Labels(l)
                   .Register(r);
  impl->loss_total = &loss.Add({{"part", "total"}});
  impl->loss_parsing = &loss.Add({{"part", "parsing"}});
  impl->loss_pixel = &loss.Add({{"part", "pixel"}});
  impl->learning_rate =
      Gauge(r, "facet_trainer_learning_rate", "Current learning rate.", l);
  impl->images_per_second = Gauge(r, "facet_trainer_images_per_second",
                                  "Training throughput (images/s).", l);
  impl->data_wait =
      Gauge(r, "facet_trainer_data_wait_ratio",
            "Fraction of wall time the training loop waited for data.", l);
  impl->val_miou =
      Gauge(r, "facet_trainer_validation_miou", "Last validation mean IoU.", l);
  impl->published_version = Gauge(r, "facet_trainer_published_version",
                                  "Last version published (0 = none).", l);
  impl->publish_failures =
      &prometheus::BuildCounter()
           .Name("facet_trainer_publish_failures_total")
           .Help(
               "Publishes that failed, by reason (no_space, read_only, "
               "permission, non_finite, other); training goes on.")
           .Labels(l)
           .Register(r);
  impl->checkpoint_failures =
      &prometheus::BuildCounter()
           .Name("facet_trainer_checkpoint_failures_total")
           .Help(
               "Training-state checkpoints that failed, by reason; "
               "the previous checkpoint stays.")
           .Labels(l)
           .Register(r);
  for (const char* reason : kWriteFailureReasons) {
    impl->publish_failures->Add({{"reason", reason}});
    impl->checkpoint_failures->Add({{"reason", reason}});
  }
  impl->skipped_steps =
      Counter(r, "facet_trainer_skipped_steps_total",
              "Steps skipped for a non-finite loss or gradient.", l);
  impl->exposer->RegisterCollectable(impl->registry);
  return std::unique_ptr<TrainingMetrics>(new TrainingMetrics(std::move(impl)));
}

TrainingMetrics::TrainingMetrics(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrainingMetrics::~TrainingMetrics() = default;

int TrainingMetrics::port() const {
  auto ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void TrainingMetrics::SetStep(int64_t v) { impl_->step->Set(double(v)); }
void TrainingMetrics::SetLosses(double total, double parsing, double pixel) {
  impl_->loss_total->Set(total);
  impl_->loss_parsing->Set(parsing);
  impl_->loss_pixel->Set(pixel);
}
void TrainingMetrics::SetLearningRate(double v) { impl_->learning_rate->Set(v); }
void TrainingMetrics::SetImagesPerSecond(double v) { impl_->images_per_second->Set(v); }
void TrainingMetrics::SetDataWaitFraction(double v) { impl_->data_wait->Set(v); }
void TrainingMetrics::SetValidationMiou(double v) { impl_->val_miou->Set(v); }
void TrainingMetrics::SetPublishedVersion(int64_t v) { impl_->published_version->Set(double(v)); }
void TrainingMetrics::IncrementPublishFailures(const std::string& reason) {
  impl_->publish_failures->Add({{"reason", reason}}).Increment();
}
void TrainingMetrics::IncrementCheckpointFailures(const std::string& reason) {
  impl_->checkpoint_failures->Add({{"reason", reason}}).Increment();
}
void TrainingMetrics::IncrementSkippedSteps() { impl_->skipped_steps->Increment(); }

}  // namespace facet
