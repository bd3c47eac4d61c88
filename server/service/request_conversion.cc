#include "server/service/request_conversion.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/image/image_encoder.h"
#include "core/image/image_resize.h"
#include "core/image/label_palette.h"
#include "core/image/label_rendering.h"
#include "opencv2/imgproc.hpp"

namespace facet {
namespace {

int Quality(int32_t q) { return q == 0 ? 95 : q; }

absl::Status CheckQuality(int32_t q) {
  if (q < 0 || q > 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "jpeg_quality ", q, " is out of range; use 1..100 (0 means 95)"));
  }
  return absl::OkStatus();
}

// Encodes `image` (CV_8UC1 or CV_8UC3 RGB) into `out`.
absl::Status Encode(const cv::Mat& image, v1::ImageEncoding encoding,
                    int quality, v1::EncodedImage* out) {
  if (encoding == v1::IMAGE_ENCODING_UNSPECIFIED) {
    encoding = v1::IMAGE_ENCODING_PNG;
  }
  out->set_encoding(encoding);
  out->set_width(image.cols);
  out->set_height(image.rows);
  out->set_channels(image.channels());
  if (encoding == v1::IMAGE_ENCODING_RAW) {
    cv::Mat packed = image.isContinuous() ? image : image.clone();
    out->set_data(reinterpret_cast<const char*>(packed.data),
                  packed.total() * packed.elemSize());
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> bytes = encoding == v1::IMAGE_ENCODING_JPEG
                                          ? EncodeJpeg(image, quality)
                                          : EncodePng(image);
  if (!bytes.ok()) return bytes.status();
  out->set_data(std::move(bytes).value());
  return absl::OkStatus();
}

cv::Mat ResizeImage(const cv::Mat& rgb, int width, int height) {
  if (rgb.cols == width && rgb.rows == height) return rgb;
  cv::Mat out;
  cv::resize(rgb, out, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  return out;
}

// The output size for `request_size`: the input's or the network's.
cv::Size OutputSize(v1::OutputSize request_size, const cv::Mat& original,
                    const ParseResult& result) {
  if (request_size == v1::OUTPUT_SIZE_NETWORK) {
    return cv::Size(static_cast<int>(result.width),
                    static_cast<int>(result.height));
  }
  return cv::Size(original.cols, original.rows);
}

absl::Status BuildRestored(const cv::Mat& original, const ParseResult& result,
                           v1::OutputSize size, v1::ImageEncoding encoding,
                           int32_t quality, v1::EncodedImage* out) {
  if (result.restored.empty()) {
    return absl::InternalError("the network returned no restored image");
  }
  cv::Mat restored(static_cast<int>(result.height),
                   static_cast<int>(result.width), CV_8UC3,
                   const_cast<uint8_t*>(result.restored.data()));
  const cv::Size s = OutputSize(size, original, result);
  return Encode(ResizeImage(restored, s.width, s.height), encoding,
                Quality(quality), out);
}

}  // namespace

absl::StatusOr<cv::Mat> DecodeRequestImage(const v1::Image& image,
                                           const DecodeLimits& limits) {
  switch (image.source_case()) {
    case v1::Image::kEncoded: {
      absl::StatusOr<cv::Mat> decoded = DecodeImage(image.encoded(), limits);
      if (decoded.ok()) return decoded;
      // core/image names its byte limit --max_bytes; the server's flag is
      // --max_image_bytes, and the message should name what to change.
      return absl::Status(
          decoded.status().code(),
          absl::StrReplaceAll(decoded.status().message(),
                              {{"--max_bytes=", "--max_image_bytes="}}));
    }
    case v1::Image::kRaw: {
      const v1::RawImage& raw = image.raw();
      PixelLayout layout;
      switch (raw.format()) {
        case v1::PIXEL_FORMAT_RGB:
          layout = PixelLayout::kRgb;
          break;
        case v1::PIXEL_FORMAT_BGR:
          layout = PixelLayout::kBgr;
          break;
        case v1::PIXEL_FORMAT_GRAY:
          layout = PixelLayout::kGray;
          break;
        default:
          return absl::InvalidArgumentError(
              absl::StrCat("raw image: pixel format ", raw.format(),
                           " is not one of PIXEL_FORMAT_RGB, PIXEL_FORMAT_BGR, "
                           "PIXEL_FORMAT_GRAY"));
      }
      return ImageFromRawPixels(raw.data(), raw.width(), raw.height(), layout,
                                limits);
    }
    default:
      return absl::InvalidArgumentError(
          "the request has no image: set image.encoded (JPEG, PNG, WebP, "
          "BMP or TIFF bytes) or image.raw");
  }
}

absl::Status CheckParseOptions(const v1::ParseRequest& request) {
  if (request.label_encoding() == v1::IMAGE_ENCODING_JPEG) {
    return absl::InvalidArgumentError(
        "label_encoding IMAGE_ENCODING_JPEG is refused: lossy compression "
        "changes label ids; use IMAGE_ENCODING_PNG or IMAGE_ENCODING_RAW");
  }
  if (!v1::ImageEncoding_IsValid(request.label_encoding()) ||
      !v1::ImageEncoding_IsValid(request.image_encoding()) ||
      !v1::OutputSize_IsValid(request.output_size())) {
    return absl::InvalidArgumentError(
        "unknown enum value in label_encoding, image_encoding or "
        "output_size");
  }
  return CheckQuality(request.jpeg_quality());
}

absl::Status CheckEnhanceOptions(const v1::EnhanceRequest& request) {
  if (!v1::ImageEncoding_IsValid(request.encoding()) ||
      !v1::OutputSize_IsValid(request.output_size())) {
    return absl::InvalidArgumentError(
        "unknown enum value in encoding or output_size");
  }
  return CheckQuality(request.jpeg_quality());
}

absl::Status BuildParseResponse(const v1::ParseRequest& request,
                                const cv::Mat& original,
                                const ParseResult& result,
                                v1::ParseResponse* response) {
  cv::Mat net_labels(static_cast<int>(result.height),
                     static_cast<int>(result.width), CV_8UC1,
                     const_cast<uint8_t*>(result.labels.data()));
  const cv::Size s = OutputSize(request.output_size(), original, result);
  cv::Mat labels = (s.width == net_labels.cols && s.height == net_labels.rows)
                       ? net_labels
                       : ResizeLabels(net_labels, s.width, s.height);
  absl::Status status =
      Encode(labels, request.label_encoding(), 95, response->mutable_labels());
  if (!status.ok()) return status;
  const int quality = Quality(request.jpeg_quality());
  if (request.want_color()) {
    status = Encode(ColorizeLabels(labels), request.image_encoding(), quality,
                    response->mutable_color());
    if (!status.ok()) return status;
  }
  if (request.want_overlay()) {
    status =
        Encode(OverlayLabels(ResizeImage(original, s.width, s.height), labels),
               request.image_encoding(), quality, response->mutable_overlay());
    if (!status.ok()) return status;
  }
  if (request.want_class_counts()) {
    const auto counts = CountLabels(labels);
    for (int id = 0; id < kNumLabels; ++id) {
      v1::ClassCount* count = response->add_class_counts();
      count->set_label(id);
      count->set_name(kLabelPalette[id].name);
      count->set_pixels(counts[id]);
    }
  }
  if (request.want_restored()) {
    return BuildRestored(original, result, request.output_size(),
                         request.image_encoding(), request.jpeg_quality(),
                         response->mutable_restored());
  }
  return absl::OkStatus();
}

absl::Status BuildEnhanceResponse(const v1::EnhanceRequest& request,
                                  const cv::Mat& original,
                                  const ParseResult& result,
                                  v1::EnhanceResponse* response) {
  return BuildRestored(original, result, request.output_size(),
                       request.encoding(), request.jpeg_quality(),
                       response->mutable_restored());
}

void BuildModelInfoResponse(const ServableModel& model,
                            v1::GetModelInfoResponse* response) {
  response->set_model_name(model.name);
  response->set_version(model.version);
  v1::NetConfig* c = response->mutable_config();
  c->set_in_size(model.config.in_size);
  c->set_out_size(model.config.out_size);
  c->set_min_feat_size(model.config.min_feat_size);
  c->set_base_ch(model.config.base_ch);
  c->set_parsing_ch(model.config.parsing_ch);
  c->set_res_depth(model.config.res_depth);
  c->set_ch_lo(model.config.ch_lo);
  c->set_ch_hi(model.config.ch_hi);
  for (int id = 0; id < kNumLabels; ++id) {
    v1::Label* label = response->add_labels();
    label->set_id(id);
    label->set_name(kLabelPalette[id].name);
    label->set_r(kLabelPalette[id].r);
    label->set_g(kLabelPalette[id].g);
    label->set_b(kLabelPalette[id].b);
  }
  response->set_device(model.engine->device());
  response->set_precision(model.engine->precision());
  response->set_engine(model.engine->engine());
  response->set_source(model.source);
  if (model.manifest) {
    for (const auto& [name, value] : model.manifest->metrics) {
      (*response->mutable_metrics())[name] = value;
    }
    response->set_step(model.manifest->step);
    response->set_created_at(model.manifest->created_at);
  }
}

}  // namespace facet
