# Compiler and linker flags of the FACET_SANITIZE build (see the top-level
# CMakeLists.txt): AddressSanitizer + UndefinedBehaviorSanitizer on every
# target, and with FACET_FUZZ libFuzzer's coverage instrumentation too.
#
#  - -fno-sanitize=vptr: the vptr check needs RTTI of every polymorphic type
#    it meets, and those of the uninstrumented Debian libraries (OpenCV,
#    protobuf, gRPC, GoogleTest) are not all visible to it.
#  - -fno-sanitize-recover=all: the first UBSan finding aborts the process,
#    so a test or a fuzzer fails on it instead of printing and going on.
#  - -O1 -g -fno-omit-frame-pointer: readable stacks at a usable speed.
# The run-time options (ASAN_OPTIONS, UBSAN_OPTIONS) are set by
# `./facet test --sanitize`; docs/testing.md lists them.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR
    "FACET_SANITIZE/FACET_FUZZ need clang (libFuzzer, -fsanitize=...); "
    "configure with -DCMAKE_CXX_COMPILER=clang++-14 (./facet test --sanitize "
    "does), not ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER}")
endif()
set(FACET_SANITIZER_FLAGS
    "-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all")
set(FACET_SANITIZE_COMPILE_FLAGS
    "${FACET_SANITIZER_FLAGS} -O1 -g -fno-omit-frame-pointer")
if(FACET_FUZZ)
  # Coverage feedback for every library the fuzz targets call; only the fuzz
  # targets themselves link libFuzzer's main (-fsanitize=fuzzer).
  string(APPEND FACET_SANITIZE_COMPILE_FLAGS " -fsanitize=fuzzer-no-link")
endif()
string(APPEND CMAKE_CXX_FLAGS " ${FACET_SANITIZE_COMPILE_FLAGS}")
string(APPEND CMAKE_EXE_LINKER_FLAGS " ${FACET_SANITIZER_FLAGS}")
string(APPEND CMAKE_SHARED_LINKER_FLAGS " ${FACET_SANITIZER_FLAGS}")
message(STATUS "facet: sanitized build (${FACET_SANITIZER_FLAGS}); "
               "LibTorch targets are left out")
