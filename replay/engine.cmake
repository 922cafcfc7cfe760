# replay/engine.cmake: ct_replay, `chimtrace replay` (replay/engine/replay.h): the trace host
# and the scripted NIC around the real IM driver, the action queue that keeps IN's order,
# and the divergence checks fed by the recorder's drain. Public header: replay.h.
add_library(ct_replay STATIC
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay.c"
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay_load.c"
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay_tree.c"
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay_host.c"
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay_nic.c"
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay_queue.c"
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay_check.c"
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay_roles.c"
  "${CMAKE_CURRENT_LIST_DIR}/engine/replay_out.c")
target_include_directories(ct_replay PUBLIC "${CMAKE_CURRENT_LIST_DIR}/engine")
# record.h (state layout, shared with the shim) and recorder.h's host.h: headers only.
target_include_directories(ct_replay PRIVATE "${CMAKE_SOURCE_DIR}/driver-shim/shim"
                                             "${CMAKE_CURRENT_LIST_DIR}/host")
target_link_libraries(ct_replay PUBLIC ct_tracefile
                                PRIVATE ct_record ct_imdriver ct_nic ct_ndm ct_sched ct_platform
                                        ct_obj ct_diff)
# The trace host writes POBLs the NIC reads as MOBLs (the same memory, reference §2.4).
target_compile_options(ct_replay PRIVATE -fno-strict-aliasing)
