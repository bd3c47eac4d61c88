#include "trainer/trainer_flags.h"

#include <filesystem>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, out, "", "Output folder (created if missing).");
ABSL_FLAG(std::string, weights, "",
          "Weights: a version folder of a model repository, a .safetensors "
          "file, or an upstream PyTorch .pth state dict.");
ABSL_FLAG(int64_t, input_size, 512,
          "Network input side in pixels for a bare weights file (a version "
          "folder's manifest states its own).");
ABSL_FLAG(uint64_t, seed, 1, "Random seed; equal seeds give equal results.");
ABSL_FLAG(int32_t, threads, 0,
          "CPU threads for the network (0 = every usable core: the CPU "
          "affinity, capped by a cgroup CPU quota).");
ABSL_FLAG(std::string, device, "auto",
          "auto (CUDA when available, else CPU), cpu or cuda.");
ABSL_FLAG(std::string, to, "",
          "Model folder to publish into: REPO/MODEL (REPO is the model "
          "repository the servers watch).");
ABSL_FLAG(std::string, preset, "published",
          "Network configuration: published (512 px, the paper's), small "
          "(128 px, the demo's) or tiny (64 px, tests).");
ABSL_FLAG(std::string, data, "synthetic",
          "Training data: synthetic (built-in procedural faces) or "
          "celebamask-hq:ROOT (the CelebAMask-HQ folder); evaluate also takes "
          "landmarks:IMAGE_OR_FOLDER (real photos scored against dlib's "
          "68-landmark parts).");

namespace facet {

ModelDestination SplitModelDestination(const std::string& to) {
  std::filesystem::path path = std::filesystem::path(to).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();  // Trailing '/'.
  ModelDestination d;
  d.model = path.filename().string();
  d.repository = path.parent_path().empty() ? "." : path.parent_path().string();
  return d;
}

}  // namespace facet
