// Conversions between facet.v1 messages and the server's plain types:
// input images to RGB pixels (with the decode limits), network outputs to
// encoded response images at the requested size, and a loaded model to its
// GetModelInfo description.
//
// Thread safety: pure functions; safe from any thread.
#ifndef FACET_SERVER_SERVICE_REQUEST_CONVERSION_H_
#define FACET_SERVER_SERVICE_REQUEST_CONVERSION_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/image/image_decoder.h"
#include "core/model/face_parser.h"
#include "facet/v1/facet.pb.h"
#include "opencv2/core/mat.hpp"
#include "server/manager/model_handle.h"

namespace facet {

// Decodes `image` (encoded or raw) into continuous CV_8UC3 RGB within
// `limits`. InvalidArgument naming what was wrong (no image, unknown pixel
// format, a limit and its flag) otherwise.
absl::StatusOr<cv::Mat> DecodeRequestImage(const v1::Image& image,
                                           const DecodeLimits& limits);

// InvalidArgument unless the encodings and JPEG quality are usable.
absl::Status CheckParseOptions(const v1::ParseRequest& request);
absl::Status CheckEnhanceOptions(const v1::EnhanceRequest& request);

// Fills `response` (all but `info`) from one network result for the input
// `original` (RGB, the decoded request image).
absl::Status BuildParseResponse(const v1::ParseRequest& request,
                                const cv::Mat& original,
                                const ParseResult& result,
                                v1::ParseResponse* response);
absl::Status BuildEnhanceResponse(const v1::EnhanceRequest& request,
                                  const cv::Mat& original,
                                  const ParseResult& result,
                                  v1::EnhanceResponse* response);

// Fills what `model` knows of GetModelInfo: name, version, configuration,
// label table, engine, device, precision, source and, for a repository
// version, the manifest's metrics, step and creation time. The policy,
// failed versions and batch sizes are the caller's.
void BuildModelInfoResponse(const ServableModel& model,
                            v1::GetModelInfoResponse* response);

}  // namespace facet

#endif  // FACET_SERVER_SERVICE_REQUEST_CONVERSION_H_
