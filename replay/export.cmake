# replay/export.cmake: ct_export, `chimtrace export` (replay/export/export.h): a trace as
# Trace Event Format JSON for chrome://tracing and the Perfetto UI, streamed in bounded
# memory. Object identities come from ct_obj, names from ct_print.
add_library(ct_export STATIC
  "${CMAKE_CURRENT_LIST_DIR}/export/export_chrome.c"
  "${CMAKE_CURRENT_LIST_DIR}/export/export_inst.c"
  "${CMAKE_CURRENT_LIST_DIR}/export/export_file.c")
target_include_directories(ct_export PUBLIC "${CMAKE_CURRENT_LIST_DIR}/export")
target_link_libraries(ct_export PUBLIC ct_tracefile PRIVATE ct_obj ct_print)
