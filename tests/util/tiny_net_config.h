// TinyNetConfig: the 64 px network most tests build, train or serve
// (NetConfigPreset("tiny"): in/out 64, min_feat 16, base 8, 19 classes,
// depth 2, range [8, 16]; 32,766 parameters, the golden fixtures'). The one
// place tests get it from; net_config_test checks the preset against
// values written out by hand.
#ifndef FACET_TESTS_UTIL_TINY_NET_CONFIG_H_
#define FACET_TESTS_UTIL_TINY_NET_CONFIG_H_

#include <cstdlib>
#include <iostream>

#include "core/model/net_config.h"

namespace facet::testing {

inline NetConfig TinyNetConfig() {
  ModelResult<NetConfig> config = NetConfigPreset("tiny");
  if (!config.ok()) {
    // Cannot happen while the preset exists; a test binary stops loudly.
    std::cerr << "NetConfigPreset(\"tiny\"): " << config.status().ToString()
              << "\n";
    std::abort();
  }
  return *config;
}

}  // namespace facet::testing

#endif  // FACET_TESTS_UTIL_TINY_NET_CONFIG_H_
