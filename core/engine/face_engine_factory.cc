#include "core/engine/face_engine_factory.h"

#include "core/engine/mirror_averaging_engine.h"
#include "core/model/cuda_device.h"
#include "core/model/face_parser.h"
#ifdef FACET_HAVE_ONEDNN
#include "core/onednn/onednn_face_engine.h"
#endif

namespace facet {

std::vector<std::string> AvailableEngines() {
#ifdef FACET_HAVE_ONEDNN
  return {"onednn", "torch"};
#else
  return {"torch"};
#endif
}

namespace {

// The engine `options` asks for, before mirror averaging.
ModelResult<std::unique_ptr<FaceEngine>> CreateForwardEngine(
    const RawTensorMap& weights, const EngineOptions& options) {
  ModelResult<Precision> precision = ParsePrecision(options.precision);
  if (!precision.ok()) return precision.status();
  const std::string& engine = options.engine;
  if (engine != "auto" && engine != "onednn" && engine != "torch") {
    return ModelStatus::InvalidArgument("engine \"" + engine +
                                        "\": expected auto, onednn or torch");
  }
  const int threads = options.threads > 0 ? options.threads : UsableCores();
  const bool cuda_device = DeviceIsCuda(options.device);

  bool use_onednn = engine == "onednn";
  if (engine == "auto" && !cuda_device) {
#ifdef FACET_HAVE_ONEDNN
    use_onednn = OnednnSupports(*precision);
#endif
  }
  if (use_onednn) {
    if (cuda_device && options.device != "auto" && !options.device.empty()) {
      return ModelStatus::InvalidArgument(
          "engine \"onednn\" runs on the CPU, but device \"" + options.device +
          "\" was asked for: use --engine torch or --device cpu");
    }
#ifdef FACET_HAVE_ONEDNN
    OnednnEngineOptions onednn;
    onednn.config = options.config;
    onednn.precision = *precision;
    onednn.threads = threads;
    if (*precision == Precision::kInt8) {
      if (options.int8_scales_path.empty()) {
        return ModelStatus::FailedPrecondition(
            "precision \"int8\" needs the activation scales of these weights; "
            "none was "
            "given (make them with `facet-trainer calibrate --weights "
            "WEIGHTS`)");
      }
      ModelResult<Int8Scales> scales =
          ReadInt8ScalesFile(options.int8_scales_path);
      if (scales.status().code() == ModelErrorCode::kNotFound) {
        return ModelStatus::FailedPrecondition(
            "precision \"int8\" needs the activation scales file " +
            options.int8_scales_path +
            ", which does not exist: make it with `facet-trainer calibrate "
            "--weights WEIGHTS` "
            "(the same weights), or use fp32 or bf16");
      }
      if (!scales.ok()) return scales.status();
      onednn.int8_scales = std::move(*scales);
      onednn.int8_scales_source = options.int8_scales_path;
    }
    ModelResult<std::unique_ptr<FaceEngine>> created =
        CreateOnednnFaceEngine(weights, onednn);
    if (!created.ok()) return created.status();
    return std::move(*created);
#else
    return ModelStatus::FailedPrecondition(
        "engine \"onednn\" is not built into this binary (configure with "
        "-DFACET_WITH_ONEDNN=ON and libdnnl-dev installed); use --engine "
        "torch or auto");
#endif
  }

  FaceParserOptions parser;
  parser.config = options.config;
  parser.device = options.device;
  parser.intra_op_threads = threads;
  parser.fold_batch_norm = options.fold_batch_norm;
  parser.precision = *precision;
  parser.channels_last = options.channels_last;
  parser.cuda_graphs = options.cuda_graphs;
  ModelResult<std::unique_ptr<FaceParser>> created =
      FaceParser::Create(weights, parser);
  if (!created.ok()) return created.status();
  return std::unique_ptr<FaceEngine>(std::move(*created));
}

}  // namespace

ModelResult<std::unique_ptr<FaceEngine>> CreateFaceEngine(
    const RawTensorMap& weights, const EngineOptions& options) {
  ModelResult<std::unique_ptr<FaceEngine>> engine =
      CreateForwardEngine(weights, options);
  if (!engine.ok() || !options.mirror_average) return engine;
  return WrapWithMirrorAveraging(std::move(*engine));
}

}  // namespace facet
