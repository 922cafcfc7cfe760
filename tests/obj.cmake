# tests/obj.cmake: the object tracker (replay/objects): identities of every block of
# recorded traces against the host stack's own objects, and hand-built rule cases.
ct_add_test(obj_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/obj_test.c"
  LIBS ct_obj ct_record_run ct_tf_helpers
  LABELS unit obj)
