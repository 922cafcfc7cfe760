# replay/diff.cmake: ct_diff, semantic comparison of traces (chimtrace diff) and of single
# events (replay's divergence reports). Public header: replay/diff/diff.h; the JSON report
# is specified in replay/diff/DIFF_JSON.md.
add_library(ct_diff STATIC
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff.c"
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff_fields.c"
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff_values.c"
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff_align.c"
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff_ops.c"
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff_account.c"
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff_timing.c"
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff_report.c"
  "${CMAKE_CURRENT_LIST_DIR}/diff/diff_junit.c")
target_include_directories(ct_diff PUBLIC "${CMAKE_CURRENT_LIST_DIR}/diff")
target_link_libraries(ct_diff PUBLIC ct_obj ct_tracefile ct_print)
