// bench: a closed-loop load generator in the manner of Triton's
// perf_analyzer. For each concurrency level, that many threads send
// requests back to back; after a warm-up, completions are counted in
// fixed windows until the last --stable_windows agree within --stability
// (or --max_windows pass), and the level's throughput and latency
// percentiles are taken over those last windows.

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/bench_stats.h"
#include "client/cli/cli_common.h"
#include "client/cli/client_flags.h"
#include "client/cli/commands.h"
#include "client/facet_client.h"
#include "core/image/image_encoder.h"
#include "core/image/image_header.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"

namespace facet {
namespace {

struct Completion {
  absl::Time end;
  double latency_ms;
  absl::StatusCode code;
};

struct LevelResult {
  int concurrency = 0;
  bool stable = false;
  int windows = 0;
  double throughput = 0;
  double p50 = 0, p90 = 0, p95 = 0, p99 = 0, mean = 0;
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;  // By code name, all windows.
};

// A smooth synthetic face-sized image, when no input is given.
std::string SyntheticImage() {
  cv::Mat rgb(256, 256, CV_8UC3);
  for (int y = 0; y < rgb.rows; ++y) {
    for (int x = 0; x < rgb.cols; ++x) {
      rgb.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uchar>(128 + 100 * std::sin(x / 20.0)),
                    static_cast<uchar>(128 + 100 * std::cos(y / 25.0)),
                    static_cast<uchar>((x + y) / 2));
    }
  }
  return *EncodePng(rgb);
}

LevelResult RunLevel(const FaceClient& client, bool enhance,
                     const std::string& image, int concurrency) {
  v1::ParseRequest parse;
  parse.mutable_image()->set_encoded(image);
  v1::EnhanceRequest enhance_request;
  enhance_request.mutable_image()->set_encoded(image);

  std::mutex mutex;
  std::vector<Completion> completions;
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < concurrency; ++t) {
    workers.emplace_back([&] {
      while (!stop.load()) {
        const absl::Time begin = absl::Now();
        absl::Status status = enhance ? client.Enhance(enhance_request).status()
                                      : client.Parse(parse).status();
        const absl::Time end = absl::Now();
        std::lock_guard<std::mutex> lock(mutex);
        completions.push_back(
            {end, absl::ToDoubleMilliseconds(end - begin), status.code()});
      }
    });
  }

  const absl::Duration window = absl::Seconds(absl::GetFlag(FLAGS_window_s));
  const int stable_windows = absl::GetFlag(FLAGS_stable_windows);
  const int max_windows =
      std::max(absl::GetFlag(FLAGS_max_windows), stable_windows);
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_warmup_s)));
  std::vector<WindowStats> stats;
  std::vector<std::vector<double>> latencies;
  std::map<std::string, int64_t> errors;
  absl::Time window_start = absl::Now();
  LevelResult result;
  result.concurrency = concurrency;
  while (static_cast<int>(stats.size()) < max_windows) {
    absl::SleepFor(window);
    const absl::Time window_end = absl::Now();
    WindowStats w;
    w.seconds = absl::ToDoubleSeconds(window_end - window_start);
    std::vector<double> ok_latencies;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (const Completion& c : completions) {
        if (c.end < window_start || c.end >= window_end) continue;
        if (c.code == absl::StatusCode::kOk) {
          ok_latencies.push_back(c.latency_ms);
        } else {
          ++w.errors;
          ++errors[CodeName(c.code)];
        }
      }
    }
    w.ok = static_cast<int64_t>(ok_latencies.size());
    w.throughput = w.seconds > 0 ? w.ok / w.seconds : 0;
    w.p95_ms = Percentile(ok_latencies, 95);
    stats.push_back(w);
    latencies.push_back(std::move(ok_latencies));
    window_start = window_end;
    if (WindowsStable(stats, stable_windows, absl::GetFlag(FLAGS_stability))) {
      result.stable = true;
      break;
    }
    // Nothing succeeds (e.g. the server is gone): stop early.
    if (stats.size() >= 2 && stats.back().ok == 0 &&
        stats[stats.size() - 2].ok == 0) {
      break;
    }
  }
  stop = true;
  for (std::thread& t : workers) t.join();

  const size_t used = std::min(stats.size(), size_t(stable_windows));
  std::vector<double> all;
  double seconds = 0;
  for (size_t i = stats.size() - used; i < stats.size(); ++i) {
    all.insert(all.end(), latencies[i].begin(), latencies[i].end());
    seconds += stats[i].seconds;
  }
  result.windows = static_cast<int>(stats.size());
  result.ok = static_cast<int64_t>(all.size());
  result.throughput = seconds > 0 ? all.size() / seconds : 0;
  result.p50 = Percentile(all, 50);
  result.p90 = Percentile(all, 90);
  result.p95 = Percentile(all, 95);
  result.p99 = Percentile(all, 99);
  double sum = 0;
  for (double v : all) sum += v;
  result.mean = all.empty() ? 0 : sum / all.size();
  result.errors = errors;
  return result;
}

std::string ErrorsText(const std::map<std::string, int64_t>& errors) {
  std::string text;
  for (const auto& [code, count] : errors) {
    absl::StrAppend(&text, text.empty() ? "" : " ", code, "=", count);
  }
  return text.empty() ? "-" : text;
}

}  // namespace

