#include "core/image/label_palette.h"

namespace facet {

int FindLabel(std::string_view name) {
  for (int id = 0; id < kNumLabels; ++id) {
    if (name == kLabelPalette[id].name) return id;
  }
  return -1;
}

}  // namespace facet
