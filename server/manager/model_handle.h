// ServableModel and ModelHandle: one loaded, validated and warmed model
// version, shared by everything that uses it.
//
// A ModelHandle is a shared_ptr: the batcher takes one per batch from the
// ModelManager and drops it when the batch is done, so a version replaced by
// a reload stays alive exactly until its last in-flight batch finishes, then
// is freed. Do not store handles: holding one delays unloading.
//
// Thread safety: a ServableModel is immutable after loading;
// engine->Parse() may be called concurrently.
#ifndef FACET_SERVER_MANAGER_MODEL_HANDLE_H_
#define FACET_SERVER_MANAGER_MODEL_HANDLE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/model/face_engine.h"
#include "core/model/net_config.h"
#include "core/repository/manifest.h"

namespace facet {

struct ServableModel {
  std::string name;                    // Model folder name, or the file stem.
  int64_t version = 0;                 // Version folder; 0 for --model FILE.
  std::string source;                  // Folder or file loaded.
  NetConfig config;                    // Architecture of `engine`.
  std::optional<Manifest> manifest;    // Set for repository versions.
  std::unique_ptr<FaceEngine> engine;  // Never null.
  // Largest batch the batcher forms on this version: the best size measured
  // at load (adaptive batching, see batch_size_search.h) or the configured
  // --max_batch_size. At least 1.
  int effective_max_batch_size = 1;
  // Per-image throughput measured at load, (batch size, images/s) in the
  // order measured; empty without adaptive batching.
  std::vector<std::pair<int, double>> batch_throughput;
  // Why the measurement ended (BatchSizeSearch::end_reason; "stopped" =
  // the time budget); empty without adaptive batching.
  std::string batch_search_end;
  // Seconds of the load spent running the network: golden check, batch
  // size measurement and warm-up.
  double warmup_seconds = 0;
};

using ModelHandle = std::shared_ptr<const ServableModel>;

}  // namespace facet

#endif  // FACET_SERVER_MANAGER_MODEL_HANDLE_H_
