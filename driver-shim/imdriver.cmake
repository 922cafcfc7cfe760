# The chimney IM driver (imdriver/): freestanding code built for the model, the same
# sources the Windows kernel build will use.
# -fno-strict-aliasing: NDIS reuses one block in two views (POBL/MOBL, reference §2.4).
# -nostdinc + the compiler's own include dir: only freestanding headers (<stddef.h>,
# <stdint.h>) can be found, so a stray libc include fails the build here, not on Windows.
add_library(ct_imdriver STATIC
  "${CMAKE_CURRENT_SOURCE_DIR}/imdriver/im_upper.c"
  "${CMAKE_CURRENT_SOURCE_DIR}/imdriver/im_lower.c"
  "${CMAKE_CURRENT_SOURCE_DIR}/imdriver/im_entries.c"
  "${CMAKE_CURRENT_SOURCE_DIR}/imdriver/im_register.c"
  "${CMAKE_CURRENT_SOURCE_DIR}/imdriver/im_fault.c")
target_include_directories(ct_imdriver PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/imdriver")
target_link_libraries(ct_imdriver PUBLIC ct_shim ct_platform ct_chimney_types)
target_compile_options(ct_imdriver PRIVATE -ffreestanding -fno-strict-aliasing)
execute_process(COMMAND "${CMAKE_C_COMPILER}" -print-file-name=include
                OUTPUT_VARIABLE CT_IM_CC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(CT_IM_CC_INCLUDE AND EXISTS "${CT_IM_CC_INCLUDE}/stddef.h")
  target_compile_options(ct_imdriver PRIVATE -nostdinc -isystem "${CT_IM_CC_INCLUDE}")
endif()
