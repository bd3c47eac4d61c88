#include "trainer/evaluation/landmark_parts.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/image/label_palette.h"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Fixed-point shift for sub-pixel polygon vertices in cv::fillPoly.
constexpr int kShift = 4;

cv::Point Fixed(cv::Point2f p) {
  return cv::Point(static_cast<int>(std::lround(p.x * (1 << kShift))),
                   static_cast<int>(std::lround(p.y * (1 << kShift))));
}

std::vector<cv::Point> Range(const Landmarks68& l, int first, int last) {
  std::vector<cv::Point> polygon;
  for (int i = first; i <= last; ++i) polygon.push_back(Fixed(l[i]));
  return polygon;
}

void Fill(cv::Mat& mask, const std::vector<cv::Point>& polygon) {
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{polygon},
               cv::Scalar(255), cv::LINE_8, kShift);
}

cv::Point2f Centre(const Landmarks68& l, int first, int last) {
  cv::Point2f sum(0, 0);
  for (int i = first; i <= last; ++i) sum += l[i];
  return sum / static_cast<float>(last - first + 1);
}

double PolygonArea(const Landmarks68& l, int first, int last) {
  std::vector<cv::Point2f> polygon(l.begin() + first, l.begin() + last + 1);
  return cv::contourArea(polygon);
}

cv::Mat MaskOfClasses(const cv::Mat& labels, std::initializer_list<int> ids) {
  std::array<uint8_t, 256> lut{};
  for (int id : ids) lut[id] = 255;
  cv::Mat mask(labels.size(), CV_8UC1);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* in = labels.ptr<uint8_t>(y);
    uint8_t* out = mask.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) out[x] = lut[in[x]];
  }
  return mask;
}

}  // namespace

const char* FacePartName(int part) {
  static constexpr const char* kNames[kNumFaceParts] = {
      "brows", "eyes", "nose", "lips", "mouth", "skin"};
  return part >= 0 && part < kNumFaceParts ? kNames[part] : "?";
}

PartMasks LandmarkPartMasks(const Landmarks68& l, cv::Size size) {
  PartMasks masks;
  for (cv::Mat& m : masks) m = cv::Mat::zeros(size, CV_8UC1);

  const double interocular = cv::norm(Centre(l, 36, 41) - Centre(l, 42, 47));
  const double thickness = std::max(1.0, kBrowThickness * interocular);
  for (const auto& [first, last] : {std::pair{17, 21}, std::pair{22, 26}}) {
    std::vector<cv::Point> brow;
    for (int i = first; i <= last; ++i) {
      brow.push_back(
          Fixed(l[i] + cv::Point2f(0, static_cast<float>(thickness / 2))));
    }
    cv::polylines(masks[kPartBrows], std::vector<std::vector<cv::Point>>{brow},
                  false, cv::Scalar(255),
                  static_cast<int>(std::lround(thickness)), cv::LINE_8, kShift);
  }
  Fill(masks[kPartEyes], Range(l, 36, 41));
  Fill(masks[kPartEyes], Range(l, 42, 47));

  std::vector<cv::Point2f> nose(l.begin() + 27, l.begin() + 36);
  std::vector<cv::Point2f> hull;
  cv::convexHull(nose, hull);
  std::vector<cv::Point> nose_polygon;
  for (const cv::Point2f& p : hull) nose_polygon.push_back(Fixed(p));
  Fill(masks[kPartNose], nose_polygon);

  Fill(masks[kPartLips], Range(l, 48, 59));
  const double outer = PolygonArea(l, 48, 59);
  const double inner = PolygonArea(l, 60, 67);
  cv::Mat opening = cv::Mat::zeros(size, CV_8UC1);
  Fill(opening, Range(l, 60, 67));
  masks[kPartLips].setTo(0, opening);
  if (outer > 0 && inner >= kOpenMouthShare * outer) {
    masks[kPartMouth] = opening;
  } else {
    masks[kPartMouth] = cv::Mat();
  }

  std::vector<cv::Point> oval = Range(l, 0, 16);
  for (int i = 26; i >= 17; --i) oval.push_back(Fixed(l[i]));
  Fill(masks[kPartSkin], oval);
  return masks;
}

