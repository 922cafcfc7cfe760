# The NDIS model (replay/ndis): drivers, adapters, bindings, handle registry and the chimney
# state routing, under the real NDIS function names. User-mode code (libc allowed).
# -fno-strict-aliasing: NDIS reuses one block in two views (POBL/MOBL, reference §2.4), and
# the model writes one view while drivers read the other.
add_library(ct_ndm STATIC
  "${CMAKE_CURRENT_SOURCE_DIR}/ndis/ndm.c"
  "${CMAKE_CURRENT_SOURCE_DIR}/ndis/ndm_route.c")
target_include_directories(ct_ndm PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/ndis")
target_link_libraries(ct_ndm PUBLIC ct_tracefile ct_chimney_types ct_platform)
target_compile_options(ct_ndm PRIVATE -fno-strict-aliasing)
