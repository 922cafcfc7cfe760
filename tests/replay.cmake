# `chimtrace replay`: every workload reproduced byte for byte, determinism (real-time input,
# repeated runs), model mode, damaged inputs, a buggy IM, the CLI; and, labelled
# replay_builds, the same OUT from a second chimtrace built with clang -O0.
ct_add_test(replay_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/replay_test.c"
          "${CMAKE_CURRENT_LIST_DIR}/helpers/replay_helpers.c"
  LIBS ct_replay ct_record_run ct_tf_helpers
  LABELS replay)
add_dependencies(replay_test chimtrace)

add_test(NAME replay_builds
  COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/replay_builds.sh" "$<TARGET_FILE:chimtrace>"
          "${CMAKE_SOURCE_DIR}" "${CMAKE_CURRENT_BINARY_DIR}/replay_builds")
set_tests_properties(replay_builds PROPERTIES LABELS "replay;replay_builds" TIMEOUT 300
                                              SKIP_RETURN_CODE 77)
