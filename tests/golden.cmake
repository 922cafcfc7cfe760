# The golden traces of traces/: replay to zero diff, verify clean.
ct_add_test(golden_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/golden_test.c"
            LIBS ct_tf_helpers LABELS e2e golden)
add_dependencies(golden_test chimtrace)
