// FUZZ_CHECK: a property every input must keep (a round trip, a bound). A
// violation aborts, which libFuzzer reports as a crash and keeps the input,
// and the replay driver (replay_main.cc) as a failed test.
#ifndef FACET_TESTS_FUZZ_FUZZ_CHECK_H_
#define FACET_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                        \
  do {                                                                     \
    if (!(condition)) {                                                    \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed: %s\n", __FILE__, \
                   __LINE__, #condition, what);                            \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

#endif  // FACET_TESTS_FUZZ_FUZZ_CHECK_H_
