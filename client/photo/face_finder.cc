#include "client/photo/face_finder.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dlib/image_processing.h"
#include "dlib/image_processing/frontal_face_detector.h"
#include "dlib/opencv/cv_image.h"
#include "opencv2/imgproc.hpp"
#include "opencv2/objdetect.hpp"

namespace facet {
namespace {

// dlib's HOG detector scans an 80 x 80 window over an image pyramid.
constexpr double kDetectorWindowPx = 80.0;

// Indices of the spec's five points among the 68 landmarks (iBUG order).
constexpr int kFivePointIndex[5] = {45, 42, 36, 39, 33};

// Mean positions of those landmarks within dlib's detector box, as
// fractions of its width and height (measured on 29 Solvay faces plus the
// astronaut; the spread is a few percent).
constexpr float kPointInBox[5][2] = {{0.772f, 0.275f},
                                     {0.611f, 0.285f},
                                     {0.214f, 0.294f},
                                     {0.373f, 0.292f},
                                     {0.495f, 0.594f}};

// Returns how many of the two expected eye centres (from `points`, photo
// pixels) lie inside an eye the cascade finds in the upper part of `box`.
// Requiring the eyes where the face's own points put them rejects
// patterned clothing, whose "eyes" land anywhere. The region is rescaled
// so a face is ~200 px wide: the cascade's 20 px window then fits the eyes
// of faces of any size.
int CountEyes(cv::CascadeClassifier& cascade, const cv::Mat& gray,
              const cv::Rect2f& box, const std::array<cv::Point2f, 5>& points) {
  cv::Rect upper(cv::Rect2f(box.x, box.y, box.width, box.height * 0.6f));
  upper &= cv::Rect(0, 0, gray.cols, gray.rows);
  if (upper.width < 4 || upper.height < 4) return 0;
  const double zoom = 200.0 / box.width;
  cv::Mat roi;
  cv::resize(gray(upper), roi, cv::Size(), zoom, zoom,
             zoom > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
  cv::equalizeHist(roi, roi);
  std::vector<cv::Rect> eyes;
  cascade.detectMultiScale(roi, eyes, 1.1, 2, 0, cv::Size(20, 20),
                           cv::Size(90, 90));
  int found = 0;
  for (const cv::Point2f centre :
       {(points[0] + points[1]) * 0.5f, (points[2] + points[3]) * 0.5f}) {
    const cv::Point2f in_roi((centre.x - upper.x) * zoom,
                             (centre.y - upper.y) * zoom);
    for (const cv::Rect& eye : eyes) {
      if (cv::Rect2f(eye).contains(in_roi)) {
        ++found;
        break;
      }
    }
  }
  return found;
}

}  // namespace

struct FaceFinder::Impl {
  Options options;
  // dlib's detector caches features between calls: not const, so guarded.
  mutable std::mutex detector_mutex;
  mutable dlib::frontal_face_detector detector;
  dlib::shape_predictor predictor;
  bool has_predictor = false;
  // detectMultiScale is not const either; guarded by detector_mutex.
  mutable cv::CascadeClassifier eye_cascade;
  bool has_eye_cascade = false;
};

FaceFinder::FaceFinder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceFinder::~FaceFinder() = default;

bool FaceFinder::has_landmarks() const { return impl_->has_predictor; }

absl::StatusOr<std::unique_ptr<FaceFinder>> FaceFinder::Create(
    const Options& options) {
  if (options.min_face_px < 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_face_px is ", options.min_face_px, "; expected at least 8"));
  }
  if (options.max_detect_pixels < 10'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_detect_pixels is ", options.max_detect_pixels,
                     "; expected at least 10000"));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->detector = dlib::get_frontal_face_detector();
  const std::string& path = options.landmark_model;
  if (!path.empty() && path != "box") {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat(
          "landmark model ", path,
          " not found (Debian package libdlib-data installs it; pass "
          "--landmark_model=box to align from the face boxes instead)"));
    }
    try {
      dlib::deserialize(path) >> impl->predictor;
    } catch (const std::exception& e) {
      return absl::DataLossError(absl::StrCat(
          "cannot read landmark model ", path,
          " (expected dlib's shape_predictor_68_face_landmarks.dat): ",
          e.what()));
    }
    if (impl->predictor.num_parts() != 68) {
      return absl::InvalidArgumentError(
          absl::StrCat("landmark model ", path, " has ",
                       impl->predictor.num_parts(), " points; expected 68"));
    }
    impl->has_predictor = true;
  }
  if (options.eye_cascade != "none") {
    struct stat st;
    if (stat(options.eye_cascade.c_str(), &st) != 0) {
      return absl::NotFoundError(absl::StrCat(
          "eye cascade ", options.eye_cascade,
          " not found (Debian package opencv-data installs it; pass "
          "--eye_cascade=none to skip the eye check)"));
    }
    bool loaded = false;
    try {
      loaded = impl->eye_cascade.load(options.eye_cascade);
    } catch (const cv::Exception&) {
      loaded = false;
    }
    if (!loaded || impl->eye_cascade.empty()) {
      return absl::DataLossError(
          absl::StrCat("cannot read eye cascade ", options.eye_cascade,
                       " (expected an OpenCV cascade XML file)"));
    }
    impl->has_eye_cascade = true;
  }
  return std::unique_ptr<FaceFinder>(new FaceFinder(std::move(impl)));
}

