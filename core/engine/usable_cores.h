// UsableCores: how many cores this process may really run on, the default
// thread count of every Facet program (server, trainer, benchmarks).
// std::thread::hardware_concurrency() counts the machine's cores, which
// oversubscribes a container pinned to a few of them or given a CPU quota.
//
// Standard library and Linux only. Thread safety: any thread; no state.
#ifndef FACET_CORE_ENGINE_USABLE_CORES_H_
#define FACET_CORE_ENGINE_USABLE_CORES_H_

namespace facet {

// Cores this process may run on: the calling thread's CPU affinity mask,
// capped by a cgroup CPU quota (v2 cpu.max or v1 cfs quota/period, rounded
// up; Kubernetes limits) when one is set; at least 1.
int UsableCores();

}  // namespace facet

#endif  // FACET_CORE_ENGINE_USABLE_CORES_H_
