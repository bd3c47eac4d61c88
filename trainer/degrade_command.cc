#include "trainer/degrade_command.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/image/image_decoder.h"
#include "core/image/image_encoder.h"
#include "opencv2/imgproc.hpp"
#include "trainer/data/degradation_pipeline.h"
#include "trainer/trainer_flags.h"

ABSL_FLAG(int32_t, count, 8,
          "degrade: degradations per input image (1..1000).");
ABSL_FLAG(bool, contact_sheet, false,
          "degrade: write one captioned grid per image (HQ first) instead of "
          "separate files.");

namespace facet {
namespace {

namespace fs = std::filesystem;

constexpr int kTile = 256;
constexpr int kCaptionLines = 4;
constexpr int kLineHeight = 13;

bool IsImageName(const fs::path& path) {
  const std::string ext = absl::AsciiStrToLower(path.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" ||
         ext == ".webp" || ext == ".tif" || ext == ".tiff";
}

// Splits `text` at spaces into lines of at most `width` characters.
std::vector<std::string> Wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines(1);
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!lines.back().empty() &&
        lines.back().size() + 1 + word.size() > width) {
      lines.emplace_back();
    }
    if (!lines.back().empty()) lines.back() += ' ';
    absl::StrAppend(&lines.back(), word);
  }
  return lines;
}

// A tile of the sheet: the image at kTile px over its caption.
cv::Mat CaptionedTile(const cv::Mat& rgb, const std::string& caption) {
  cv::Mat tile(kTile + kCaptionLines * kLineHeight + 4, kTile, CV_8UC3,
               cv::Scalar(255, 255, 255));
  cv::resize(rgb, tile(cv::Rect(0, 0, kTile, kTile)), cv::Size(kTile, kTile), 0,
             0, cv::INTER_AREA);
  std::vector<std::string> lines = Wrap(caption, 42);
  lines.resize(std::min<size_t>(lines.size(), kCaptionLines));
  for (size_t i = 0; i < lines.size(); ++i) {
    cv::putText(tile, lines[i],
                cv::Point(3, kTile + kLineHeight * static_cast<int>(i + 1)),
                cv::FONT_HERSHEY_SIMPLEX, 0.33, cv::Scalar(0, 0, 0), 1,
                cv::LINE_AA);
  }
  return tile;
}

cv::Mat Grid(const std::vector<cv::Mat>& tiles) {
  const int columns = static_cast<int>(std::ceil(std::sqrt(tiles.size())));
  const int rows = static_cast<int>((tiles.size() + columns - 1) / columns);
  const int gap = 4;
  const cv::Size t = tiles[0].size();
  cv::Mat sheet(rows * (t.height + gap) + gap, columns * (t.width + gap) + gap,
                CV_8UC3, cv::Scalar(200, 200, 200));
  for (size_t i = 0; i < tiles.size(); ++i) {
    const int r = static_cast<int>(i) / columns,
              c = static_cast<int>(i) % columns;
    tiles[i].copyTo(
        sheet(cv::Rect(gap + c * (t.width + gap), gap + r * (t.height + gap),
                       t.width, t.height)));
  }
  return sheet;
}

