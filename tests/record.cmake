# `chimtrace record` end to end: every workload, determinism, pcap via tshark, kill -9.
ct_add_test(record_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/record_test.c"
          "${CMAKE_CURRENT_LIST_DIR}/helpers/record_check.c"
          "${CMAKE_CURRENT_LIST_DIR}/helpers/record_check_tools.c"
  LIBS ct_record_run ct_tf_helpers
  LABELS e2e record)
add_dependencies(record_test chimtrace)
