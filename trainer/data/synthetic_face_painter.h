// PaintSyntheticFace: draws one procedural face and its exact label map.
//
// A face is built from simple shapes (polygons, ellipses, strokes) laid out
// in a canonical frame and then posed by a random similarity transform
// (rotation, scale, offset) plus a small sideways turn of the inner
// features. The layout is that of a real face aligned to the spec's
// five-point template (section 10) with textbook proportions, so that
// a model trained on these faces meets real aligned faces at the same
// scale (docs/fidelity.md); the pose only adds the alignment's residual
// error. Eyes have shaded sclera and lash lines, and after all parts the
// image alone (not the labels) gets eye-socket, nose and lip shadows and,
// on some faces, a moustache or beard over the skin (labelled skin, as
// CelebAMask-HQ does). Every part is rasterised once into a mask; the image and
// the label map are painted from the same masks, part by part in label-id order
// (spec section 8's merge rule: a later id wins where parts overlap), so the
// labels match the pixels exactly. Where a real face's depth order differs
// from id order, the nearer part is cut out of the farther one's mask first
// (back hair does not cover the face; the neck and cloth leave the necklace
// and earrings visible), as the CelebAMask-HQ annotators did.
//
// Parts and how often they appear: background, skin, nose, both eyes, both
// brows, both lips, neck and cloth always (unless the pose pushes them off
// the canvas); ears ~80% (hidden by some long hair); hair ~88% in five
// styles (short, long, bob, curly, and bangs on any of them); mouth (the
// open inner mouth, mostly slightly parted) ~50%; hat ~15%; eyeglasses ~20%;
// earrings ~20% of faces with a visible ear; necklace ~20%.
//
// "Left" parts (l_eye, l_brow, l_ear) are drawn on the image's left side.
//
// Deterministic: the result depends on (seed, index, size) only.
// Thread-safe (no shared state). Costs a few milliseconds at 512.
#ifndef FACET_TRAINER_DATA_SYNTHETIC_FACE_PAINTER_H_
#define FACET_TRAINER_DATA_SYNTHETIC_FACE_PAINTER_H_

#include <cstdint>

#include "trainer/data/face_dataset.h"

namespace facet {

// Paints face number `index` of the set seeded by `seed` at `size` x `size`
// (the layout is defined at 512 and scaled). REQUIRES: size >= 64.
FaceSample PaintSyntheticFace(uint64_t seed, uint64_t index, int size = 512);

}  // namespace facet

#endif  // FACET_TRAINER_DATA_SYNTHETIC_FACE_PAINTER_H_
