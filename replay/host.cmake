# replay/host.cmake: ct_host, the host stack model (the tcpip stand-in at the top of the
# chimney stack) and its named workloads. Public header: replay/host/host.h.
add_library(ct_host STATIC
  "${CMAKE_CURRENT_LIST_DIR}/host/host.c"
  "${CMAKE_CURRENT_LIST_DIR}/host/host_objects.c"
  "${CMAKE_CURRENT_LIST_DIR}/host/host_tree.c"
  "${CMAKE_CURRENT_LIST_DIR}/host/host_complete.c"
  "${CMAKE_CURRENT_LIST_DIR}/host/host_workloads.c"
  "${CMAKE_CURRENT_LIST_DIR}/host/host_workloads_more.c")
target_include_directories(ct_host PUBLIC "${CMAKE_CURRENT_LIST_DIR}/host")
# record.h (shim_state_next_offset & co.) is header-only: the host lays trailing state out
# exactly as the shim and the NIC read it, without linking the shim.
target_include_directories(ct_host PRIVATE "${CMAKE_SOURCE_DIR}/driver-shim/shim")
target_link_libraries(ct_host PUBLIC ct_ndm ct_sched ct_chimney_types ct_platform ct_tracefile)
