// facet-bench-gpu: Facet's LibTorch engine on a GPU (or, for the smoke test,
// the CPU) at several batch sizes, precisions and with or without CUDA
// graphs. Needs only facet_model (LibTorch and the standard library), so it
// builds on a machine that has a CUDA PyTorch and nothing else
// (bench/gpu.sh). It makes its own published-configuration weights (random,
// with random BatchNorm statistics) and inputs, writes them for the PyTorch
// peer (bench/gpu/torch_peer.py), and prints one JSON object per row.
//
//   facet-bench-gpu --out DIR [--device cuda] [--config published|tiny|...]
//       [--batches 1,8,32,64] [--precisions fp32,fp16,bf16] [--graphs both]
//       [--seconds 2] [--smoke]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/model/face_parser.h"
#include "core/model/face_parsing_net.h"
#include "core/model/net_config.h"
#include "core/model/pth_writer.h"
#include "core/model/state_dict.h"

namespace facet {
namespace {

struct Flags {
  std::string out;
  std::string device = "cuda";
  std::string config = "published";
  std::vector<int> batches = {1, 8, 32, 64};
  std::vector<std::string> precisions = {"fp32", "fp16", "bf16"};
  std::string graphs = "both";  // off | on | both
  double seconds = 2.0;         // Timed seconds per row (at least 3 runs).
  bool smoke = false;
};

constexpr char kUsage[] =
    "usage: facet-bench-gpu --out DIR [--device cuda|cuda:N|cpu] "
    "[--config published|small|tiny|in,out,...] [--batches 1,8,32,64] "
    "[--precisions fp32,fp16,bf16] [--graphs off|on|both] [--seconds S] "
    "[--smoke]\n";

// A bad command line: the error and the usage on stderr, exit status 2.
[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "facet-bench-gpu: " << error << "\n" << kUsage;
  std::exit(2);
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--out") f.out = value();
    else if (arg == "--device") f.device = value();
    else if (arg == "--config") f.config = value();
    else if (arg == "--precisions") f.precisions = Split(value());
    else if (arg == "--graphs") f.graphs = value();
    else if (arg == "--smoke") f.smoke = true;
    else if (arg == "--seconds") {
      const std::string v = value();
      char* end = nullptr;
      f.seconds = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || f.seconds <= 0) Usage("--seconds " + v + ": expected a positive number");
    } else if (arg == "--batches") {
      f.batches.clear();
      for (const std::string& b : Split(value())) {
        char* end = nullptr;
        const long n = std::strtol(b.c_str(), &end, 10);
        if (end == b.c_str() || *end != '\0' || n < 1 || n > 4096) Usage("--batches: bad size \"" + b + "\"");
        f.batches.push_back(static_cast<int>(n));
      }
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;  // Asked for: stdout, success.
      std::exit(0);
    } else {
      Usage("unknown flag " + arg);
    }
  }
  if (f.out.empty()) Usage("--out DIR is required");
  if (f.graphs != "off" && f.graphs != "on" && f.graphs != "both") Usage("--graphs " + f.graphs + ": expected off, on or both");
  return f;
}

// Published-configuration weights with random BatchNorm statistics, so that
// folding and reduced precision meet realistic scales.
RawTensorMap RandomWeights(const NetConfig& config, uint64_t seed) {
  torch::manual_seed(seed);
  FaceParsingNet net(config);
  RawTensorMap tensors = ExtractStateDict(net);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> mean(0.f, 0.3f), bias(0.f, 0.2f);
  std::uniform_real_distribution<float> var(0.5f, 2.f), gamma(0.5f, 1.5f);
  auto ends_with = [](const std::string& s, const std::string& t) {
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
  };
  for (auto& [name, t] : tensors) {
    if (t.dtype != DType::kFloat32) continue;
    float* v = reinterpret_cast<float*>(t.data.data());
    const int64_t n = t.numel();
    for (int64_t i = 0; i < n; ++i) {
      if (ends_with(name, "running_mean")) v[i] = mean(rng);
      else if (ends_with(name, "running_var")) v[i] = var(rng);
      else if (ends_with(name, "norm.norm.weight")) v[i] = gamma(rng);
      else if (ends_with(name, "norm.norm.bias")) v[i] = bias(rng);
    }
  }
  return tensors;
}

// Face-sized inputs: smooth radial structure plus noise, one per batch slot.
std::vector<uint8_t> MakeInputs(int64_t count, int64_t side, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> noise(-16, 16);
  std::vector<uint8_t> rgb(count * side * side * 3);
  for (int64_t k = 0; k < count; ++k) {
    const double phase = 0.37 * k;
    for (int64_t y = 0; y < side; ++y) {
      for (int64_t x = 0; x < side; ++x) {
        const double r = std::hypot(x - side / 2.0, y - side / 2.0) / side;
        for (int c = 0; c < 3; ++c) {
          const double v = 128 + 90 * std::cos(9 * r + c + phase) + 30 * std::sin(x * 0.05 + y * 0.03 + c);
          rgb[((k * side + y) * side + x) * 3 + c] =
              static_cast<uint8_t>(std::clamp(v + noise(rng), 0.0, 255.0));
        }
      }
    }
  }
  return rgb;
}

