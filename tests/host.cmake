# tests/host.cmake: the host stack model's suites (replay/host). host_test runs every workload
# against a small offload target of its own (helpers/host_target) with an independent
# referee of the observer stream (helpers/host_check); host_stack_test runs them through
# the full stack, host -> IM driver -> simulated NIC, when those libraries are built.
add_library(ct_host_testkit STATIC
  "${CMAKE_CURRENT_LIST_DIR}/helpers/host_target.c"
  "${CMAKE_CURRENT_LIST_DIR}/helpers/host_check.c")
target_include_directories(ct_host_testkit PUBLIC "${CMAKE_CURRENT_LIST_DIR}/helpers")
# record.h: shim_state_next_offset, the layout both sides must agree on (header-only).
target_include_directories(ct_host_testkit PUBLIC "${CMAKE_SOURCE_DIR}/driver-shim/shim")
target_link_libraries(ct_host_testkit PUBLIC ct_host ct_ndm ct_sched ct_chimney_types)

ct_add_test(host_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/host_test.c"
            LIBS ct_host_testkit LABELS unit host)

if(TARGET ct_nic AND TARGET ct_imdriver)
  ct_add_test(host_stack_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/host_stack_test.c"
              LIBS ct_host_testkit ct_nic ct_imdriver LABELS unit host e2e)
endif()
