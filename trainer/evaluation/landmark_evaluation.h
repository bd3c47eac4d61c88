// The real-face score (`facet-trainer evaluate --data landmarks:PATH`):
// finds and aligns the faces of real photos exactly as `facet-client photo`
// does (client/photo: dlib detector, 68 landmarks, the spec's five-point
// similarity to the 512 px template), parses each aligned face with a
// network, and scores the parse against the parts the landmarks outline
// (landmark_parts.h). Needs no labelled data set.
//
// Thread safety: EvaluateOnLandmarks may run concurrently with other calls;
// it uses the engine and finder through their thread-safe methods.

#ifndef FACET_TRAINER_EVALUATION_LANDMARK_EVALUATION_H_
#define FACET_TRAINER_EVALUATION_LANDMARK_EVALUATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/photo/face_finder.h"
#include "core/image/image_resize.h"
#include "core/model/face_engine.h"
#include "trainer/evaluation/landmark_parts.h"

namespace facet {

struct LandmarkEvaluationOptions {
  // Side of the aligned crop the parts are scored at (the parse is resized
  // up to it, nearest). Default: 512, the spec's template.
  int crop_size = 512;
  // Filter resizing the aligned crop to the network's input. Default: bilinear.
  ResizeFilter filter = ResizeFilter::kBilinear;
  // When not empty: writes a PNG contact sheet here, one column per face
  // (aligned input, parse overlaid, landmark parts overlaid), at most
  // sheet_faces faces, sheet_columns per band. Default: "" (none).
  std::string sheet_path;
  int sheet_faces = 16;   // Default: 16.
  int sheet_columns = 8;  // Default: 8.
  int sheet_cell = 128;   // Cell side in pixels. Default: 128.
};

struct LandmarkFileResult {
  std::string path;
  int faces = 0;        // Faces scored.
  std::string problem;  // Why the file gave no face ("" if it did).
};

struct LandmarkEvaluation {
  LandmarkPartReport report;
  std::vector<LandmarkFileResult> files;
};

// `path` itself when it is a file, else the image files (.jpg, .jpeg, .png,
// .webp, .bmp, .tif, .tiff, any case) directly in the folder, sorted.
// NotFound naming `path` if it does not exist; InvalidArgument if a folder
// holds no image.
absl::StatusOr<std::vector<std::string>> ListLandmarkImages(
    const std::string& path);

// Scores `engine` on every face `finder` finds in `files`. An unreadable
// image or one without a face is recorded in `files` with its problem and
// skipped; errors of the engine are returned. FailedPrecondition if the
// finder has no landmark model (parts need the 68 landmarks).
absl::StatusOr<LandmarkEvaluation> EvaluateOnLandmarks(
    const FaceEngine& engine, const FaceFinder& finder,
    const std::vector<std::string>& files,
    const LandmarkEvaluationOptions& options);

}  // namespace facet

#endif  // FACET_TRAINER_EVALUATION_LANDMARK_EVALUATION_H_
