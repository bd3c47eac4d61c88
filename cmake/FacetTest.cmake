# facet_add_test(NAME <target> SOURCES <files...> LIBS <libs...> [TIMEOUT <s>]
#                [LABELS <labels...>])
#
# Builds one GoogleTest binary and registers each of its tests with CTest,
# every one with a TIMEOUT (default 120 s) so a hang fails instead of
# stalling CI. Tests run with the source root as working directory and
# FACET_SOURCE_DIR set; tests/util/test_paths.h finds the rest.
set(FACET_SHARED_DIR "${PROJECT_SOURCE_DIR}/../shared" CACHE PATH
    "Folder holding spec/ and fixtures/ (read only)")

function(facet_add_test)
  if(NOT FACET_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${T_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 120
    PROPERTIES
      TIMEOUT ${T_TIMEOUT}
      LABELS "${T_LABELS}"
      ENVIRONMENT "FACET_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  # gtest_discover_tests flattens a multi-variable ENVIRONMENT, so the other
  # locations are compiled in (tests/util/test_paths.h reads them; the
  # environment variables of the same names still win).
  target_compile_definitions(${T_NAME} PRIVATE
    FACET_DEFAULT_SHARED_DIR="${FACET_SHARED_DIR}"
    FACET_DEFAULT_BINARY_DIR="${PROJECT_BINARY_DIR}")
endfunction()
