# tests/tracefile.cmake: the trace-file library's suites (round trip, truncation, damage,
# seeking, memory), the synth generator's suite, the stock-tools end-to-end check, and the
# reader fuzz target (tests/fuzz, CT_FUZZ=ON only).
# The fixtures they share (synthetic traces, read loops, packed-record lists) live in
# helpers/tf_helpers.[ch], built once as ct_tf_helpers.
add_library(ct_tf_helpers STATIC "${CMAKE_CURRENT_LIST_DIR}/helpers/tf_helpers.c")
target_include_directories(ct_tf_helpers PUBLIC "${CMAKE_CURRENT_LIST_DIR}/helpers")
target_link_libraries(ct_tf_helpers PUBLIC ct_synth ct_tracefile PkgConfig::CRITERION)

foreach(t roundtrip truncation corrupt seek memory)
  ct_add_test(tracefile_${t}_test
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/tracefile_${t}_test.c"
    LIBS ct_tf_helpers
    LABELS tracefile)
endforeach()

ct_add_test(synth_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/synth_test.c"
  LIBS ct_tf_helpers
  LABELS tracefile)

ct_add_test(stock_tools_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/stock_tools_test.c"
  LIBS ct_tf_helpers
  LABELS tracefile e2e)

if(CT_FUZZ)
  add_subdirectory("${CMAKE_CURRENT_LIST_DIR}/fuzz" "${CMAKE_CURRENT_BINARY_DIR}/fuzz")
endif()
