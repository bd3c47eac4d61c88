// Fuzzes the server's request path without a server or a network
// (server/service/request_conversion.h, core/model/face_engine.h): the
// bytes are a facet.v1.ParseRequest as gRPC would deliver it; its options
// are checked, its image (encoded or raw) decoded within small limits,
// resized to a 16 px network input and validated as a batch, and a
// response built from a made-up network result at that size. Every step
// either succeeds or returns an error; nothing may crash.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/model/face_engine.h"
#include "core/model/net_config.h"
#include "facet/v1/facet.pb.h"
#include "opencv2/imgproc.hpp"
#include "server/service/request_conversion.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  facet::v1::ParseRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!facet::CheckParseOptions(request).ok()) return 0;
  facet::DecodeLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_side = 512;
  limits.max_pixels = 128 * 128;
  absl::StatusOr<cv::Mat> image =
      facet::DecodeRequestImage(request.image(), limits);
  if (!image.ok()) return 0;
  FUZZ_CHECK(image->type() == CV_8UC3 && image->isContinuous(),
             "decoded request image is not continuous CV_8UC3");

  // A 16 px network: in 16, out 16, min_feat 4, base 8, parsing 19.
  const facet::NetConfig config{16, 16, 4, 8, 19, 1, 8, 16};
  cv::Mat input;
  cv::resize(*image, input, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
  const std::vector<facet::RgbImageView> batch = {
      {input.data, input.rows, input.cols}};
  FUZZ_CHECK(facet::ValidateBatch(batch, config).ok(),
             "a 16x16 image does not validate for a 16 px network");

  facet::ParseResult result;
  result.height = 16;
  result.width = 16;
  result.labels.resize(16 * 16);
  for (size_t i = 0; i < result.labels.size(); ++i) result.labels[i] = i % 19;
  result.restored.assign(input.data, input.data + 16 * 16 * 3);
  facet::v1::ParseResponse response;
  const absl::Status built =
      facet::BuildParseResponse(request, *image, result, &response);
  FUZZ_CHECK(built.ok(),
             "a checked request with a decoded image gets no response");
  return 0;
}