PartMasks PredictedPartMasks(const cv::Mat& labels) {
  const int skin = FindLabel("skin"), nose = FindLabel("nose"),
            eye_g = FindLabel("eye_g"), l_eye = FindLabel("l_eye"),
            r_eye = FindLabel("r_eye"), l_brow = FindLabel("l_brow"),
            r_brow = FindLabel("r_brow"), mouth = FindLabel("mouth"),
            u_lip = FindLabel("u_lip"), l_lip = FindLabel("l_lip");
  PartMasks masks;
  masks[kPartBrows] = MaskOfClasses(labels, {l_brow, r_brow});
  masks[kPartEyes] = MaskOfClasses(labels, {l_eye, r_eye});
  masks[kPartNose] = MaskOfClasses(labels, {nose});
  masks[kPartLips] = MaskOfClasses(labels, {u_lip, l_lip});
  masks[kPartMouth] = MaskOfClasses(labels, {mouth});
  masks[kPartSkin] = MaskOfClasses(
      labels,
      {skin, nose, eye_g, l_eye, r_eye, l_brow, r_brow, mouth, u_lip, l_lip});
  return masks;
}

std::array<double, kNumFaceParts> PartIou(const PartMasks& predicted,
                                          const PartMasks& truth) {
  std::array<double, kNumFaceParts> iou;
  for (int p = 0; p < kNumFaceParts; ++p) {
    if (truth[p].empty()) {
      iou[p] = kNaN;
      continue;
    }
    const int truth_pixels = cv::countNonZero(truth[p]);
    if (truth_pixels == 0) {
      iou[p] = kNaN;
      continue;
    }
    cv::Mat both, either;
    cv::bitwise_and(predicted[p], truth[p], both);
    cv::bitwise_or(predicted[p], truth[p], either);
    iou[p] =
        static_cast<double>(cv::countNonZero(both)) / cv::countNonZero(either);
  }
  return iou;
}

cv::Mat PartMasksToLabels(const PartMasks& truth) {
  cv::Size size;
  for (const cv::Mat& m : truth) {
    if (!m.empty()) size = m.size();
  }
  cv::Mat labels = cv::Mat::zeros(size, CV_8UC1);
  // Skin first: the smaller parts inside the oval are drawn over it.
  const std::array<std::pair<int, const char*>, kNumFaceParts> order = {
      {{kPartSkin, "skin"},
       {kPartNose, "nose"},
       {kPartBrows, "l_brow"},
       {kPartEyes, "l_eye"},
       {kPartLips, "u_lip"},
       {kPartMouth, "mouth"}}};
  for (const auto& [part, name] : order) {
    if (!truth[part].empty()) labels.setTo(FindLabel(name), truth[part]);
  }
  return labels;
}

std::string LandmarkPartReport::ToTable() const {
  std::string table = absl::StrFormat("%-8s %8s %8s\n", "part", "iou", "faces");
  for (int p = 0; p < kNumFaceParts; ++p) {
    table += absl::StrFormat("%-8s %8.4f %8d\n", FacePartName(p), mean_iou[p],
                             faces[p]);
  }
  table += absl::StrFormat("mean part IoU %.4f over %d faces\n", mean_part_iou,
                           total_faces);
  return table;
}

void LandmarkPartScore::Add(const std::array<double, kNumFaceParts>& iou) {
  ++faces_;
  for (int p = 0; p < kNumFaceParts; ++p) {
    if (std::isnan(iou[p])) continue;
    sum_[p] += iou[p];
    ++count_[p];
  }
}

LandmarkPartReport LandmarkPartScore::Report() const {
  LandmarkPartReport report;
  report.total_faces = faces_;
  double sum = 0;
  int parts = 0;
  for (int p = 0; p < kNumFaceParts; ++p) {
    report.faces[p] = count_[p];
    report.mean_iou[p] = count_[p] > 0 ? sum_[p] / count_[p] : kNaN;
    if (count_[p] > 0) {
      sum += report.mean_iou[p];
      ++parts;
    }
  }
  report.mean_part_iou = parts > 0 ? sum / parts : kNaN;
  return report;
}

}  // namespace facet
