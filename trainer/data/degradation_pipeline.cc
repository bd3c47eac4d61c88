#include "trainer/data/degradation_pipeline.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "trainer/data/sample_rng.h"

namespace facet {
namespace {

int CvInterpolation(DownscaleInterpolation interpolation) {
  switch (interpolation) {
    case DownscaleInterpolation::kNearest:
      return cv::INTER_NEAREST;
    case DownscaleInterpolation::kLinear:
      return cv::INTER_LINEAR;
    case DownscaleInterpolation::kArea:
      return cv::INTER_AREA;
    case DownscaleInterpolation::kCubic:
      return cv::INTER_CUBIC;
  }
  return cv::INTER_LINEAR;
}

int MakeOdd(int k) { return k % 2 == 1 ? k : k + 1; }

void ApplyBlur(const DegradationParams& p, cv::Mat* img) {
  const int k = p.blur_kernel;
  switch (p.blur_kind) {
    case BlurKind::kGaussian:
      cv::GaussianBlur(*img, *img, cv::Size(k, k), p.gaussian_sigma,
                       p.gaussian_sigma, cv::BORDER_REFLECT_101);
      break;
    case BlurKind::kAverage:
      cv::blur(*img, *img, cv::Size(k, k), cv::Point(-1, -1),
               cv::BORDER_REFLECT_101);
      break;
    case BlurKind::kMedian:
      cv::medianBlur(*img, *img, k);
      break;
    case BlurKind::kMotion:
      cv::filter2D(*img, *img, -1,
                   MotionBlurKernel(k, p.motion_angle_deg, p.motion_direction),
                   cv::Point(-1, -1), 0, cv::BORDER_REFLECT_101);
      break;
  }
}

void ApplyNoise(const DegradationParams& p, cv::Mat* img) {
  cv::RNG rng(p.noise_seed);
  cv::Mat noisy;
  img->convertTo(noisy, CV_32FC3);
  cv::Mat noise;
  if (p.noise_per_channel) {
    noise.create(img->size(), CV_32FC3);
    rng.fill(noise, cv::RNG::NORMAL, 0.0, p.noise_sigma);
  } else {
    cv::Mat shared(img->size(), CV_32FC1);
    rng.fill(shared, cv::RNG::NORMAL, 0.0, p.noise_sigma);
    cv::merge(std::vector<cv::Mat>{shared, shared, shared}, noise);
  }
  noisy += noise;
  noisy.convertTo(*img, CV_8UC3);  // Rounds and saturates.
}

absl::Status ApplyJpeg(const DegradationParams& p, cv::Mat* img) {
  // JPEG's colour transform assumes BGR order in OpenCV. libjpeg's defaults,
  // which OpenCV keeps, subsample chroma 4:2:0.
  cv::Mat bgr;
  cv::cvtColor(*img, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> bytes;
  if (!cv::imencode(".jpg", bgr, bytes,
                    {cv::IMWRITE_JPEG_QUALITY, p.jpeg_quality})) {
    return absl::InternalError(
        absl::StrCat("JPEG encoding failed at quality ", p.jpeg_quality));
  }
  bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);
  if (bgr.empty()) return absl::InternalError("JPEG decoding failed");
  cv::cvtColor(bgr, *img, cv::COLOR_BGR2RGB);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DegradationPipeline> DegradationPipeline::Create(
    const DegradationOptions& options) {
  absl::Status status = options.Validate();
  if (!status.ok()) return status;
  return DegradationPipeline(options);
}

DegradationParams DegradationPipeline::SampleParams(uint64_t seed,
                                                    uint64_t index) const {
  const DegradationOptions& o = options_;
  SampleRng rng(seed, RngStream::kDegradation, index);
  DegradationParams p;
  // Every value is drawn, in a fixed order, whether or not its step runs.
  p.gray = rng.Bernoulli(o.gray_probability) && o.enable_gray;

  p.blur = rng.Bernoulli(o.blur_probability) && o.enable_blur;
  p.blur_kind = static_cast<BlurKind>(rng.UniformInt(0, kNumBlurKinds - 1));
  p.gaussian_sigma = rng.Uniform(o.gaussian_sigma_min, o.gaussian_sigma_max);
  const int box =
      static_cast<int>(rng.UniformInt(o.box_kernel_min, o.box_kernel_max));
  const int motion = static_cast<int>(
      rng.UniformInt(o.motion_kernel_min, o.motion_kernel_max));
  p.motion_angle_deg = rng.Uniform(0.0, 360.0);
  p.motion_direction = rng.Uniform(-1.0, 1.0);
  switch (p.blur_kind) {
    case BlurKind::kGaussian:
      p.blur_kernel = GaussianKernelSize(p.gaussian_sigma);
      break;
    case BlurKind::kAverage:
      p.blur_kernel = box;
      break;
    case BlurKind::kMedian:
      p.blur_kernel = MakeOdd(box);
      break;
    case BlurKind::kMotion:
      p.blur_kernel = MakeOdd(motion);
      break;
  }

  p.downscale = o.enable_downscale;
  p.downscale_size =
      static_cast<int>(rng.UniformInt(o.downscale_min, o.downscale_max));
  p.downscale_interpolation = static_cast<DownscaleInterpolation>(
      rng.UniformInt(0, kNumDownscaleInterpolations - 1));

  p.noise = rng.Bernoulli(o.noise_probability) && o.enable_noise;
  p.noise_sigma = rng.Uniform(0.0, o.noise_sigma_max);
  p.noise_per_channel = rng.Bernoulli(o.noise_per_channel_probability);
  p.noise_seed = rng.Next();

  p.jpeg = rng.Bernoulli(o.jpeg_probability) && o.enable_jpeg;
  p.jpeg_compression = static_cast<int>(
      rng.UniformInt(o.jpeg_compression_min, o.jpeg_compression_max));
  p.jpeg_quality = JpegQualityFromCompression(p.jpeg_compression);
  return p;
}

absl::StatusOr<DegradedFace> DegradationPipeline::Apply(
    const cv::Mat& hq_rgb, const DegradationParams& params) const {
  // OpenCV reports failures by exception; none may leave this module.
  try {
    return ApplySteps(hq_rgb, params);
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("degradation (", params.ToString(),
                                            ") failed in OpenCV: ", e.what()));
  }
}

absl::StatusOr<DegradedFace> DegradationPipeline::ApplySteps(
    const cv::Mat& hq_rgb, const DegradationParams& params) const {
  if (hq_rgb.empty()) {
    return absl::InvalidArgumentError("cannot degrade an empty image");
  }
  if (hq_rgb.type() != CV_8UC3) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot degrade an image of OpenCV type ", hq_rgb.type(),
                     "; expected CV_8UC3 (RGB, 8 bits)"));
  }
  const int work = options_.work_size;
  DegradedFace out;
  out.params = params;
  if (hq_rgb.rows == work && hq_rgb.cols == work) {
    out.hq = hq_rgb.clone();
  } else {
    const bool shrink = hq_rgb.rows * hq_rgb.cols > work * work;
    cv::resize(hq_rgb, out.hq, cv::Size(work, work), 0, 0,
               shrink ? cv::INTER_AREA : cv::INTER_CUBIC);
  }
  if (params.gray) {
    cv::Mat gray;
    cv::cvtColor(out.hq, gray, cv::COLOR_RGB2GRAY);
    cv::cvtColor(gray, out.hq, cv::COLOR_GRAY2RGB);
  }

  cv::Mat img = out.hq.clone();
  if (params.blur) ApplyBlur(params, &img);
  if (params.downscale) {
    const int r = params.downscale_size;
    cv::resize(img, img, cv::Size(r, r), 0, 0,
               CvInterpolation(params.downscale_interpolation));
  }
  if (params.noise) ApplyNoise(params, &img);
  if (params.jpeg) {
    absl::Status status = ApplyJpeg(params, &img);
    if (!status.ok()) return status;
  }
  if (img.rows != work || img.cols != work) {
    cv::resize(img, img, cv::Size(work, work), 0, 0, cv::INTER_CUBIC);
  }
  out.lq = img;

  const int net = options_.net_size;
  if (net < work) {
    cv::resize(out.lq, out.lq, cv::Size(net, net), 0, 0, cv::INTER_AREA);
    cv::resize(out.hq, out.hq, cv::Size(net, net), 0, 0, cv::INTER_AREA);
  }
  return out;
}

cv::Mat MotionBlurKernel(int size, double angle_deg, double direction) {
  cv::Mat line = cv::Mat::zeros(size, size, CV_32FC1);
  const double start = (direction + 1.0) / 2.0;
  const int c = size / 2;
  for (int i = 0; i < size; ++i) {
    const double t = size == 1 ? 0.0 : static_cast<double>(i) / (size - 1);
    line.at<float>(i, c) = static_cast<float>(start + (1.0 - 2.0 * start) * t);
  }
  cv::Mat rotation = cv::getRotationMatrix2D(cv::Point2f(c, c), angle_deg, 1.0);
  cv::Mat kernel;
  cv::warpAffine(line, kernel, rotation, line.size(), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, 0);
  const double sum = cv::sum(kernel)[0];
  if (sum <= 1e-6) {
    // Only reachable for a one-pixel line weighted to zero: keep identity.
    kernel = cv::Mat::zeros(size, size, CV_32FC1);
    kernel.at<float>(c, c) = 1.0f;
    return kernel;
  }
  return kernel / sum;
}

}  // namespace facet
