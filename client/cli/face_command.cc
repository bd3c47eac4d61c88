// parse and enhance: one request per input file, run concurrently, outputs
// written next to each other under --out.

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/cli_common.h"
#include "client/cli/client_flags.h"
#include "client/cli/commands.h"
#include "client/facet_client.h"
#include "core/image/image_header.h"
#include "nlohmann/json.hpp"

namespace facet {
namespace {

enum class Kind { kParse, kEnhance };

struct ItemResult {
  std::string input;
  absl::Status status = absl::UnknownError("not run");
  std::map<std::string, std::string> outputs;  // kind -> path
  v1::ResponseInfo info;
};

const char* Extension(v1::ImageEncoding encoding) {
  switch (encoding) {
    case v1::IMAGE_ENCODING_JPEG:
      return ".jpg";
    case v1::IMAGE_ENCODING_RAW:
      return ".raw";
    default:
      return ".png";
  }
}

absl::Status WriteOutput(const std::string& base, const std::string& kind,
                         const v1::EncodedImage& image, ItemResult* item) {
  const std::string path =
      absl::StrCat(base, ".", kind, Extension(image.encoding()));
  absl::Status status = WriteFileBytes(path, image.data());
  if (status.ok()) item->outputs[kind] = path;
  return status;
}

absl::StatusOr<v1::OutputSize> OutputSizeFromFlag() {
  const std::string size = absl::GetFlag(FLAGS_output_size);
  if (size == "input") return v1::OUTPUT_SIZE_INPUT;
  if (size == "network") return v1::OUTPUT_SIZE_NETWORK;
  return absl::InvalidArgumentError(absl::StrCat(
      "--output_size is \"", size, "\"; expected \"input\" or \"network\""));
}

// Processes one input: read, sniff, call, write.
void RunOne(Kind kind, const FaceClient& client, v1::OutputSize size,
            v1::ImageEncoding encoding, const std::string& base,
            ItemResult* item) {
  std::string bytes;
  item->status = ReadFileBytes(item->input, &bytes);
  if (!item->status.ok()) return;
  // A quick local check spares a round trip for files that are no image.
  absl::StatusOr<ImageHeader> header = ReadImageHeader(bytes);
  if (!header.ok()) {
    item->status = absl::InvalidArgumentError(
        absl::StrCat("not an image we can send: ", header.status().message()));
    return;
  }
  if (kind == Kind::kParse) {
    v1::ParseRequest request;
    request.mutable_image()->set_encoded(std::move(bytes));
    request.set_output_size(size);
    request.set_label_encoding(v1::IMAGE_ENCODING_PNG);
    request.set_want_color(true);
    request.set_want_overlay(true);
    request.set_want_restored(absl::GetFlag(FLAGS_restored));
    request.set_image_encoding(v1::IMAGE_ENCODING_PNG);
    absl::StatusOr<v1::ParseResponse> response = client.Parse(request);
    if (!response.ok()) {
      item->status = response.status();
      return;
    }
    item->info = response->info();
    item->status = WriteOutput(base, "labels", response->labels(), item);
    if (item->status.ok() && response->has_color()) {
      item->status = WriteOutput(base, "color", response->color(), item);
    }
    if (item->status.ok() && response->has_overlay()) {
      item->status = WriteOutput(base, "overlay", response->overlay(), item);
    }
    if (item->status.ok() && response->has_restored()) {
      item->status = WriteOutput(base, "restored", response->restored(), item);
    }
  } else {
    v1::EnhanceRequest request;
    request.mutable_image()->set_encoded(std::move(bytes));
    request.set_output_size(size);
    request.set_encoding(encoding);
    absl::StatusOr<v1::EnhanceResponse> response = client.Enhance(request);
    if (!response.ok()) {
      item->status = response.status();
      return;
    }
    item->info = response->info();
    item->status = WriteOutput(base, "restored", response->restored(), item);
  }
}

int RunFaceCommand(Kind kind, const std::vector<std::string>& args) {
  const char* name = kind == Kind::kParse ? "parse" : "enhance";
  const bool json = absl::GetFlag(FLAGS_json);
  if (args.empty()) {
    std::cerr << "facet-client " << name
              << ": no inputs; give image files or folders\n";
    return kExitUsage;
  }
  absl::StatusOr<v1::OutputSize> size = OutputSizeFromFlag();
  if (!size.ok()) {
    std::cerr << "facet-client " << name << ": " << size.status().message()
              << "\n";
    return kExitUsage;
  }
  v1::ImageEncoding encoding = v1::IMAGE_ENCODING_PNG;
  const std::string format = absl::GetFlag(FLAGS_format);
  if (format == "jpg" || format == "jpeg") {
    encoding = v1::IMAGE_ENCODING_JPEG;
  } else if (format != "png") {
    std::cerr << "facet-client " << name << ": --format is \"" << format
              << "\"; expected png or jpg\n";
    return kExitUsage;
  }
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  if (concurrency < 1 || concurrency > 1024) {
    std::cerr << "facet-client " << name << ": --concurrency is " << concurrency
              << "; expected 1 to 1024\n";
    return kExitUsage;
  }
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) {
    std::cerr << "facet-client: " << options.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<FaceClient>> client =
      FaceClient::Create(*options);
  if (!client.ok()) {
    std::cerr << "facet-client: " << client.status().message() << "\n";
    return kExitUsage;
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (absl::Status made = MakeDirs(out); !made.ok()) {
    std::cerr << "facet-client: " << made.message() << "\n";
    return kExitLocalError;
  }

  const std::vector<InputFile> inputs =
      ExpandInputs(args, absl::GetFlag(FLAGS_recursive));
  std::vector<ItemResult> items(inputs.size());
  std::vector<std::string> bases(inputs.size());
  std::set<std::string> stems;
  for (size_t i = 0; i < inputs.size(); ++i) {
    items[i].input = inputs[i].path;
    bases[i] = absl::StrCat(out, "/", UniqueStem(inputs[i].path, &stems));
    if (!inputs[i].status.ok()) items[i].status = inputs[i].status;
  }

  const absl::Time start = absl::Now();
  ProgressBar progress(name, items.size(),
                       absl::GetFlag(FLAGS_progress) && !json);
  std::mutex progress_mutex;
  size_t done = 0, failed = 0;
  RunConcurrently(items.size(), concurrency, [&](size_t i) {
    if (inputs[i].status.ok()) {
      RunOne(kind, **client, *size, encoding, bases[i], &items[i]);
    }
    std::lock_guard<std::mutex> lock(progress_mutex);
    ++done;
    if (!items[i].status.ok()) ++failed;
    progress.Update(done, failed);
  });
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double rate = seconds > 0 ? (done - failed) / seconds : 0;

  // Exit code: all failed to reach the server -> 3, any failure -> 1.
  bool all_unreachable = failed > 0 && failed == items.size();
  for (const ItemResult& item : items) {
    if (!IsUnreachable(item.status.code())) all_unreachable = false;
  }
  const int exit_code = failed == 0       ? kExitOk
                        : all_unreachable ? kExitUnreachable
                                          : kExitSomeFailed;

  if (json) {
    nlohmann::json doc;
    doc["command"] = name;
    doc["target"] = options->target;
    doc["inputs"] = items.size();
    doc["done"] = done - failed;
    doc["failed"] = failed;
    doc["seconds"] = seconds;
    doc["images_per_second"] = rate;
    doc["out"] = out;
    doc["exit_code"] = exit_code;
    nlohmann::json list = nlohmann::json::array();
    for (const ItemResult& item : items) {
      nlohmann::json entry;
      entry["input"] = item.input;
      entry["ok"] = item.status.ok();
      if (item.status.ok()) {
        entry["outputs"] = item.outputs;
        entry["model_version"] = item.info.model_version();
        entry["server_us"] = item.info.timings().total_us();
      } else {
        entry["code"] = CodeName(item.status.code());
        entry["error"] = std::string(item.status.message());
      }
      list.push_back(entry);
    }
    doc["items"] = list;
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << absl::StrFormat(
        "%s: %d done, %d failed, %d inputs in %.2f s (%.1f images/s); "
        "outputs in %s/\n",
        name, done - failed, failed, items.size(), seconds, rate, out);
    for (const ItemResult& item : items) {
      if (item.status.ok()) continue;
      std::cout << "  FAILED " << item.input << ": "
                << CodeName(item.status.code()) << ": " << item.status.message()
                << "\n";
    }
  }
  return exit_code;
}

}  // namespace

int RunParse(const std::vector<std::string>& args) {
  return RunFaceCommand(Kind::kParse, args);
}

int RunEnhance(const std::vector<std::string>& args) {
  return RunFaceCommand(Kind::kEnhance, args);
}

}  // namespace facet
