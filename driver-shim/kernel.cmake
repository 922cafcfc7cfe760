# driver-shim/kernel.cmake: the Windows kernel build of the IM driver and shim
# (chimshim.sys), as a sub-build with the mingw-w64 toolchain (issue 6, KERNEL.md).
#
# CT_KERNEL: AUTO (default) builds it when x86_64-w64-mingw32-gcc is installed; ON requires
# it (configure fails without the compiler); OFF skips it. The sub-build is an
# ExternalProject over driver-shim/kernel/ with cmake/mingw-w64-x86_64.cmake. It runs on
# every `cmake --build` and is itself incremental, so a changed IM driver or shim source
# rebuilds only what depends on it.
set(CT_KERNEL AUTO CACHE STRING "Build chimshim.sys with mingw-w64: AUTO, ON or OFF")
set_property(CACHE CT_KERNEL PROPERTY STRINGS AUTO ON OFF)

find_program(CT_MINGW_GCC NAMES x86_64-w64-mingw32-gcc)
find_program(CT_MINGW_OBJDUMP NAMES x86_64-w64-mingw32-objdump)

set(ct_mingw_ok OFF)
if(CT_MINGW_GCC AND EXISTS "${CT_MINGW_GCC}" AND CT_MINGW_OBJDUMP AND EXISTS "${CT_MINGW_OBJDUMP}")
  set(ct_mingw_ok ON)
endif()
set(ct_kernel_on OFF)
if(CT_KERNEL STREQUAL "AUTO")
  set(ct_kernel_on ${ct_mingw_ok})
elseif(CT_KERNEL)
  if(NOT ct_mingw_ok)
    message(FATAL_ERROR
      "CT_KERNEL=ON but the mingw-w64 x64 toolchain is missing "
      "(x86_64-w64-mingw32-gcc: '${CT_MINGW_GCC}', x86_64-w64-mingw32-objdump: "
      "'${CT_MINGW_OBJDUMP}'). Install gcc-mingw-w64-x86-64, mingw-w64-x86-64-dev and "
      "binutils-mingw-w64-x86-64, or configure with -DCT_KERNEL=OFF.")
  endif()
  set(ct_kernel_on ON)
endif()

set(CT_KERNEL_ENABLED ${ct_kernel_on} CACHE INTERNAL "chimshim.sys is built")
if(NOT ct_kernel_on)
  message(STATUS "driver-shim: chimshim.sys not built (CT_KERNEL=${CT_KERNEL})")
  return()
endif()

include(ExternalProject)
set(CT_KERNEL_BINARY_DIR "${CMAKE_CURRENT_BINARY_DIR}/kernel")
set(CT_CHIMSHIM_SYS "${CT_KERNEL_BINARY_DIR}/chimshim.sys" CACHE INTERNAL "chimshim.sys")
ExternalProject_Add(chimshim_sys
  SOURCE_DIR "${CMAKE_CURRENT_SOURCE_DIR}/kernel"
  BINARY_DIR "${CT_KERNEL_BINARY_DIR}"
  CMAKE_ARGS
    "-DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/mingw-w64-x86_64.cmake"
    "-DCMAKE_C_COMPILER=${CT_MINGW_GCC}"
    -DCMAKE_BUILD_TYPE=Release
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON
  BUILD_BYPRODUCTS "${CT_CHIMSHIM_SYS}")
message(STATUS "driver-shim: chimshim.sys -> ${CT_CHIMSHIM_SYS}")
