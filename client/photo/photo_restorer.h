// Whole-photo restoration (the paper's Solvay 1927 demonstration): align
// each found face to the template, have the crops processed (by a server,
// or anything else), and paste the results back into the photo.
//
// The processing step is a callback so this file knows nothing of RPCs;
// it receives all crops at once so the caller may process them
// concurrently. A face whose processing fails is left as it was in the
// photo and reported in its status; the others are still pasted.
//
// Thread safety: RestorePhoto is thread-safe; it calls `process` once, on
// the calling thread.

#ifndef FACET_CLIENT_PHOTO_PHOTO_RESTORER_H_
#define FACET_CLIENT_PHOTO_PHOTO_RESTORER_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/photo/face_finder.h"
#include "client/photo/face_paste.h"
#include "opencv2/core/mat.hpp"

namespace facet {

// What processing one aligned crop produced. Either may be empty (e.g. a
// parse without the restored face); sizes may differ from the crop's and
// are resampled to it (labels by nearest neighbour).
struct FaceOutputs {
  cv::Mat restored;  // CV_8UC3 RGB.
  cv::Mat labels;    // CV_8UC1 ids.
};

// Returns one result per crop, in order.
using CropProcessor = std::function<std::vector<absl::StatusOr<FaceOutputs>>(
    const std::vector<cv::Mat>& crops)>;

struct PhotoOptions {
  // Side of the aligned crops sent for processing.
  // Default: 512 (the network's input).
  int crop_size = 512;

  // Mask used to paste restored faces. kParsing falls back to the ellipse
  // for a face without labels.
  // Default: kEllipse.
  MaskKind mask = MaskKind::kEllipse;

  // Edge softness, a fraction of crop_size (see MakeEllipseMask).
  // Default: 0.03 (15 px at 512).
  double feather = 0.03;

  // Opacity of the label colours in the overlay photo.
  // Default: 0.5.
  double overlay_alpha = 0.5;
};

struct PhotoFace {
  FoundFace found;
  cv::Mat transform;    // Photo -> crop (2x3 CV_64F).
  cv::Mat crop;         // The aligned input, crop_size square RGB.
  absl::Status status;  // Alignment or processing error; OK otherwise.
  FaceOutputs outputs;  // Resampled to crop_size; empty unless OK.
};

struct PhotoResult {
  std::vector<PhotoFace> faces;  // In the order given.
  cv::Mat restored;              // The photo with restored faces pasted back.
  cv::Mat overlay;               // The photo with each face's parsing overlaid.
};

// Runs alignment, `process` and paste-back for `faces` of `photo`
// (CV_8UC3 RGB). InvalidArgument for a bad photo or options; per-face
// failures are in PhotoFace::status, not the returned status.
absl::StatusOr<PhotoResult> RestorePhoto(const cv::Mat& photo,
                                         const std::vector<FoundFace>& faces,
                                         const CropProcessor& process,
                                         const PhotoOptions& options);

}  // namespace facet

#endif  // FACET_CLIENT_PHOTO_PHOTO_RESTORER_H_