absl::StatusOr<std::vector<FoundFace>> FaceFinder::Find(
    const cv::Mat& rgb) const {
  if (rgb.empty() || rgb.type() != CV_8UC3) {
    return absl::InvalidArgumentError(
        "FaceFinder::Find expects a non-empty 8-bit RGB image");
  }
  const Options& options = impl_->options;
  double scale = std::max(1.0, kDetectorWindowPx / options.min_face_px);
  const double pixels = static_cast<double>(rgb.total());
  if (pixels * scale * scale > options.max_detect_pixels) {
    scale = std::sqrt(options.max_detect_pixels / pixels);
  }
  cv::Mat gray;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  if (std::abs(scale - 1.0) > 1e-6) {
    cv::resize(gray, gray, cv::Size(), scale, scale,
               scale > 1 ? cv::INTER_LINEAR : cv::INTER_AREA);
  }
  dlib::cv_image<unsigned char> image(gray);

  std::vector<dlib::rect_detection> detections;
  try {
    std::lock_guard<std::mutex> lock(impl_->detector_mutex);
    impl_->detector(image, detections, options.score_threshold);
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("face detection failed: ", e.what()));
  }

  cv::Mat full_gray;
  if (impl_->has_eye_cascade) cv::cvtColor(rgb, full_gray, cv::COLOR_RGB2GRAY);
  std::vector<FoundFace> faces;
  for (const dlib::rect_detection& d : detections) {
    FoundFace face;
    const dlib::rectangle& r = d.rect;
    face.box = cv::Rect2f(r.left() / scale, r.top() / scale, r.width() / scale,
                          r.height() / scale);
    face.score = d.detection_confidence;
    if (impl_->has_predictor) {
      const dlib::full_object_detection shape = impl_->predictor(image, r);
      for (int k = 0; k < 5; ++k) {
        const dlib::point& p = shape.part(kFivePointIndex[k]);
        face.points[k] = cv::Point2f(p.x() / scale, p.y() / scale);
      }
      face.from_landmarks = true;
      face.landmarks.reserve(shape.num_parts());
      for (unsigned long k = 0; k < shape.num_parts(); ++k) {
        face.landmarks.emplace_back(shape.part(k).x() / scale,
                                    shape.part(k).y() / scale);
      }
    } else {
      face.points = PointsFromBox(face.box);
    }
    if (face.score < options.sure_score) {
      if (impl_->has_eye_cascade) {
        {
          std::lock_guard<std::mutex> lock(impl_->detector_mutex);
          face.eyes =
              CountEyes(impl_->eye_cascade, full_gray, face.box, face.points);
        }
        if (face.eyes < (face.score >= 0 ? 1 : 2)) continue;
      } else if (face.score < 0) {
        continue;
      }
    }
    faces.push_back(face);
  }
  std::sort(faces.begin(), faces.end(),
            [](const FoundFace& a, const FoundFace& b) {
              return a.box.area() > b.box.area();
            });
  return faces;
}

std::array<cv::Point2f, 5> PointsFromBox(const cv::Rect2f& box) {
  std::array<cv::Point2f, 5> points;
  for (int k = 0; k < 5; ++k) {
    points[k] = cv::Point2f(box.x + kPointInBox[k][0] * box.width,
                            box.y + kPointInBox[k][1] * box.height);
  }
  return points;
}

double BoxIou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

}  // namespace facet
