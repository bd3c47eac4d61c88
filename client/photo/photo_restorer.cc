#include "client/photo/photo_restorer.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "client/photo/face_alignment.h"
#include "core/image/label_rendering.h"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

// Brings a processed output to the crop's size and checks its type.
absl::Status Normalize(FaceOutputs* out, int size) {
  if (!out->restored.empty()) {
    if (out->restored.type() != CV_8UC3) {
      return absl::InvalidArgumentError("restored face is not 8-bit RGB");
    }
    if (out->restored.cols != size || out->restored.rows != size) {
      cv::resize(out->restored, out->restored, cv::Size(size, size), 0, 0,
                 cv::INTER_CUBIC);
    }
  }
  if (!out->labels.empty()) {
    if (out->labels.type() != CV_8UC1) {
      return absl::InvalidArgumentError("label map is not 8-bit");
    }
    if (out->labels.cols != size || out->labels.rows != size) {
      cv::resize(out->labels, out->labels, cv::Size(size, size), 0, 0,
                 cv::INTER_NEAREST_EXACT);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PhotoResult> RestorePhoto(const cv::Mat& photo,
                                         const std::vector<FoundFace>& faces,
                                         const CropProcessor& process,
                                         const PhotoOptions& options) {
  if (photo.empty() || photo.type() != CV_8UC3) {
    return absl::InvalidArgumentError("RestorePhoto expects 8-bit RGB");
  }
  if (options.crop_size < 16 || options.feather <= 0 ||
      options.feather >= 0.2) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad photo options: crop_size ", options.crop_size,
                     " (expected >= 16), feather ", options.feather,
                     " (expected in (0, 0.2))"));
  }
  const int size = options.crop_size;
  PhotoResult result;
  std::vector<cv::Mat> crops;
  std::vector<size_t> sent;  // Index into result.faces of each crop.
  for (const FoundFace& found : faces) {
    PhotoFace face;
    face.found = found;
    absl::StatusOr<cv::Mat> transform = EstimateAlignment(found.points, size);
    if (transform.ok()) {
      face.transform = *transform;
      face.crop = WarpToCrop(photo, face.transform, size);
      sent.push_back(result.faces.size());
      crops.push_back(face.crop);
    } else {
      face.status = transform.status();
    }
    result.faces.push_back(std::move(face));
  }

  std::vector<absl::StatusOr<FaceOutputs>> outputs;
  if (!crops.empty()) outputs = process(crops);
  for (size_t i = 0; i < sent.size(); ++i) {
    PhotoFace& face = result.faces[sent[i]];
    if (i >= outputs.size()) {
      face.status = absl::InternalError("no result for this face");
    } else if (!outputs[i].ok()) {
      face.status = outputs[i].status();
    } else {
      face.outputs = *std::move(outputs[i]);
      face.status = Normalize(&face.outputs, size);
    }
  }

  result.restored = photo.clone();
  result.overlay = photo.clone();
  const cv::Mat ellipse = MakeEllipseMask(size, options.feather);
  for (PhotoFace& face : result.faces) {
    if (!face.status.ok()) continue;
    const FaceOutputs& out = face.outputs;
    if (!out.restored.empty()) {
      cv::Mat mask = ellipse;
      if (options.mask == MaskKind::kParsing && !out.labels.empty()) {
        mask = MakeParsingMask(out.labels, size, options.feather);
      }
      absl::Status pasted =
          PasteCrop(out.restored, mask, face.transform, &result.restored);
      if (!pasted.ok()) face.status = pasted;
    }
    if (!out.labels.empty()) {
      // The overlay keeps the photo outside the labelled face, so it is
      // pasted through the parsing mask with a thin edge.
      const cv::Mat drawn =
          OverlayLabels(face.crop, out.labels, options.overlay_alpha);
      cv::Mat labelled = out.labels > 0;
      cv::Mat mask;
      labelled.convertTo(mask, CV_32FC1, 1.0 / 255.0);
      cv::GaussianBlur(mask, mask, cv::Size(), 1.0);
      absl::Status pasted =
          PasteCrop(drawn, mask, face.transform, &result.overlay);
      if (!pasted.ok()) face.status = pasted;
    }
  }
  // Number the faces on the overlay so reports can refer to them.
  for (size_t i = 0; i < result.faces.size(); ++i) {
    const cv::Rect box = result.faces[i].found.box;
    const cv::Scalar colour = result.faces[i].status.ok()
                                  ? cv::Scalar(0, 255, 0)
                                  : cv::Scalar(255, 0, 0);
    const int thickness = std::max(1, photo.cols / 1000);
    cv::rectangle(result.overlay, box, colour, thickness);
    cv::putText(result.overlay, std::to_string(i + 1),
                cv::Point(box.x, std::max(box.y - 4, 10)),
                cv::FONT_HERSHEY_SIMPLEX, std::max(0.4, box.width / 120.0),
                colour, thickness);
  }
  return result;
}

}  // namespace facet
