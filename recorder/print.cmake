# recorder/print.cmake: the record printer library (ct_print), included from
# recorder/CMakeLists.txt. JSON and text forms of records, names of operations, edges,
# NDIS statuses and state types, and the trace summary `chimtrace info` shows.
add_library(ct_print STATIC
  print/ct_print.c
  print/ct_print_names.c
  print/ct_print_text.c
  print/ct_print_header.c
  print/ct_print_summary.c)
target_include_directories(ct_print PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/print")
# ct_tracefile for ct_err.h and ct_errname(); ct_schema for the generated types.
target_link_libraries(ct_print PUBLIC ct_tracefile ct_schema)