// Degrades one image; returns false (after printing why) on failure.
bool DegradeOne(const DegradationPipeline& pipeline, const fs::path& input,
                uint64_t first_index, int count, bool sheet,
                const fs::path& out_dir, std::ofstream* table) {
  absl::StatusOr<cv::Mat> image = ReadImageFile(input.string(), DecodeLimits());
  if (!image.ok()) {
    std::cerr << "error: " << image.status().message() << "\n";
    return false;
  }
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const std::string stem = input.stem().string();
  std::vector<cv::Mat> tiles;
  for (int j = 0; j < count; ++j) {
    absl::StatusOr<DegradedFace> face =
        pipeline.Degrade(*image, seed, first_index + j);
    if (!face.ok()) {
      std::cerr << "error: " << input.string() << ": "
                << face.status().message() << "\n";
      return false;
    }
    const std::string params = face->params.ToString();
    if (sheet) {
      if (j == 0) {
        cv::Mat hq;
        cv::resize(*image, hq, face->lq.size(), 0, 0, cv::INTER_AREA);
        tiles.push_back(CaptionedTile(hq, absl::StrCat(stem, " (HQ input)")));
      }
      tiles.push_back(
          CaptionedTile(face->lq, absl::StrCat("#", j, ": ", params)));
      continue;
    }
    const fs::path path = out_dir / absl::StrCat(stem, "_", j, ".png");
    absl::Status written = WriteImageFile(path.string(), face->lq);
    if (!written.ok()) {
      std::cerr << "error: " << written.message() << "\n";
      return false;
    }
    *table << path.filename().string() << "\t" << input.filename().string()
           << "\t" << j << "\t" << params << "\n";
  }
  if (sheet) {
    const fs::path path = out_dir / absl::StrCat(stem, "_sheet.png");
    absl::Status written = WriteImageFile(path.string(), Grid(tiles));
    if (!written.ok()) {
      std::cerr << "error: " << written.message() << "\n";
      return false;
    }
    std::cout << "wrote " << path.string() << "\n";
  }
  return true;
}

}  // namespace

int RunDegradeCommand(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: facet-trainer degrade [--seed S] [--count N] [--contact_sheet] "
      "IN OUT\n  IN: an image file or a folder of images; OUT: output folder "
      "(or --out)\n";
  std::string out = absl::GetFlag(FLAGS_out);
  if (args.size() == 2) out = args[1];
  if (args.empty() || args.size() > 2 || out.empty()) {
    std::cerr << usage;
    return 2;
  }
  const int count = absl::GetFlag(FLAGS_count);
  if (count < 1 || count > 1000) {
    std::cerr << "error: --count=" << count << "; expected 1..1000\n";
    return 2;
  }
  DegradationOptions options;
  options.net_size = static_cast<int>(absl::GetFlag(FLAGS_input_size));
  absl::StatusOr<DegradationPipeline> pipeline =
      DegradationPipeline::Create(options);
  if (!pipeline.ok()) {
    std::cerr << "error: " << pipeline.status().message()
              << " (from --input_size)\n";
    return 2;
  }

  const fs::path input(args[0]);
  std::error_code error;
  std::vector<fs::path> images;
  if (fs::is_directory(input, error)) {
    for (const auto& entry : fs::directory_iterator(input, error)) {
      if (entry.is_regular_file(error) && IsImageName(entry.path())) {
        images.push_back(entry.path());
      }
    }
    std::sort(images.begin(), images.end());
    if (images.empty()) {
      std::cerr
          << "error: no image files (.jpg .jpeg .png .bmp .webp .tif) in '"
          << input.string() << "'\n";
      return 1;
    }
  } else if (fs::exists(input, error)) {
    images.push_back(input);
  } else {
    std::cerr << "error: input '" << input.string() << "' does not exist\n";
    return 1;
  }

  const fs::path out_dir(out);
  fs::create_directories(out_dir, error);
  if (!fs::is_directory(out_dir, error)) {
    std::cerr << "error: cannot create output folder '" << out << "'\n";
    return 1;
  }
  const bool sheet = absl::GetFlag(FLAGS_contact_sheet);
  std::ofstream table;
  if (!sheet) {
    table.open(out_dir / "degradations.tsv");
    table << "output\tinput\tj\tparameters\n";
  }
  int failed = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    if (!DegradeOne(*pipeline, images[i], i * static_cast<uint64_t>(count),
                    count, sheet, out_dir, &table)) {
      ++failed;
    }
  }
  if (!sheet) {
    std::cout << "wrote " << (images.size() - failed) * count
              << " degraded images and degradations.tsv to " << out << "\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace facet
