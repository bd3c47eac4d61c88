#include "trainer/synth_faces_command.h"

#include <filesystem>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "core/image/image_encoder.h"
#include "core/image/label_rendering.h"
#include "trainer/data/synthetic_faces.h"
#include "trainer/trainer_flags.h"

ABSL_FLAG(int32_t, faces, 4, "synth-faces: how many faces to write.");
ABSL_FLAG(int64_t, first_index, 0, "synth-faces: index of the first face in the set.");

namespace facet {

int RunSynthFacesCommand(const std::vector<std::string>& args) {
  const std::string out = absl::GetFlag(FLAGS_out);
  const int count = absl::GetFlag(FLAGS_faces);
  if (out.empty() || !args.empty() || count < 1) {
    std::cerr << "usage: facet-trainer synth-faces --out DIR [--faces N] [--seed S] "
                 "[--first_index I]\n";
    return 2;
  }
  SyntheticFaceSet::Options options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.size = static_cast<size_t>(absl::GetFlag(FLAGS_first_index) + count);
  auto set = SyntheticFaceSet::Create(options);
  if (!set.ok()) {
    std::cerr << "error: " << set.status().message() << "\n";
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) {
    std::cerr << "error: cannot create " << out << ": " << ec.message() << "\n";
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    const size_t index = static_cast<size_t>(absl::GetFlag(FLAGS_first_index) + i);
    auto sample = (*set)->Get(index);
    if (!sample.ok()) {
      std::cerr << "error: face " << index << ": " << sample.status().message() << "\n";
      return 1;
    }
    const std::string base = absl::StrFormat("%s/synthetic_%05d", out, index);
    for (const auto& [path, image] : std::initializer_list<std::pair<std::string, cv::Mat>>{
             {base + ".png", sample->image},
             {base + ".truth.png", sample->labels},
             {base + ".truth_color.png", ColorizeLabels(sample->labels)}}) {
      absl::Status s = WriteImageFile(path, image);
      if (!s.ok()) {
        std::cerr << "error: " << s.message() << "\n";
        return 1;
      }
    }
    std::cout << base << ".png\n";
  }
  return 0;
}

}  // namespace facet