// `text` as a JSON string body (quotes, backslashes and control bytes escaped).
std::string JsonEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int Run(const Flags& flags) {
  ModelResult<NetConfig> config = NetConfigPreset(flags.config);
  if (!config.ok()) Usage(config.status().ToString());
  std::filesystem::create_directories(flags.out);
  const int64_t side = config->in_size;
  const int max_batch = *std::max_element(flags.batches.begin(), flags.batches.end());
  const RawTensorMap weights = RandomWeights(*config, 20261202);
  const std::vector<uint8_t> inputs = MakeInputs(max_batch, side, 7);
  // For the PyTorch peer: the same weights and inputs.
  ModelStatus written = WritePthFile(flags.out + "/weights.pth", weights);
  if (!written.ok()) {
    std::cerr << "facet-bench-gpu: " << written.ToString() << "\n";
    return 1;
  }
  std::ofstream(flags.out + "/config.txt")
      << config->in_size << "," << config->out_size << "," << config->min_feat_size << ","
      << config->base_ch << "," << config->parsing_ch << "," << config->res_depth << ","
      << config->ch_lo << "," << config->ch_hi << " " << max_batch << "\n";
  std::ofstream(flags.out + "/inputs.rgb", std::ios::binary)
      .write(reinterpret_cast<const char*>(inputs.data()), inputs.size());
  std::cerr << "facet-bench-gpu: config " << config->ToString() << ", " << max_batch
            << " inputs and weights in " << flags.out << "\n";

  std::vector<bool> graph_modes;
  if (flags.graphs != "on") graph_modes.push_back(false);
  if (flags.graphs != "off") graph_modes.push_back(true);
  // Facet fp32 labels per batch size: every other row's agreement reference.
  std::vector<std::vector<uint8_t>> fp32_labels(max_batch + 1);
  int failures = 0;
  for (const std::string& precision_name : flags.precisions) {
    ModelResult<Precision> precision = ParsePrecision(precision_name);
    if (!precision.ok()) Usage(precision.status().ToString());
    for (bool graphs : graph_modes) {
      FaceParserOptions options;
      options.config = *config;
      options.device = flags.device;
      options.precision = *precision;
      options.cuda_graphs = graphs;
      auto parser = FaceParser::Create(weights, options);
      if (!parser.ok()) {
        std::cout << "{\"impl\":\"facet\",\"precision\":\"" << precision_name
                  << "\",\"graphs\":" << (graphs ? "true" : "false")
                  << ",\"error\":\"" << JsonEscape(parser.status().message()) << "\"}" << std::endl;
        continue;  // e.g. fp16 or graphs on the CPU: reported, not fatal.
      }
      std::cerr << "facet-bench-gpu: " << (*parser)->Describe() << "\n";
      for (int batch : flags.batches) {
        std::vector<RgbImageView> views;
        for (int k = 0; k < batch; ++k) views.push_back({inputs.data() + k * side * side * 3, side, side});
        ParseOptions parse;
        parse.want_restored = false;
        // Warm-up: allocator growth, cuDNN autotuning, graph capture.
        auto first = (*parser)->Parse(views, parse);
        if (!first.ok()) {
          std::cerr << "facet-bench-gpu: " << first.status().ToString() << "\n";
          ++failures;
          continue;
        }
        if (!flags.smoke) (*parser)->Parse(views, parse);
        std::vector<double> seconds;
        const auto start = std::chrono::steady_clock::now();
        do {
          const auto t0 = std::chrono::steady_clock::now();
          auto r = (*parser)->Parse(views, parse);
          seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          if (!r.ok()) {
            ++failures;
            break;
          }
        } while (!flags.smoke &&
                 (seconds.size() < 3 ||
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < flags.seconds));
        std::vector<uint8_t> labels;
        for (const ParseResult& r : *first) labels.insert(labels.end(), r.labels.begin(), r.labels.end());
        std::string agreement = "null";
        if (precision_name == "fp32" && !graphs) {
          fp32_labels[batch] = labels;
          std::ofstream(flags.out + "/facet_fp32_labels_b" + std::to_string(batch) + ".u8", std::ios::binary)
              .write(reinterpret_cast<const char*>(labels.data()), labels.size());
        }
        if (!fp32_labels[batch].empty() && fp32_labels[batch].size() == labels.size()) {
          size_t same = 0;
          for (size_t i = 0; i < labels.size(); ++i) same += labels[i] == fp32_labels[batch][i];
          agreement = std::to_string(double(same) / labels.size());
        }
        const double p50 = Median(seconds);
        std::cout << "{\"impl\":\"facet\",\"precision\":\"" << precision_name
                  << "\",\"graphs\":" << (graphs ? "true" : "false") << ",\"batch\":" << batch
                  << ",\"faces_per_s\":" << batch / p50 << ",\"p50_ms\":" << p50 * 1e3
                  << ",\"runs\":" << seconds.size() << ",\"agreement\":" << agreement
                  << ",\"device\":\"" << (*parser)->device() << "\"}" << std::endl;
      }
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace facet

int main(int argc, char** argv) {
  return facet::Run(facet::ParseFlags(argc, argv));
}
