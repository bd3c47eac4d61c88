// The 19 face-parsing classes in CelebAMask-HQ order (spec section 5).
//
// The ids are the values stored in label maps and predicted by the network;
// never renumber them. The names are the part names used in CelebAMask-HQ's
// mask file names (`<k as 5 digits>_<name>.png`).
#ifndef FACET_TRAINER_DATA_FACE_LABELS_H_
#define FACET_TRAINER_DATA_FACE_LABELS_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace facet {

enum FaceLabel : uint8_t {
  kBackground = 0,
  kSkin = 1,
  kNose = 2,
  kEyeGlasses = 3,
  kLeftEye = 4,
  kRightEye = 5,
  kLeftBrow = 6,
  kRightBrow = 7,
  kLeftEar = 8,
  kRightEar = 9,
  kMouth = 10,
  kUpperLip = 11,
  kLowerLip = 12,
  kHair = 13,
  kHat = 14,
  kEarring = 15,
  kNecklace = 16,
  kNeck = 17,
  kCloth = 18,
};

inline constexpr int kNumFaceLabels = 19;

// Indexed by id.
inline constexpr std::array<std::string_view, kNumFaceLabels> kFaceLabelNames =
    {"background", "skin",  "nose",   "eye_g", "l_eye", "r_eye", "l_brow",
     "r_brow",     "l_ear", "r_ear",  "mouth", "u_lip", "l_lip", "hair",
     "hat",        "ear_r", "neck_l", "neck",  "cloth"};

// Returns the id whose name is `name`, or -1 when there is none.
inline int FaceLabelFromName(std::string_view name) {
  for (int id = 0; id < kNumFaceLabels; ++id) {
    if (kFaceLabelNames[id] == name) return id;
  }
  return -1;
}

}  // namespace facet

#endif  // FACET_TRAINER_DATA_FACE_LABELS_H_
