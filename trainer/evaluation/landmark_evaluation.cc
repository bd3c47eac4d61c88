#include "trainer/evaluation/landmark_evaluation.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "client/photo/face_alignment.h"
#include "core/image/image_decoder.h"
#include "core/image/image_encoder.h"
#include "core/image/label_rendering.h"
#include "core/status/model_status_conversion.h"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

namespace fs = std::filesystem;

bool IsImageName(const fs::path& p) {
  static const std::set<std::string> kExtensions = {
      ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"};
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return kExtensions.count(ext) > 0;
}

// One scored face, kept for the contact sheet.
struct SheetFace {
  cv::Mat crop, parse, truth;  // crop_size RGB, crop_size ids, crop_size ids.
};

cv::Mat ContactSheet(const std::vector<SheetFace>& faces,
                     const LandmarkEvaluationOptions& o) {
  const int cell = o.sheet_cell;
  const int columns =
      std::min<int>(o.sheet_columns, static_cast<int>(faces.size()));
  const int bands = (static_cast<int>(faces.size()) + columns - 1) / columns;
  cv::Mat sheet(bands * 3 * cell, columns * cell, CV_8UC3,
                cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < faces.size(); ++i) {
    const int x = static_cast<int>(i % columns) * cell;
    const int y = static_cast<int>(i / columns) * 3 * cell;
    const SheetFace& f = faces[i];
    const cv::Mat rows[3] = {f.crop, OverlayLabels(f.crop, f.parse, 0.55),
                             OverlayLabels(f.crop, f.truth, 0.55)};
    for (int r = 0; r < 3; ++r) {
      cv::Mat small;
      cv::resize(rows[r], small, cv::Size(cell, cell), 0, 0, cv::INTER_AREA);
      small.copyTo(sheet(cv::Rect(x, y + r * cell, cell, cell)));
    }
  }
  return sheet;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListLandmarkImages(
    const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return absl::NotFoundError(
        absl::StrCat("landmarks:", path, ": no such file or folder"));
  }
  if (!fs::is_directory(path, ec)) return std::vector<std::string>{path};
  std::vector<std::string> files;
  for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
    if (e.is_regular_file() && IsImageName(e.path()))
      files.push_back(e.path().string());
  }
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "landmarks:", path, ": cannot list the folder: ", ec.message()));
  }
  if (files.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "landmarks:", path,
        ": the folder holds no image (.jpg, .png, .webp, .bmp, .tif)"));
  }
  std::sort(files.begin(), files.end());
  return files;
}

absl::StatusOr<LandmarkEvaluation> EvaluateOnLandmarks(
    const FaceEngine& engine, const FaceFinder& finder,
    const std::vector<std::string>& files,
    const LandmarkEvaluationOptions& options) {
  if (!finder.has_landmarks()) {
    return absl::FailedPreconditionError(
        "the landmark score needs dlib's 68-landmark model (libdlib-data)");
  }
  const int crop_size = options.crop_size;
  const int net_size = static_cast<int>(engine.config().in_size);
  LandmarkPartScore score;
  LandmarkEvaluation evaluation;
  std::vector<SheetFace> sheet;
  for (const std::string& path : files) {
    LandmarkFileResult& file = evaluation.files.emplace_back();
    file.path = path;
    absl::StatusOr<cv::Mat> photo = ReadImageFile(path, DecodeLimits());
    if (!photo.ok()) {
      file.problem = std::string(photo.status().message());
      continue;
    }
    absl::StatusOr<std::vector<FoundFace>> found = finder.Find(*photo);
    if (!found.ok()) {
      file.problem = std::string(found.status().message());
      continue;
    }
    std::vector<cv::Mat> crops, inputs;
    std::vector<Landmarks68> landmarks;
    for (const FoundFace& face : *found) {
      if (face.landmarks.size() != 68) continue;
      absl::StatusOr<cv::Mat> transform =
          EstimateAlignment(face.points, crop_size);
      if (!transform.ok()) continue;  // Degenerate points: not a usable face.
      crops.push_back(WarpToCrop(*photo, *transform, crop_size));
      inputs.push_back(ResizeForNet(crops.back(), net_size, options.filter));
      Landmarks68& l = landmarks.emplace_back();
      for (int k = 0; k < 68; ++k)
        l[k] = TransformPoint(*transform, face.landmarks[k]);
    }
    if (crops.empty()) {
      file.problem = "no face found";
      continue;
    }
    std::vector<RgbImageView> views;
    for (const cv::Mat& in : inputs)
      views.push_back({in.data, in.rows, in.cols});
    ParseOptions parse_options;
    parse_options.want_restored = false;
    auto results = ToAbslStatusOr(engine.Parse(views, parse_options));
    if (!results.ok()) {
      return absl::Status(results.status().code(),
                          absl::StrCat(path, ": ", results.status().message()));
    }
    for (size_t i = 0; i < crops.size(); ++i) {
      ParseResult& r = (*results)[i];
      const cv::Mat labels(static_cast<int>(r.height),
                           static_cast<int>(r.width), CV_8UC1, r.labels.data());
      cv::Mat parse;
      cv::resize(labels, parse, cv::Size(crop_size, crop_size), 0, 0,
                 cv::INTER_NEAREST);
      const PartMasks truth =
          LandmarkPartMasks(landmarks[i], cv::Size(crop_size, crop_size));
      score.Add(PartIou(PredictedPartMasks(parse), truth));
      ++file.faces;
      if (!options.sheet_path.empty() &&
          static_cast<int>(sheet.size()) < options.sheet_faces) {
        sheet.push_back({crops[i], parse, PartMasksToLabels(truth)});
      }
    }
  }
  evaluation.report = score.Report();
  if (!options.sheet_path.empty() && !sheet.empty()) {
    absl::Status s =
        WriteImageFile(options.sheet_path, ContactSheet(sheet, options));
    if (!s.ok()) return s;
  }
  return evaluation;
}

}  // namespace facet
