# replay/verify.cmake: ct_verify, the streaming contract checker behind `chimtrace verify`
# (replay/verify/verify.h; the rules are listed in replay/verify/RULES.md). It reads traces
# with ct_tracefile, names objects with ct_obj and operations/statuses with ct_print.
add_library(ct_verify STATIC
  "${CMAKE_CURRENT_LIST_DIR}/verify/verify.c"
  "${CMAKE_CURRENT_LIST_DIR}/verify/verify_file.c"
  "${CMAKE_CURRENT_LIST_DIR}/verify/verify_map.c"
  "${CMAKE_CURRENT_LIST_DIR}/verify/verify_tree.c"
  "${CMAKE_CURRENT_LIST_DIR}/verify/verify_ops.c"
  "${CMAKE_CURRENT_LIST_DIR}/verify/verify_status.c"
  "${CMAKE_CURRENT_LIST_DIR}/verify/verify_lifecycle.c")
target_include_directories(ct_verify PUBLIC "${CMAKE_CURRENT_LIST_DIR}/verify")
target_link_libraries(ct_verify PUBLIC ct_obj ct_tracefile ct_print)
