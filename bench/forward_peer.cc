// facet-forward-peer: Facet's side of the forward benchmark
// (bench/run_benchmarks.py): one FaceEngine (CreateFaceEngine, so any
// engine and precision this binary has) over a weights file, one face,
// batch 1, timed one forward at a time on command, so that the orchestrator
// can interleave it with the PyTorch and ONNX Runtime peers, which speak the
// same protocol (torch_forward.py, ort_forward.mjs).
//
//   facet-forward-peer --weights FILE --input FACE.rgb [--input_size 512]
//       [--engine auto] [--precision fp32] [--threads 0] [--runs N]
//   facet-forward-peer --list_engines
//
// FACE.rgb is input_size x input_size x 3 uint8 RGB. After loading and one
// warm-up forward it prints one JSON line {"ready": true, ...} (or
// {"ready": false, "error": ...} and exits 1 if the engine cannot be built,
// e.g. a precision the CPU lacks). With --runs N it then times N forwards
// and prints {"seconds": [...]}; otherwise it reads commands on stdin:
//   run          one timed Parse (forward + argmax); prints {"seconds": S}
//   labels PATH  writes the last label map (uint8, HxW) to PATH
// and exits at end of input. A timed Parse is what the server runs per
// batch of one: normalise the bytes, forward, argmax; no restored image.
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "core/engine/face_engine_factory.h"
#include "core/flags/parse_flags.h"
#include "core/repository/weights_loader.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, weights, "", "Weights: version folder, .safetensors or .pth.");
ABSL_FLAG(std::string, input, "", "The face: input_size x input_size x 3 uint8 RGB.");
ABSL_FLAG(int32_t, input_size, 512, "Network input side for a bare weights file.");
ABSL_FLAG(std::string, engine, "auto", "auto | onednn | torch.");
ABSL_FLAG(std::string, precision, "fp32", "fp32 | bf16 | int8 | fp16.");
ABSL_FLAG(int32_t, threads, 0, "Forward threads (0 = every usable core).");
ABSL_FLAG(int32_t, runs, 0, "Time this many forwards and exit (0 = read commands).");
ABSL_FLAG(bool, list_engines, false, "Print the engines built in (JSON) and exit.");

namespace facet {
namespace {

using Clock = std::chrono::steady_clock;

void Say(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

int Fail(const std::string& error) {
  Say({{"ready", false}, {"error", error}});
  return 1;
}

int Run() {
  if (absl::GetFlag(FLAGS_list_engines)) {
    Say({{"engines", AvailableEngines()}, {"usable_cores", UsableCores()}});
    return 0;
  }
  const auto t0 = Clock::now();
  absl::StatusOr<LoadedWeights> weights =
      LoadWeights(absl::GetFlag(FLAGS_weights), absl::GetFlag(FLAGS_input_size));
  if (!weights.ok()) return Fail(std::string(weights.status().message()));
  EngineOptions options;
  options.config = weights->config;
  options.engine = absl::GetFlag(FLAGS_engine);
  options.device = "cpu";
  options.precision = absl::GetFlag(FLAGS_precision);
  options.int8_scales_path = weights->int8_scales_path;
  options.threads = absl::GetFlag(FLAGS_threads);
  ModelResult<std::unique_ptr<FaceEngine>> engine =
      CreateFaceEngine(weights->tensors, options);
  if (!engine.ok()) return Fail(engine.status().ToString());

  const int64_t s = weights->config.in_size;
  std::ifstream in(absl::GetFlag(FLAGS_input), std::ios::binary);
  std::vector<uint8_t> pixels((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
  if (static_cast<int64_t>(pixels.size()) != s * s * 3) {
    return Fail(absl::GetFlag(FLAGS_input) + ": expected " + std::to_string(s * s * 3) +
                " bytes (" + std::to_string(s) + "x" + std::to_string(s) + "x3 RGB)");
  }
  const std::vector<RgbImageView> batch = {{pixels.data(), s, s}};
  ParseOptions parse_options;
  parse_options.want_restored = false;
  const double load_seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  std::vector<uint8_t> labels;
  std::string error;
  auto forward = [&]() -> double {
    const auto t = Clock::now();
    ModelResult<std::vector<ParseResult>> r = (*engine)->Parse(batch, parse_options);
    const double seconds = std::chrono::duration<double>(Clock::now() - t).count();
    if (!r.ok()) {
      error = r.status().ToString();
      return -1;
    }
    labels = std::move((*r)[0].labels);
    return seconds;
  };
  const double warmup = forward();
  if (warmup < 0) return Fail(error);
  Say({{"ready", true},
       {"peer", "facet"},
       {"engine", (*engine)->engine()},
       {"precision", (*engine)->precision()},
       {"describe", (*engine)->Describe()},
       {"threads", options.threads > 0 ? options.threads : UsableCores()},
       {"config", weights->config.ToString()},
       {"load_seconds", load_seconds},
       {"warmup_seconds", warmup}});

  if (absl::GetFlag(FLAGS_runs) > 0) {
    std::vector<double> seconds;
    for (int i = 0; i < absl::GetFlag(FLAGS_runs); ++i) {
      seconds.push_back(forward());
      if (seconds.back() < 0) return Fail(error);
    }
    Say({{"seconds", seconds}});
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream words(line);
    std::string cmd, arg;
    words >> cmd >> arg;
    if (cmd == "run" && arg.empty()) {
      const double seconds = forward();
      if (seconds < 0) return Fail(error);
      Say({{"seconds", seconds}});
    } else if (cmd == "labels" && !arg.empty()) {
      std::ofstream out(arg, std::ios::binary);
      out.write(reinterpret_cast<const char*>(labels.data()),
                static_cast<std::streamsize>(labels.size()));
      if (!out) return Fail("cannot write " + arg);
      Say({{"labels", arg}});
    } else if (!cmd.empty()) {
      Say({{"error", "unknown command " + line}});
    }
  }
  return 0;
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  facet::ParseFlags(argc, argv);
  return facet::Run();
}
