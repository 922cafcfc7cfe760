# tests/diff.cmake: chimtrace diff - the library (unit/diff_test.c: single events, whole
# traces with one recorded change each, timing, truncation, memory) and the CLI end to end
# (e2e/diff_cli_test.c: exit codes, JSON checked by python3's json, JUnit by xml.etree).
# helpers/diff_mutate copies traces with one record edited, dropped or repeated.
add_library(ct_diff_testkit STATIC "${CMAKE_CURRENT_LIST_DIR}/helpers/diff_mutate.c")
target_include_directories(ct_diff_testkit PUBLIC "${CMAKE_CURRENT_LIST_DIR}/helpers")
target_link_libraries(ct_diff_testkit PUBLIC ct_tracefile)

ct_add_test(diff_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/diff_test.c"
  LIBS ct_diff ct_diff_testkit ct_record_run ct_tf_helpers
  LABELS unit diff)

ct_add_test(diff_cli_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/diff_cli_test.c"
  LIBS ct_diff_testkit ct_cli_testkit
  LABELS e2e diff)
add_dependencies(diff_cli_test chimtrace)
