// MirrorAveragingEngine: test-time mirror averaging. Every face is parsed
// twice, as given and mirrored left to right, by the engine it wraps; the
// mirrored outputs are mirrored back (left and right labels swapped: eyes,
// brows, ears) and averaged with the direct ones before the argmax. The
// restored face is the average of the two restorations.
//
// Why: a network trained on synthetic faces answers real faces noisily, and
// the noise of the two views is partly independent, so their average parses
// real faces better (docs/fidelity.md measures it) at twice the forward
// cost. The result is mirror-equivariant by construction: parsing the
// mirror image gives exactly the mirror of the parse, labels swapped.
//
// Thread safety: as the wrapped engine (Parse may run concurrently).
#ifndef FACET_CORE_ENGINE_MIRROR_AVERAGING_ENGINE_H_
#define FACET_CORE_ENGINE_MIRROR_AVERAGING_ENGINE_H_

#include <memory>

#include "core/model/face_engine.h"
#include "core/model/model_status.h"

namespace facet {

// Wraps `inner`. InvalidArgument if `inner` is null or its network does not
// have the 19 CelebAMask-HQ labels (the left/right pairs are theirs).
ModelResult<std::unique_ptr<FaceEngine>> WrapWithMirrorAveraging(
    std::unique_ptr<FaceEngine> inner);

}  // namespace facet

#endif  // FACET_CORE_ENGINE_MIRROR_AVERAGING_ENGINE_H_
