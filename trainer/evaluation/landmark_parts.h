// Face parts from dlib's 68 landmarks, and how well a parse matches them:
// the real-face score of `facet-trainer evaluate --data landmarks:PATH`
// (docs/fidelity.md).
//
// The landmarks (iBUG 300-W order) give every real face approximate parts,
// rasterised as filled polygons:
//   brows  17-21 and 22-26: each brow's points run along its upper edge, so
//          the brow is that polyline drawn as a band kBrowThickness x the
//          inter-ocular distance thick, shifted down by half of it;
//   eyes   36-41 and 42-47;
//   nose   the convex hull of 27-35 (bridge and nostril base);
//   lips   the outer lip contour 48-59 minus the inner one 60-67;
//   mouth  the inner lip contour 60-67 (the opening), scored only on faces
//          whose mouth is open (its area at least kOpenMouthShare of the
//          outer contour's; closed mouths have no opening to find);
//   skin   the face oval: jaw 0-16 closed over the brows (26 back to 17).
// The 19 classes map onto them with left and right merged (spec section 5):
//   brows {l_brow, r_brow}, eyes {l_eye, r_eye}, nose {nose},
//   lips {u_lip, l_lip}, mouth {mouth}, and skin the whole face inside the
//   oval: {skin, nose, eye_g, l_eye, r_eye, l_brow, r_brow, mouth, u_lip,
//   l_lip}, since the oval contains those parts. Hair, ears, neck, cloth,
//   hat and jewellery have no landmarks and are not scored.
//
// Thread safety: free functions are thread-safe; a LandmarkPartScore is not.

#ifndef FACET_TRAINER_EVALUATION_LANDMARK_PARTS_H_
#define FACET_TRAINER_EVALUATION_LANDMARK_PARTS_H_

#include <array>
#include <cstdint>
#include <string>

#include "opencv2/core/mat.hpp"
#include "opencv2/core/types.hpp"

namespace facet {

enum FacePart {
  kPartBrows = 0,
  kPartEyes,
  kPartNose,
  kPartLips,
  kPartMouth,
  kPartSkin,
  kNumFaceParts
};

// "brows", "eyes", "nose", "lips", "mouth", "skin".
const char* FacePartName(int part);

// A brow band's thickness as a share of the distance between the eye
// centres (~0.15: about 9 mm on a 63 mm inter-ocular distance).
inline constexpr double kBrowThickness = 0.15;
// The mouth opening must cover this share of the outer lip contour to count
// as open.
inline constexpr double kOpenMouthShare = 0.1;

using Landmarks68 = std::array<cv::Point2f, 68>;

// One 8-bit mask per part (255 inside, 0 outside), all of one size.
using PartMasks = std::array<cv::Mat, kNumFaceParts>;

// Rasterises the parts of `landmarks` (pixel coordinates of a `size` image)
// as above. The mouth mask is empty (no rows) when the mouth is closed.
PartMasks LandmarkPartMasks(const Landmarks68& landmarks, cv::Size size);

// The parts a label map (CV_8UC1 class ids) predicts, with the class sets
// above. REQUIRES: labels is a non-empty CV_8UC1.
PartMasks PredictedPartMasks(const cv::Mat& labels);

// Per-part intersection over union of `predicted` against `truth`; NaN for a
// part whose truth mask is empty or has no rows (not scored on this face).
// REQUIRES: masks of one part have one size.
std::array<double, kNumFaceParts> PartIou(const PartMasks& predicted,
                                          const PartMasks& truth);

// A label map drawing the truth parts in the palette's colours (brows as
// l_brow, eyes as l_eye, nose, lips as u_lip, mouth, skin), for overlays.
cv::Mat PartMasksToLabels(const PartMasks& truth);

struct LandmarkPartReport {
  std::array<double, kNumFaceParts>
      mean_iou;  // Over the faces scoring the part; NaN if none.
  std::array<int64_t, kNumFaceParts> faces;  // Faces scoring each part.
  double mean_part_iou =
      0;  // Mean of the parts' means (parts with faces); NaN if none.
  int64_t total_faces = 0;  // Faces added.

  // One line per part (name, IoU, faces), then the mean.
  std::string ToTable() const;
};

// Averages per-part IoUs over faces.
class LandmarkPartScore {
 public:
  // Adds one face's PartIou (NaN parts are skipped).
  void Add(const std::array<double, kNumFaceParts>& iou);
  LandmarkPartReport Report() const;

 private:
  std::array<double, kNumFaceParts> sum_{};
  std::array<int64_t, kNumFaceParts> count_{};
  int64_t faces_ = 0;
};

}  // namespace facet

#endif  // FACET_TRAINER_EVALUATION_LANDMARK_PARTS_H_
