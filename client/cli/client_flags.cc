#include "client/cli/client_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, target, "localhost:8500",
          "Server address: host:port or any gRPC target (dns:///svc:port).");
ABSL_FLAG(int32_t, deadline_ms, 30000,
          "Deadline of each request, retries included.");
ABSL_FLAG(int32_t, max_attempts, 4,
          "Attempts per request on UNAVAILABLE or RESOURCE_EXHAUSTED "
          "(exponential backoff from 100 ms, at most 2 s); 1 = no retry.");
ABSL_FLAG(bool, tls, false, "Connect with TLS.");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificate(s) to verify the server (default: system "
          "roots). Needs --tls.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate for mutual TLS (with --tls_key).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Name expected in the server certificate (default: the target's "
          "host).");
ABSL_FLAG(std::string, load_balancing, "round_robin",
          "gRPC load-balancing policy over the target's addresses "
          "(round_robin or pick_first).");

ABSL_FLAG(bool, json, false,
          "Print one JSON document on stdout instead of text.");
ABSL_FLAG(std::string, out, "facet-out",
          "Folder for output files (created if missing).");
ABSL_FLAG(bool, progress, true,
          "Show a progress bar when stderr is a terminal.");

ABSL_FLAG(int32_t, concurrency, 4,
          "parse/enhance/photo: requests in flight at once. bench: the "
          "fixed concurrency when --sweep is empty.");
ABSL_FLAG(bool, recursive, false, "Descend into sub-folders of DIR inputs.");
ABSL_FLAG(bool, restored, false,
          "parse: also write the restored face (<name>.restored.png).");
ABSL_FLAG(std::string, output_size, "input",
          "parse/enhance: outputs at the input's size (input) or the "
          "network's (network, 512).");
ABSL_FLAG(std::string, format, "png", "enhance: restored face as png or jpg.");

ABSL_FLAG(std::string, service, "",
          "health: service to check (\"\" = the whole server, or "
          "facet.v1.FaceService).");
ABSL_FLAG(int32_t, wait_s, 0,
          "health: poll until SERVING for up to this many seconds.");

ABSL_FLAG(std::string, mask, "ellipse",
          "photo: paste-back mask, ellipse (feathered) or parsing (the "
          "face labels, feathered).");
ABSL_FLAG(double, feather, 0.03,
          "photo: mask edge softness as a fraction of the 512 crop.");
ABSL_FLAG(int32_t, min_face, 64, "photo: smallest face to find, in pixels.");
ABSL_FLAG(std::string, landmark_model,
          "/usr/share/dlib/shape_predictor_68_face_landmarks.dat",
          "photo: dlib 68-point landmark model (Debian libdlib-data); "
          "\"box\" aligns from the face boxes instead.");
ABSL_FLAG(std::string, eye_cascade,
          "/usr/share/opencv4/haarcascades/haarcascade_eye.xml",
          "photo: OpenCV eye cascade checking weak detections (Debian "
          "opencv-data); \"none\" to skip.");

ABSL_FLAG(std::string, method, "parse", "bench: parse or enhance.");
ABSL_FLAG(std::string, sweep, "",
          "bench: concurrency levels to measure, \"1,2,4,8\" or "
          "\"start:end:step\"; empty = --concurrency only.");
ABSL_FLAG(double, warmup_s, 1.0, "bench: warm-up before measuring.");
ABSL_FLAG(double, window_s, 2.0, "bench: length of a measurement window.");
ABSL_FLAG(double, stability, 0.10,
          "bench: windows are stable when throughput and p95 latency are "
          "within this fraction of their mean.");
ABSL_FLAG(int32_t, stable_windows, 3,
          "bench: consecutive stable windows needed.");
ABSL_FLAG(int32_t, max_windows, 10,
          "bench: give up waiting for stability after this many windows "
          "(the result is then marked unstable).");
ABSL_FLAG(std::string, csv, "", "bench: also write the results as CSV here.");

namespace facet {

absl::StatusOr<ClientOptions> ClientOptionsFromFlags() {
  ClientOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  const int32_t deadline_ms = absl::GetFlag(FLAGS_deadline_ms);
  if (deadline_ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--deadline_ms is ", deadline_ms, "; expected a positive number"));
  }
  options.deadline = absl::Milliseconds(deadline_ms);
  options.max_attempts = absl::GetFlag(FLAGS_max_attempts);
  if (options.max_attempts < 1 || options.max_attempts > 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--max_attempts is ", options.max_attempts, "; expected 1 to 100"));
  }
  options.tls = absl::GetFlag(FLAGS_tls);
  options.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  options.load_balancing = absl::GetFlag(FLAGS_load_balancing);
  return options;
}

}  // namespace facet
