# replay/objects.cmake: ct_obj, object identity from a trace alone (replay/objects/obj.h):
# which neighbor, path or TCP connection each block is about. Diff aligns by it, verify
# names objects with it. obj_map.h is the small uint64 hash map both tracker and diff use.
add_library(ct_obj STATIC
  "${CMAKE_CURRENT_LIST_DIR}/objects/obj.c"
  "${CMAKE_CURRENT_LIST_DIR}/objects/obj_map.c")
target_include_directories(ct_obj PUBLIC "${CMAKE_CURRENT_LIST_DIR}/objects")
target_link_libraries(ct_obj PUBLIC ct_tracefile ct_print)
