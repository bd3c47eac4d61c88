// FaceCanvas: where the synthetic faces are drawn. Shapes are given in a
// canonical 512 x 512 frame and posed by a similarity transform (rotation,
// scale, offset) onto a square canvas of any size, with sub-pixel
// precision. The canvas holds the two outputs, the RGB image and the label
// map, and paints a part into both from the same mask, so they agree
// exactly.
//
// Drawing happens in a window (a rectangle of the canvas, set by Focus) so
// that small parts cost little: masks and layers are window-sized, shapes
// are drawn relative to the window, and Paint writes only the window.
//
// Not thread-safe; one canvas per face.
#ifndef FACET_TRAINER_DATA_FACE_CANVAS_H_
#define FACET_TRAINER_DATA_FACE_CANVAS_H_

#include <vector>

#include "opencv2/core.hpp"

namespace facet {

inline constexpr double kCanonicalSide = 512.0;

// A polygon or polyline in canonical coordinates (y down).
using Poly = std::vector<cv::Point2d>;

// Points on an axis-aligned ellipse from angle t0 to t1 (radians, both
// included), n + 1 points.
Poly Arc(cv::Point2d centre, double ax, double ay, double t0, double t1,
         int n = 32);
// A closed ellipse of n points.
Poly Ellipse(cv::Point2d centre, double ax, double ay, int n = 32);
// Appends `from` to `*to`.
void Append(Poly* to, const Poly& from);

class FaceCanvas {
 public:
  // A `size` x `size` canvas; canonical point p lands at
  // size / 512 * (R(angle) * scale * (p - 256) + 256 + offset).
  FaceCanvas(int size, double angle_deg, double scale, cv::Point2d offset);

  FaceCanvas(const FaceCanvas&) = delete;
  FaceCanvas& operator=(const FaceCanvas&) = delete;

  // Sets the window to the canvas area that `polys` cover, widened by
  // `pad` canonical units (for strokes) and clipped to the canvas.
  void Focus(const std::vector<Poly>& polys, double pad = 2);
  // Sets the window to the whole canvas.
  void Unfocus() { window_ = cv::Rect(0, 0, size_, size_); }

  // The window's part of a canvas-sized matrix (shares its data).
  cv::Mat View(const cv::Mat& full) const { return full(window_); }
  // A zeroed window-sized CV_8UC1 mask.
  cv::Mat NewMask() const { return cv::Mat::zeros(window_.size(), CV_8UC1); }
  // A copy of the window's pixels, to draw a part on.
  cv::Mat Layer() const { return image_(window_).clone(); }
  // A window-sized layer filled with `color`.
  cv::Mat Layer(const cv::Scalar& color) const {
    return cv::Mat(window_.size(), CV_8UC3, color);
  }

  // Draw into a window-sized `target`.
  void Fill(cv::Mat* target, const Poly& poly, const cv::Scalar& value) const;
  void Stroke(cv::Mat* target, const Poly& line, double thickness,
              const cv::Scalar& value, bool closed = false) const;
  // NewMask() with `poly` filled with 255.
  cv::Mat Mask(const Poly& poly) const;

  // Writes `id` into the labels and `color` into the image where the
  // window-sized `mask` is set.
  void Paint(int id, const cv::Mat& mask, const cv::Scalar& color);
  // Writes `id` into the labels and the pixels of the window-sized `layer`
  // into the image where `mask` is set.
  void PaintLayer(int id, const cv::Mat& mask, const cv::Mat& layer);

  int size() const { return size_; }
  cv::Mat& image() { return image_; }    // CV_8UC3, RGB.
  cv::Mat& labels() { return labels_; }  // CV_8UC1.

 private:
  cv::Point2d Transform(const cv::Point2d& p) const;
  std::vector<cv::Point> ToPixels(const Poly& poly) const;
  int Thickness(double canonical) const;

  const int size_;
  const double pixel_scale_;  // Canvas pixels per canonical unit.
  cv::Matx23d pose_;
  cv::Rect window_;
  cv::Mat image_;
  cv::Mat labels_;
};

}  // namespace facet

#endif  // FACET_TRAINER_DATA_FACE_CANVAS_H_
