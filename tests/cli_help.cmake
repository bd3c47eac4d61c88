# Included by the top-level CMakeLists.txt after every program's folder, so
# that all the targets exist.
# Every program's --help exits 0 on stdout, and an unknown flag fails naming
# it (core/flags/parse_flags.h); subcommands' --help too.
if(FACET_BUILD_TESTS)
  set(FACET_HELP_PROGRAMS
      "facet-server"
      "facet-trainer train evaluate predict init-weights degrade import-weights export-weights synth-faces"
      "facet-client parse enhance photo info health bench"
      "facet-bench-data" "facet-bench-train" "facet-bench-model" "facet-bench-gpu"
      "facet-forward-peer")
  foreach(entry IN LISTS FACET_HELP_PROGRAMS)
    separate_arguments(words UNIX_COMMAND "${entry}")
    list(POP_FRONT words program)
    if(TARGET ${program})
      add_test(NAME cli_help_${program}
               COMMAND ${PROJECT_SOURCE_DIR}/tests/cli_help_test.sh
                       $<TARGET_FILE:${program}> ${words})
      set_tests_properties(cli_help_${program} PROPERTIES TIMEOUT 300 LABELS cli)
    endif()
  endforeach()
endif()
