// The text `facet-client info` prints for a GetModelInfoResponse (without
// --json), kept apart from the command so that it is tested without a
// server.
#ifndef FACET_CLIENT_CLI_INFO_TEXT_H_
#define FACET_CLIENT_CLI_INFO_TEXT_H_

#include <string>

#include "facet/v1/facet.pb.h"

namespace facet {

// Lines "model", "source", "device", "network", then "trained", "metric"
// and "rejected" when the response has them, and "labels"; each ends in
// '\n'. The device line gives the configured max batch and, when the server
// reports it (effective_max_batch_size > 0; older servers leave it 0), the
// effective one the server forms on this version.
std::string ModelInfoText(const v1::GetModelInfoResponse& info);

}  // namespace facet

#endif  // FACET_CLIENT_CLI_INFO_TEXT_H_
