#include "core/image/label_rendering.h"

#include <algorithm>
#include <cmath>

#include "core/image/image_resize.h"

namespace facet {
namespace {

// A 256-entry id -> RGB table, so a corrupt id can never index out of the
// palette.
struct ColorTable {
  uint8_t rgb[256][3];
  ColorTable() {
    for (int id = 0; id < 256; ++id) {
      const bool known = id < kNumLabels;
      rgb[id][0] = known ? kLabelPalette[id].r : 255;
      rgb[id][1] = known ? kLabelPalette[id].g : 255;
      rgb[id][2] = known ? kLabelPalette[id].b : 255;
    }
  }
};

const ColorTable& Colors() {
  static const ColorTable table;
  return table;
}

bool IsLabelMap(const cv::Mat& labels) {
  return !labels.empty() && labels.type() == CV_8UC1;
}

}  // namespace

cv::Mat ColorizeLabels(const cv::Mat& labels) {
  if (!IsLabelMap(labels)) return cv::Mat();
  const ColorTable& colors = Colors();
  cv::Mat out(labels.size(), CV_8UC3);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* in = labels.ptr<uint8_t>(y);
    uint8_t* px = out.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x, px += 3) {
      std::copy_n(colors.rgb[in[x]], 3, px);
    }
  }
  return out;
}

cv::Mat OverlayLabels(const cv::Mat& rgb, const cv::Mat& labels, double alpha) {
  if (rgb.empty() || rgb.type() != CV_8UC3 || !IsLabelMap(labels)) {
    return cv::Mat();
  }
  const cv::Mat ids = labels.size() == rgb.size()
                          ? labels
                          : ResizeLabels(labels, rgb.cols, rgb.rows);
  alpha = std::clamp(alpha, 0.0, 1.0);
  const ColorTable& colors = Colors();
  cv::Mat out = rgb.clone();
  for (int y = 0; y < out.rows; ++y) {
    const uint8_t* id = ids.ptr<uint8_t>(y);
    uint8_t* px = out.ptr<uint8_t>(y);
    for (int x = 0; x < out.cols; ++x, px += 3) {
      if (id[x] == 0) continue;
      for (int c = 0; c < 3; ++c) {
        px[c] = static_cast<uint8_t>(
            std::lround((1.0 - alpha) * px[c] + alpha * colors.rgb[id[x]][c]));
      }
    }
  }
  return out;
}

std::array<int64_t, kNumLabels> CountLabels(const cv::Mat& labels) {
  std::array<int64_t, kNumLabels> counts{};
  if (!IsLabelMap(labels)) return counts;
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* in = labels.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if (in[x] < kNumLabels) ++counts[in[x]];
    }
  }
  return counts;
}

}  // namespace facet
