# replay/nic.cmake: the simulated chimney offload NIC (nic.h). ct_nic_wire holds its pure
# pieces (PRNG, latency distributions and parser, frame builder), testable on their own;
# ct_nic is the offload target that registers with the NDIS model.
add_library(ct_nic_wire STATIC
  "${CMAKE_CURRENT_LIST_DIR}/nic/nic_latency.c"
  "${CMAKE_CURRENT_LIST_DIR}/nic/nic_frames.c")
# nic.h names ndm.h's types only, so the wire pieces need its directory, not ct_ndm.
target_include_directories(ct_nic_wire PUBLIC
  "${CMAKE_CURRENT_LIST_DIR}/nic" "${CMAKE_CURRENT_LIST_DIR}/ndis")
target_link_libraries(ct_nic_wire PUBLIC ct_sched ct_tracefile ct_chimney_types m)

add_library(ct_nic STATIC
  "${CMAKE_CURRENT_LIST_DIR}/nic/nic.c"
  "${CMAKE_CURRENT_LIST_DIR}/nic/nic_state.c"
  "${CMAKE_CURRENT_LIST_DIR}/nic/nic_ops.c"
  "${CMAKE_CURRENT_LIST_DIR}/nic/nic_traffic.c")
target_include_directories(ct_nic PUBLIC "${CMAKE_CURRENT_LIST_DIR}/nic")
# record.h: the state layout shared with the shim (shim_state_next_offset / _size).
target_include_directories(ct_nic PRIVATE "${CMAKE_SOURCE_DIR}/driver-shim/shim")
target_link_libraries(ct_nic PUBLIC ct_nic_wire ct_ndm ct_sched ct_platform ct_chimney_types
                                    ct_tracefile)
# The NIC reads the MOBL view of trees the protocol above wrote as POBLs (the same memory,
# reference §2.4), as the NDIS model does.
target_compile_options(ct_nic PRIVATE -fno-strict-aliasing)