int RunBench(const std::vector<std::string>& args) {
  const bool json = absl::GetFlag(FLAGS_json);
  if (args.size() > 1) {
    std::cerr << "facet-client bench: give at most one image file\n";
    return kExitUsage;
  }
  const std::string method = absl::GetFlag(FLAGS_method);
  if (method != "parse" && method != "enhance") {
    std::cerr << "facet-client bench: --method is \"" << method
              << "\"; expected parse or enhance\n";
    return kExitUsage;
  }
  absl::StatusOr<std::vector<int>> levels =
      ParseSweep(absl::GetFlag(FLAGS_sweep), absl::GetFlag(FLAGS_concurrency));
  if (!levels.ok()) {
    std::cerr << "facet-client bench: --sweep: " << levels.status().message()
              << "\n";
    return kExitUsage;
  }
  if (absl::GetFlag(FLAGS_window_s) <= 0 || absl::GetFlag(FLAGS_warmup_s) < 0 ||
      absl::GetFlag(FLAGS_stability) <= 0 ||
      absl::GetFlag(FLAGS_stable_windows) < 1) {
    std::cerr << "facet-client bench: --window_s, --stability and "
                 "--stable_windows must be positive, --warmup_s not "
                 "negative\n";
    return kExitUsage;
  }
  std::string image;
  if (args.empty()) {
    image = SyntheticImage();
  } else {
    if (absl::Status read = ReadFileBytes(args[0], &image); !read.ok()) {
      std::cerr << "facet-client bench: " << read.message() << "\n";
      return kExitLocalError;
    }
    if (auto header = ReadImageHeader(image); !header.ok()) {
      std::cerr << "facet-client bench: " << args[0]
                << " is not an image: " << header.status().message() << "\n";
      return kExitUsage;
    }
  }
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) {
    std::cerr << "facet-client: " << options.status().message() << "\n";
    return kExitUsage;
  }
  // Measure the server, not our retries: every failure counts.
  options->max_attempts = 1;
  absl::StatusOr<std::unique_ptr<FaceClient>> client =
      FaceClient::Create(*options);
  if (!client.ok()) {
    std::cerr << "facet-client: " << client.status().message() << "\n";
    return kExitUsage;
  }

  std::vector<LevelResult> results;
  for (int level : *levels) {
    if (!json) {
      std::cerr << "bench: concurrency " << level << " ...\n";
    }
    results.push_back(RunLevel(**client, method == "enhance", image, level));
  }

  int64_t total_ok = 0, total_errors = 0;
  bool only_unreachable = true;
  for (const LevelResult& r : results) {
    total_ok += r.ok;
    for (const auto& [code, count] : r.errors) {
      total_errors += count;
      if (code != "UNAVAILABLE" && code != "DEADLINE_EXCEEDED") {
        only_unreachable = false;
      }
    }
  }
  const int exit_code = total_errors == 0                   ? kExitOk
                        : total_ok == 0 && only_unreachable ? kExitUnreachable
                                                            : kExitSomeFailed;

  const std::string csv_path = absl::GetFlag(FLAGS_csv);
  if (!csv_path.empty()) {
    std::string csv =
        "concurrency,throughput_per_s,p50_ms,p90_ms,p95_ms,p99_ms,mean_ms,"
        "ok,errors,stable,windows\n";
    for (const LevelResult& r : results) {
      int64_t errors = 0;
      for (const auto& e : r.errors) errors += e.second;
      absl::StrAppend(&csv,
                      absl::StrFormat("%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%d,%d,"
                                      "%d,%d\n",
                                      r.concurrency, r.throughput, r.p50, r.p90,
                                      r.p95, r.p99, r.mean, r.ok, errors,
                                      r.stable ? 1 : 0, r.windows));
    }
    if (absl::Status s = WriteFileBytes(csv_path, csv); !s.ok()) {
      std::cerr << "facet-client bench: " << s.message() << "\n";
      return kExitLocalError;
    }
  }
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const LevelResult& r : results) {
      list.push_back({{"concurrency", r.concurrency},
                      {"throughput_per_s", r.throughput},
                      {"latency_ms",
                       {{"p50", r.p50},
                        {"p90", r.p90},
                        {"p95", r.p95},
                        {"p99", r.p99},
                        {"mean", r.mean}}},
                      {"ok", r.ok},
                      {"errors", r.errors},
                      {"stable", r.stable},
                      {"windows", r.windows}});
    }
    nlohmann::json doc = {{"command", "bench"},
                          {"target", options->target},
                          {"method", method},
                          {"levels", list},
                          {"exit_code", exit_code}};
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << absl::StrFormat("bench %s against %s\n", method,
                                 options->target);
    std::cout << absl::StrFormat(
        "%11s %12s %9s %9s %9s %9s  %-8s %s\n", "concurrency", "throughput/s",
        "p50 ms", "p90 ms", "p95 ms", "p99 ms", "stable", "errors");
    for (const LevelResult& r : results) {
      std::cout << absl::StrFormat(
          "%11d %12.1f %9.2f %9.2f %9.2f %9.2f  %-8s %s\n", r.concurrency,
          r.throughput, r.p50, r.p90, r.p95, r.p99,
          r.stable ? "yes" : absl::StrCat("no(", r.windows, ")"),
          ErrorsText(r.errors));
    }
  }
  return exit_code;
}

}  // namespace facet
