# tests/print.cmake: unit tests of the record printer (recorder/print, ct_print_*).
ct_add_test(print_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/print_test.c"
            LIBS ct_print ct_synth LABELS unit)
