# tests/layout.cmake: driver-shim's chimney types against the WDK (bitfield bytes, NDIS_STATUS
# bit patterns, enum and flag values). The x86 / MSVC-bitfield / mingw compile-time checks
# are registered by driver-shim/CMakeLists.txt.
if(TARGET ct_chimney_types)
  ct_add_test(layout_test SOURCES unit/layout_test.c LIBS ct_chimney_types LABELS layout)
else()
  message(WARNING "tests/layout.cmake: add_subdirectory(driver-shim) is missing; "
                  "layout_test not built")
endif()
