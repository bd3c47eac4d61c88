// The 19 face-parsing labels (CelebAMask-HQ order, 0 = background), their
// CelebAMask-HQ part names and the RGB colour each is drawn in, exactly as
// the model spec's section 5 table: Facet's one label table, used by the
// server, the client, the trainer's datasets (the names are those in
// CelebAMask-HQ's mask file names, `<k as 5 digits>_<name>.png`) and the
// renderers. The ids are the network's output channels and appear in
// label-map files: never renumber or reorder them.
//
// Thread safety: constant data; safe from any thread.

#ifndef FACET_CORE_IMAGE_LABEL_PALETTE_H_
#define FACET_CORE_IMAGE_LABEL_PALETTE_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace facet {

// The ids by name. Values are stored in label maps and mask files: never
// renumber.
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

inline constexpr int kNumLabels = 19;

struct LabelInfo {
  const char* name;  // Short CelebAMask-HQ name, e.g. "l_brow".
  uint8_t r, g, b;   // Drawing colour.
};

// Indexed by label id.
inline constexpr std::array<LabelInfo, kNumLabels> kLabelPalette = {{
    {"background", 0, 0, 0},    // 0
    {"skin", 204, 0, 0},        // 1
    {"nose", 76, 153, 0},       // 2
    {"eye_g", 204, 204, 0},     // 3 eyeglasses
    {"l_eye", 51, 51, 255},     // 4
    {"r_eye", 204, 0, 204},     // 5
    {"l_brow", 0, 255, 255},    // 6
    {"r_brow", 255, 204, 204},  // 7
    {"l_ear", 102, 51, 0},      // 8
    {"r_ear", 255, 0, 0},       // 9
    {"mouth", 102, 204, 0},     // 10
    {"u_lip", 255, 255, 0},     // 11
    {"l_lip", 0, 0, 153},       // 12
    {"hair", 0, 0, 204},        // 13
    {"hat", 255, 51, 153},      // 14
    {"ear_r", 0, 204, 204},     // 15 earring
    {"neck_l", 0, 51, 0},       // 16 necklace
    {"neck", 255, 153, 51},     // 17
    {"cloth", 0, 204, 0},       // 18
}};

// The small inner parts of the face (nose, eyes, brows, mouth, lips): what
// `facet-trainer train --part_loss_weight` weights.
inline constexpr std::array<int, 8> kInnerFacePartLabels = {
    kNose,      kLeftEye, kRightEye, kLeftBrow,
    kRightBrow, kMouth,   kUpperLip, kLowerLip};

// The label a part takes in the mirror image (left and right eyes, brows
// and ears swap; every other label, and any id outside the table, stays).
// Left and right are the person's own, as in CelebAMask-HQ.
inline constexpr int MirroredLabel(int id) {
  switch (id) {
    case kLeftEye:
      return kRightEye;
    case kRightEye:
      return kLeftEye;
    case kLeftBrow:
      return kRightBrow;
    case kRightBrow:
      return kLeftBrow;
    case kLeftEar:
      return kRightEar;
    case kRightEar:
      return kLeftEar;
    default:
      return id;
  }
}

// Returns the entry for `id`.
// REQUIRES: 0 <= id < kNumLabels.
inline const LabelInfo& Label(int id) { return kLabelPalette[id]; }

// Returns the id whose name is `name` (exact match), or -1 if none.
int FindLabel(std::string_view name);

static_assert(kCloth + 1 == kNumLabels, "FaceLabel and kNumLabels disagree");

}  // namespace facet

#endif  // FACET_CORE_IMAGE_LABEL_PALETTE_H_
