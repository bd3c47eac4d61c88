// info and health: what the server serves, and whether it serves.

#include <iostream>
#include <thread>

#include "absl/flags/flag.h"
#include "client/cli/cli_common.h"
#include "client/cli/client_flags.h"
#include "client/cli/commands.h"
#include "client/cli/info_text.h"
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
  std::cout << ModelInfoText(*info);
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
