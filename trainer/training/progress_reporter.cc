#include "trainer/training/progress_reporter.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace facet {
namespace {

std::string FormatSeconds(double s) {
  const int64_t t = static_cast<int64_t>(s);
  return absl::StrFormat("%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
}

}  // namespace

ProgressReporter::ProgressReporter(const Options& options)
    : options_(options),
      bar_(isatty(STDERR_FILENO) && options.rank <= 0),
      prefix_(options.rank >= 0 ? absl::StrCat("rank=", options.rank, " ")
                                : ""),
      start_(std::chrono::steady_clock::now()) {}

void ProgressReporter::Step(const StepResult& r, double images_per_s,
                            double data_wait) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  const int64_t done = r.step - options_.first_step;
  const int64_t total = options_.total_steps;
  const double eta = done > 0 ? elapsed / done * (total - r.step) : 0;
  if (bar_) {
    const int width = 30;
    const int filled = static_cast<int>(width * double(r.step) / total);
    std::fprintf(
        stderr,
        "\r%s[%s%s] %lld/%lld loss %.4f (ce %.4f px %.4f) %.1f img/s ETA %s ",
        prefix_.c_str(), std::string(filled, '#').c_str(),
        std::string(width - filled, '.').c_str(), (long long)r.step,
        (long long)total, r.loss, r.parsing_loss, r.pixel_loss, images_per_s,
        FormatSeconds(eta).c_str());
    std::fflush(stderr);
  } else if (r.step % std::max<int64_t>(1, options_.log_every) == 0 ||
             r.step == total) {
    std::cerr << prefix_
              << absl::StrFormat(
                     "step=%d/%d loss=%.7f parsing=%.7f pixel=%.7f lr=%.3g "
                     "images_per_s=%.2f "
                     "data_wait=%.3f eta_s=%.0f\n",
                     r.step, total, r.loss, r.parsing_loss, r.pixel_loss,
                     r.learning_rate, images_per_s, data_wait, eta);
  }
}

void ProgressReporter::Line(const std::string& text) {
  if (bar_) std::fprintf(stderr, "\r%*s\r", 110, "");
  std::cerr << prefix_ << text << "\n";
}

}  // namespace facet
