# recorder/encode: shim ring records -> chimtrace.v1 protobuf records (stable ids).
add_library(ct_encode STATIC encode/encode.c encode/encode_state.c)
target_include_directories(ct_encode PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/encode")
target_link_libraries(ct_encode PUBLIC ct_tracefile ct_shim)
