// photo: the paper's whole-photo demonstration. Faces are found and
// aligned here, the 512 crops are parsed and restored by the server, and
// the results are pasted back into the photo.

#include <cstring>
#include <iostream>
#include <mutex>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/cli_common.h"
#include "client/cli/client_flags.h"
#include "client/cli/commands.h"
#include "client/facet_client.h"
#include "client/photo/face_finder.h"
#include "client/photo/photo_restorer.h"
#include "core/image/image_decoder.h"
#include "core/image/image_encoder.h"
#include "core/image/label_rendering.h"
#include "nlohmann/json.hpp"

namespace facet {
namespace {

// Wraps a RAW EncodedImage as a Mat (copied), checking its size.
absl::StatusOr<cv::Mat> FromRaw(const v1::EncodedImage& image, int channels) {
  if (image.encoding() != v1::IMAGE_ENCODING_RAW ||
      image.channels() != channels || image.width() < 1 || image.height() < 1 ||
      image.data().size() !=
          static_cast<size_t>(image.width()) * image.height() * channels) {
    return absl::DataLossError(absl::StrCat(
        "server answered a malformed raw image (", image.width(), "x",
        image.height(), "x", image.channels(), ", ", image.data().size(),
        " bytes; expected ", channels, " channels)"));
  }
  cv::Mat mat(image.height(), image.width(), channels == 1 ? CV_8UC1 : CV_8UC3,
              const_cast<char*>(image.data().data()));
  return mat.clone();
}

// Sends every crop to the server as raw RGB and asks for raw outputs (no
// PNG round trips on either side).
CropProcessor ServerProcessor(const FaceClient& client, int concurrency,
                              bool show_progress) {
  return
      [&client, concurrency, show_progress](const std::vector<cv::Mat>& crops) {
        std::vector<v1::ParseRequest> requests(crops.size());
        for (size_t i = 0; i < crops.size(); ++i) {
          const cv::Mat& crop = crops[i];
          v1::RawImage* raw = requests[i].mutable_image()->mutable_raw();
          raw->set_data(reinterpret_cast<const char*>(crop.data),
                        crop.total() * crop.elemSize());
          raw->set_width(crop.cols);
          raw->set_height(crop.rows);
          raw->set_format(v1::PIXEL_FORMAT_RGB);
          requests[i].set_output_size(v1::OUTPUT_SIZE_INPUT);
          requests[i].set_label_encoding(v1::IMAGE_ENCODING_RAW);
          requests[i].set_image_encoding(v1::IMAGE_ENCODING_RAW);
          requests[i].set_want_restored(true);
        }
        ProgressBar progress("faces", crops.size(), show_progress);
        size_t done = 0, failed = 0;
        auto responses = client.ParseMany(
            requests, concurrency,
            [&](size_t, const absl::StatusOr<v1::ParseResponse>& r) {
              ++done;
              if (!r.ok()) ++failed;
              progress.Update(done, failed);
            });
        std::vector<absl::StatusOr<FaceOutputs>> outputs;
        for (auto& response : responses) {
          if (!response.ok()) {
            outputs.push_back(response.status());
            continue;
          }
          absl::StatusOr<cv::Mat> labels = FromRaw(response->labels(), 1);
          absl::StatusOr<cv::Mat> restored = FromRaw(response->restored(), 3);
          if (!labels.ok()) {
            outputs.push_back(labels.status());
          } else if (!restored.ok()) {
            outputs.push_back(restored.status());
          } else {
            outputs.push_back(FaceOutputs{*restored, *labels});
          }
        }
        return outputs;
      };
}

}  // namespace

int RunPhoto(const std::vector<std::string>& args) {
  const bool json = absl::GetFlag(FLAGS_json);
  if (args.size() != 1) {
    std::cerr << "facet-client photo: give exactly one photo file\n";
    return kExitUsage;
  }
  const std::string& path = args[0];
  PhotoOptions photo_options;
  absl::StatusOr<MaskKind> mask = ParseMaskKind(absl::GetFlag(FLAGS_mask));
  if (!mask.ok()) {
    std::cerr << "facet-client photo: --mask: " << mask.status().message()
              << "\n";
    return kExitUsage;
  }
  photo_options.mask = *mask;
  photo_options.feather = absl::GetFlag(FLAGS_feather);
  FaceFinder::Options finder_options;
  finder_options.min_face_px = absl::GetFlag(FLAGS_min_face);
  finder_options.landmark_model = absl::GetFlag(FLAGS_landmark_model);
  finder_options.eye_cascade = absl::GetFlag(FLAGS_eye_cascade);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  if (concurrency < 1 || concurrency > 1024) {
    std::cerr << "facet-client photo: --concurrency is " << concurrency
              << "; expected 1 to 1024\n";
    return kExitUsage;
  }
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  absl::StatusOr<std::unique_ptr<FaceClient>> client =
      options.ok()
          ? FaceClient::Create(*options)
          : absl::StatusOr<std::unique_ptr<FaceClient>>(options.status());
  if (!client.ok()) {
    std::cerr << "facet-client: " << client.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<FaceFinder>> finder =
      FaceFinder::Create(finder_options);
  if (!finder.ok()) {
    std::cerr << "facet-client photo: " << finder.status().message() << "\n";
    return finder.status().code() == absl::StatusCode::kInvalidArgument
               ? kExitUsage
               : kExitLocalError;
  }
  // Whole photos are larger than face crops: allow up to 100 Mpx.
  DecodeLimits limits;
  limits.max_bytes = int64_t{256} << 20;
  limits.max_side = 32768;
  limits.max_pixels = 100'000'000;
  absl::StatusOr<cv::Mat> photo = ReadImageFile(path, limits);
  if (!photo.ok()) {
    std::cerr << "facet-client photo: " << photo.status().message() << "\n";
    return kExitLocalError;
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  std::set<std::string> stems;
  const std::string stem = UniqueStem(path, &stems);
  const std::string faces_dir = absl::StrCat(out, "/", stem, ".faces");
  if (absl::Status made = MakeDirs(faces_dir); !made.ok()) {
    std::cerr << "facet-client photo: " << made.message() << "\n";
    return kExitLocalError;
  }

  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<FoundFace>> faces = (*finder)->Find(*photo);
  if (!faces.ok()) {
    std::cerr << "facet-client photo: " << faces.status().message() << "\n";
    return kExitLocalError;
  }
  const double find_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  absl::StatusOr<PhotoResult> result =
      RestorePhoto(*photo, *faces,
                   ServerProcessor(**client, concurrency,
                                   absl::GetFlag(FLAGS_progress) && !json),
                   photo_options);
  if (!result.ok()) {
    std::cerr << "facet-client photo: " << result.status().message() << "\n";
    return kExitUsage;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  // Files: the two photos, then per face its crop and outputs.
  absl::Status written = absl::OkStatus();
  const std::string restored_path =
      absl::StrCat(out, "/", stem, ".restored.png");
  const std::string overlay_path = absl::StrCat(out, "/", stem, ".overlay.png");
  written.Update(WriteImageFile(restored_path, result->restored));
  written.Update(WriteImageFile(overlay_path, result->overlay));
  int restored = 0, failed = 0;
  std::string tsv = "face\tx\ty\tw\th\tscore\talignment\tstatus\n";
  nlohmann::json face_list = nlohmann::json::array();
  for (size_t i = 0; i < result->faces.size(); ++i) {
    const PhotoFace& face = result->faces[i];
    const std::string base = absl::StrFormat("%s/%02d", faces_dir, i + 1);
    if (!face.crop.empty()) {
      written.Update(WriteImageFile(base + ".input.png", face.crop));
    }
    if (face.status.ok()) {
      ++restored;
      written.Update(
          WriteImageFile(base + ".restored.png", face.outputs.restored));
      written.Update(WriteImageFile(base + ".labels.png", face.outputs.labels));
      written.Update(WriteImageFile(base + ".color.png",
                                    ColorizeLabels(face.outputs.labels)));
    } else {
      ++failed;
    }
    const cv::Rect2f& b = face.found.box;
    const char* alignment = face.found.from_landmarks ? "landmarks" : "box";
    const std::string status = face.status.ok()
                                   ? "OK"
                                   : absl::StrCat(CodeName(face.status.code()),
                                                  ": ", face.status.message());
    tsv += absl::StrFormat("%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.3f\t%s\t%s\n", i + 1,
                           b.x, b.y, b.width, b.height, face.found.score,
                           alignment, status);
    face_list.push_back({{"face", i + 1},
                         {"box", {b.x, b.y, b.width, b.height}},
                         {"score", face.found.score},
                         {"alignment", alignment},
                         {"ok", face.status.ok()},
                         {"status", status}});
  }
  const std::string tsv_path = absl::StrCat(out, "/", stem, ".faces.tsv");
  written.Update(WriteFileBytes(tsv_path, tsv));
  if (!written.ok()) {
    std::cerr << "facet-client photo: " << written.message() << "\n";
    return kExitLocalError;
  }
  bool all_unreachable = failed > 0 && restored == 0;
  for (const PhotoFace& face : result->faces) {
    if (!IsUnreachable(face.status.code())) all_unreachable = false;
  }
  const int exit_code = failed == 0       ? kExitOk
                        : all_unreachable ? kExitUnreachable
                                          : kExitSomeFailed;
  if (json) {
    nlohmann::json doc = {{"command", "photo"},
                          {"input", path},
                          {"width", photo->cols},
                          {"height", photo->rows},
                          {"faces_found", result->faces.size()},
                          {"restored", restored},
                          {"failed", failed},
                          {"landmarks", (*finder)->has_landmarks()},
                          {"find_seconds", find_seconds},
                          {"seconds", seconds},
                          {"restored_photo", restored_path},
                          {"overlay_photo", overlay_path},
                          {"faces_dir", faces_dir},
                          {"faces_tsv", tsv_path},
                          {"faces", face_list},
                          {"exit_code", exit_code}};
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << absl::StrFormat(
        "photo: %d faces found in %s (%dx%d, aligned from %s) in %.2f s; "
        "%d restored, %d failed; %.2f s in all\n",
        result->faces.size(), path, photo->cols, photo->rows,
        (*finder)->has_landmarks() ? "68 landmarks" : "boxes", find_seconds,
        restored, failed, seconds);
    std::cout << "  restored photo  " << restored_path << "\n"
              << "  overlay photo   " << overlay_path << "\n"
              << "  faces           " << faces_dir << "/ and " << tsv_path
              << "\n";
    for (size_t i = 0; i < result->faces.size(); ++i) {
      if (result->faces[i].status.ok()) continue;
      std::cout << "  FAILED face " << i + 1 << ": "
                << CodeName(result->faces[i].status.code()) << ": "
                << result->faces[i].status.message() << "\n";
    }
  }
  return exit_code;
}

}  // namespace facet
