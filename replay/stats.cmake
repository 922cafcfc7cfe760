# replay/stats.cmake: ct_stats, timing analysis of a trace (chimtrace stats, and the HTML
# report on top of it). Public header: replay/stats/ct_stats.h; the JSON output is specified
# in replay/stats/STATS_JSON.md.
add_library(ct_stats STATIC
  "${CMAKE_CURRENT_LIST_DIR}/stats/stats_hist.c"
  "${CMAKE_CURRENT_LIST_DIR}/stats/stats_engine.c"
  "${CMAKE_CURRENT_LIST_DIR}/stats/stats_wire.c"
  "${CMAKE_CURRENT_LIST_DIR}/stats/stats_timeline.c"
  "${CMAKE_CURRENT_LIST_DIR}/stats/stats_results.c"
  "${CMAKE_CURRENT_LIST_DIR}/stats/stats_text.c"
  "${CMAKE_CURRENT_LIST_DIR}/stats/stats_json.c"
  "${CMAKE_CURRENT_LIST_DIR}/stats/stats_compare.c")
target_include_directories(ct_stats PUBLIC "${CMAKE_CURRENT_LIST_DIR}/stats")
target_link_libraries(ct_stats PUBLIC ct_obj ct_tracefile ct_print m)
