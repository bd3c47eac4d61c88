#include "trainer/data/face_canvas.h"

#include <algorithm>
#include <cmath>

#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kShift = 4;  // Sub-pixel bits for OpenCV's polygon drawing.

}  // namespace

Poly Arc(cv::Point2d centre, double ax, double ay, double t0, double t1,
         int n) {
  Poly p;
  p.reserve(n + 1);
  for (int i = 0; i <= n; ++i) {
    const double t = t0 + (t1 - t0) * i / n;
    p.emplace_back(centre.x + ax * std::cos(t), centre.y + ay * std::sin(t));
  }
  return p;
}

Poly Ellipse(cv::Point2d centre, double ax, double ay, int n) {
  Poly p = Arc(centre, ax, ay, 0, 2 * kPi, n);
  p.pop_back();
  return p;
}

void Append(Poly* to, const Poly& from) {
  to->insert(to->end(), from.begin(), from.end());
}

FaceCanvas::FaceCanvas(int size, double angle_deg, double scale,
                       cv::Point2d offset)
    : size_(size), pixel_scale_(scale * size / kCanonicalSide) {
  const double k = size / kCanonicalSide;
  const double c = std::cos(angle_deg * kPi / 180) * scale;
  const double s = std::sin(angle_deg * kPi / 180) * scale;
  const double mid = kCanonicalSide / 2;
  pose_ = cv::Matx23d(k * c, -k * s, k * (mid + offset.x - c * mid + s * mid),
                      k * s, k * c, k * (mid + offset.y - s * mid - c * mid));
  image_ = cv::Mat(size, size, CV_8UC3);
  labels_ = cv::Mat::zeros(size, size, CV_8UC1);
  Unfocus();
}

void FaceCanvas::Focus(const std::vector<Poly>& polys, double pad) {
  double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
  for (const Poly& poly : polys) {
    for (const cv::Point2d& p : poly) {
      const cv::Point2d q = Transform(p);
      x0 = std::min(x0, q.x), y0 = std::min(y0, q.y);
      x1 = std::max(x1, q.x), y1 = std::max(y1, q.y);
    }
  }
  const double margin = pad * pixel_scale_ + 2;
  const cv::Rect r(cv::Point(static_cast<int>(std::floor(x0 - margin)),
                             static_cast<int>(std::floor(y0 - margin))),
                   cv::Point(static_cast<int>(std::ceil(x1 + margin)),
                             static_cast<int>(std::ceil(y1 + margin))));
  window_ = r & cv::Rect(0, 0, size_, size_);
  // Off the canvas: a harmless one-pixel window whose masks stay empty.
  if (window_.empty()) window_ = cv::Rect(0, 0, 1, 1);
}

cv::Point2d FaceCanvas::Transform(const cv::Point2d& p) const {
  return {pose_(0, 0) * p.x + pose_(0, 1) * p.y + pose_(0, 2),
          pose_(1, 0) * p.x + pose_(1, 1) * p.y + pose_(1, 2)};
}

std::vector<cv::Point> FaceCanvas::ToPixels(const Poly& poly) const {
  std::vector<cv::Point> out;
  out.reserve(poly.size());
  for (const cv::Point2d& p : poly) {
    const cv::Point2d q = Transform(p);
    out.emplace_back(
        static_cast<int>(std::lround((q.x - window_.x) * (1 << kShift))),
        static_cast<int>(std::lround((q.y - window_.y) * (1 << kShift))));
  }
  return out;
}

int FaceCanvas::Thickness(double canonical) const {
  return std::max(1, static_cast<int>(std::lround(canonical * pixel_scale_)));
}

void FaceCanvas::Fill(cv::Mat* target, const Poly& poly,
                      const cv::Scalar& value) const {
  const std::vector<std::vector<cv::Point>> pts = {ToPixels(poly)};
  cv::fillPoly(*target, pts, value, cv::LINE_8, kShift);
}

void FaceCanvas::Stroke(cv::Mat* target, const Poly& line, double thickness,
                        const cv::Scalar& value, bool closed) const {
  const std::vector<std::vector<cv::Point>> pts = {ToPixels(line)};
  cv::polylines(*target, pts, closed, value, Thickness(thickness), cv::LINE_8,
                kShift);
}

cv::Mat FaceCanvas::Mask(const Poly& poly) const {
  cv::Mat m = NewMask();
  Fill(&m, poly, 255);
  return m;
}

void FaceCanvas::Paint(int id, const cv::Mat& mask, const cv::Scalar& color) {
  image_(window_).setTo(color, mask);
  labels_(window_).setTo(id, mask);
}

void FaceCanvas::PaintLayer(int id, const cv::Mat& mask, const cv::Mat& layer) {
  cv::Mat target = image_(window_);
  layer.copyTo(target, mask);
  labels_(window_).setTo(id, mask);
}

}  // namespace facet
