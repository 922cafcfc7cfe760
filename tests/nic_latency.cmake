# tests/nic_latency.cmake: what-if timing, `chimtrace replay --nic model --nic-latency SPEC`:
# the spec parser and distributions (ct_nic_wire) and replays through the simulated NIC
# whose OUT intervals follow the spec (ct_replay), plus the CLI's refusals.
ct_add_test(nic_latency_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/nic_latency_test.c"
          "${CMAKE_CURRENT_LIST_DIR}/helpers/replay_helpers.c"
  LIBS ct_replay ct_record_run ct_nic_wire ct_tf_helpers
  LABELS replay nic)
add_dependencies(nic_latency_test chimtrace)
