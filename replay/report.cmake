# replay/report.cmake: ct_report, the self-contained HTML page of `chimtrace report` (inline
# SVG and CSS), laid out from the stats engine. Public header: replay/report/report.h.
add_library(ct_report STATIC
  "${CMAKE_CURRENT_LIST_DIR}/report/report.c"
  "${CMAKE_CURRENT_LIST_DIR}/report/report_svg.c")
target_include_directories(ct_report PUBLIC "${CMAKE_CURRENT_LIST_DIR}/report")
target_link_libraries(ct_report PUBLIC ct_stats ct_print m)
