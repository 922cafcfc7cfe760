# tests/stats.cmake: chimtrace stats - the library (unit/stats_test.c: histogram error bound
# against exact percentiles, hand-computed latencies, pairing, unmatched instances, depth
# timeline, groupings, baseline rules, truncation, bounded memory, golden traces) and the
# CLI end to end (e2e/stats_cli_test.c: exit codes, messages, JSON checked by python3).
ct_add_test(stats_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/stats_test.c"
  LIBS ct_stats ct_tf_helpers m
  LABELS unit stats)

ct_add_test(stats_wire_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/stats_wire_test.c"
  LIBS ct_stats ct_tf_helpers
  LABELS unit stats)

ct_add_test(stats_cli_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/stats_cli_test.c"
  LIBS ct_cli_testkit
  LABELS e2e stats)
add_dependencies(stats_cli_test chimtrace)
