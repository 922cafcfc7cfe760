# Every IM fault is caught by replay (+ diff) and, where it breaks a contract rule, by verify.
ct_add_test(fault_matrix_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/fault_matrix_test.c"
            LIBS ct_tf_helpers LABELS e2e faults)
add_dependencies(fault_matrix_test chimtrace)
