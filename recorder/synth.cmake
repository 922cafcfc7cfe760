# recorder/synth.cmake: ct_synth, the seeded generator of realistic chimtrace records that
# tests, benchmarks and the fuzz corpus use instead of a live capture (synth/synth.h).
add_library(ct_synth STATIC
  "${CMAKE_CURRENT_LIST_DIR}/synth/synth.c"
  "${CMAKE_CURRENT_LIST_DIR}/synth/synth_tree.c"
  "${CMAKE_CURRENT_LIST_DIR}/synth/synth_fill.c")
target_include_directories(ct_synth PUBLIC "${CMAKE_CURRENT_LIST_DIR}/synth")
target_link_libraries(ct_synth PUBLIC ct_tracefile)
