#include "client/cli/info_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace facet {

std::string ModelInfoText(const v1::GetModelInfoResponse& info) {
  const v1::NetConfig& c = info.config();
  std::string batch = absl::StrCat("max batch ", info.max_batch_size());
  if (info.effective_max_batch_size() > 0) {
    absl::StrAppend(&batch, " (effective ", info.effective_max_batch_size(),
                    ")");
  }
  std::string text = absl::StrFormat(
      "model      %s version %d (%s)\n"
      "source     %s\n"
      "device     %s, %s, %s engine, %s\n"
      "network    in %d, out %d, base_ch %d, parsing_ch %d, res_depth %d, "
      "ch %d..%d, min_feat %d\n",
      info.model_name(), info.version(), info.version_policy(), info.source(),
      info.device(), info.precision(), info.engine(), batch, c.in_size(),
      c.out_size(), c.base_ch(), c.parsing_ch(), c.res_depth(), c.ch_lo(),
      c.ch_hi(), c.min_feat_size());
  if (info.step() > 0 || !info.created_at().empty()) {
    absl::StrAppendFormat(&text, "trained    step %d, created %s\n",
                          info.step(), info.created_at());
  }
  for (const auto& [name, value] : info.metrics()) {
    absl::StrAppendFormat(&text, "metric     %s = %g\n", name, value);
  }
  if (info.failed_versions_size() > 0) {
    absl::StrAppend(&text, "rejected   versions");
    for (int64_t v : info.failed_versions()) absl::StrAppend(&text, " ", v);
    absl::StrAppend(&text, "\n");
  }
  absl::StrAppend(&text, "labels    ");
  for (const v1::Label& label : info.labels()) {
    absl::StrAppend(&text, " ", label.id(), ":", label.name());
  }
  absl::StrAppend(&text, "\n");
  return text;
}

}  // namespace facet
