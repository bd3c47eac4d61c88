// info and health: what the server serves, and whether it serves.

#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "client/cli/cli_common.h"
#include "client/cli/client_flags.h"
#include "client/cli/commands.h"
#include "client/facet_client.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace facet {
namespace {

absl::StatusOr<std::unique_ptr<FaceClient>> MakeClient() {
  absl::StatusOr<ClientOptions> options = ClientOptionsFromFlags();
  if (!options.ok()) return options.status();
  return FaceClient::Create(*options);
}

int ExitForRpcError(const absl::Status& status) {
  return IsUnreachable(status.code()) ? kExitUnreachable : kExitSomeFailed;
}

}  // namespace

int RunInfo(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "facet-client info: takes no arguments\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<FaceClient>> client = MakeClient();
  if (!client.ok()) {
    std::cerr << "facet-client: " << client.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<v1::GetModelInfoResponse> info = (*client)->GetModelInfo();
  if (!info.ok()) {
    std::cerr << "facet-client info: " << CodeName(info.status().code()) << ": "
              << info.status().message() << "\n";
    return ExitForRpcError(info.status());
  }
  if (absl::GetFlag(FLAGS_json)) {
    std::string text;
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    print.preserve_proto_field_names = true;
    print.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(*info, &text, print);
    std::cout << text;
    return kExitOk;
  }
  const v1::NetConfig& c = info->config();
  std::cout << absl::StrFormat(
      "model      %s version %d (%s)\n"
      "source     %s\n"
      "device     %s, %s, %s engine, max batch %d\n"
      "network    in %d, out %d, base_ch %d, parsing_ch %d, res_depth %d, "
      "ch %d..%d, min_feat %d\n",
      info->model_name(), info->version(), info->version_policy(),
      info->source(), info->device(), info->precision(), info->engine(),
      info->max_batch_size(),
      c.in_size(), c.out_size(), c.base_ch(), c.parsing_ch(), c.res_depth(),
      c.ch_lo(), c.ch_hi(), c.min_feat_size());
  if (info->step() > 0 || !info->created_at().empty()) {
    std::cout << absl::StrFormat("trained    step %d, created %s\n",
                                 info->step(), info->created_at());
  }
  for (const auto& [name, value] : info->metrics()) {
    std::cout << absl::StrFormat("metric     %s = %g\n", name, value);
  }
  if (info->failed_versions_size() > 0) {
    std::cout << "rejected   versions";
    for (int64_t v : info->failed_versions()) std::cout << " " << v;
    std::cout << "\n";
  }
  std::cout << "labels    ";
  for (const v1::Label& label : info->labels()) {
    std::cout << " " << label.id() << ":" << label.name();
  }
  std::cout << "\n";
  return kExitOk;
}

int RunHealth(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "facet-client health: takes no arguments\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<FaceClient>> client = MakeClient();
  if (!client.ok()) {
    std::cerr << "facet-client: " << client.status().message() << "\n";
    return kExitUsage;
  }
  const std::string service = absl::GetFlag(FLAGS_service);
  const absl::Time give_up =
      absl::Now() + absl::Seconds(std::max(0, absl::GetFlag(FLAGS_wait_s)));
  absl::StatusOr<HealthState> state;
  while (true) {
    state = (*client)->CheckHealth(service);
    if ((state.ok() && *state == HealthState::kServing) ||
        absl::Now() >= give_up) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  const int exit_code = !state.ok() ? ExitForRpcError(state.status())
                        : *state == HealthState::kServing ? kExitOk
                                                          : kExitSomeFailed;
  if (absl::GetFlag(FLAGS_json)) {
    nlohmann::json doc;
    doc["target"] = (*client)->options().target;
    doc["service"] = service;
    doc["status"] = state.ok() ? HealthStateName(*state) : "UNREACHABLE";
    if (!state.ok()) doc["error"] = std::string(state.status().message());
    doc["exit_code"] = exit_code;
    std::cout << doc.dump(2) << "\n";
  } else if (state.ok()) {
    std::cout << HealthStateName(*state) << "\n";
  } else {
    std::cerr << "facet-client health: " << CodeName(state.status().code())
              << ": " << state.status().message() << "\n";
  }
  return exit_code;
}

}  // namespace facet
