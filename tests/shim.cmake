# The trace shim, its rings and the recorder's decoding of its records.
ct_add_test(ring_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/ring_test.c LIBS ct_shim)
ct_add_test(shim_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/shim_test.c
            ${CMAKE_CURRENT_SOURCE_DIR}/helpers/tree_builder.c
            LIBS ct_shim ct_encode)
