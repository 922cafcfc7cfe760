# tests/export.cmake: `chimtrace export --chrome` (replay/export): the track design on
# hand-fed records, and whole traces through the CLI checked by tests/e2e/export_check.py
# (Python's json module: structure, nesting, track names, instance count, losses,
# truncation).
if(TARGET ct_export)
  ct_add_test(export_test
    SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/export_test.c"
    LIBS ct_export ct_print ct_tf_helpers
    LABELS export e2e)
  add_dependencies(export_test chimtrace)
endif()
