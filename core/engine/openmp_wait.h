// How long OpenMP's idle threads spin before they sleep, in Facet's
// programs (facet-server, facet-trainer).
//
// LibTorch and oneDNN run the forward on GNU OpenMP (libgomp). Its idle
// threads spin for GOMP_SPINCOUNT (300,000 pauses: milliseconds) after each
// parallel region before they sleep. That is harmless on an idle machine
// and ruinous on a shared one: while one of the forward's threads is
// descheduled, the other spins on the core it needs, and after a forward
// the spinning threads compete with decoding and encoding. On the 2-core
// machine of issue 10, with other processes busy, a 128 px forward of the
// published network on 2 threads took 1.2-3.1 s with the default spin,
// 0.38-0.41 s with GOMP_SPINCOUNT=1000 and 0.36-0.37 s with
// OMP_WAIT_POLICY=PASSIVE (on 1 thread: 0.42-0.49 s). A spin of 1,000
// pauses (tens of microseconds) still bridges the gaps between the ~200
// back-to-back parallel regions of one forward, so an idle machine keeps its
// speed, and the core is given back at once when the forward is done or a
// peer thread was descheduled.
//
// libgomp reads its environment while the shared libraries initialise,
// before main() runs (and before libc has an environment a .preinit_array
// function could extend), so the default is applied by re-executing the
// program once with the variable set. An explicit OMP_WAIT_POLICY or
// GOMP_SPINCOUNT in the environment wins and costs no re-execution.
#ifndef FACET_CORE_ENGINE_OPENMP_WAIT_H_
#define FACET_CORE_ENGINE_OPENMP_WAIT_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace facet {

// The spin Facet's programs use unless the environment sets one.
inline constexpr const char kDefaultGompSpinCount[] = "1000";

// Call first thing in main(), before any thread starts. If neither
// OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, sets GOMP_SPINCOUNT to
// kDefaultGompSpinCount and re-executes the program (/proc/self/exe, same
// arguments and process id) so that libgomp starts with it. Returns when no
// re-execution was needed, or when it failed (the program then goes on with
// libgomp's own default).
inline void ApplyOpenMpSpinDefault(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr ||
      std::getenv("GOMP_SPINCOUNT") != nullptr) {
    return;
  }
  if (setenv("GOMP_SPINCOUNT", kDefaultGompSpinCount, 0) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("GOMP_SPINCOUNT");  // Not in effect: do not report it.
}

// "GOMP_SPINCOUNT=1000", "OMP_WAIT_POLICY=active" or "libgomp default",
// for the start-up log.
inline std::string OpenMpWaitSetting() {
  if (const char* policy = std::getenv("OMP_WAIT_POLICY")) {
    return std::string("OMP_WAIT_POLICY=") + policy;
  }
  if (const char* spin = std::getenv("GOMP_SPINCOUNT")) {
    return std::string("GOMP_SPINCOUNT=") + spin;
  }
  return "libgomp default";
}

}  // namespace facet

#endif  // FACET_CORE_ENGINE_OPENMP_WAIT_H_
