# mingw-w64-x86_64.cmake - CMake toolchain file for Windows x64 with Debian's mingw-w64
# cross compiler (package gcc-mingw-w64-x86-64). Used by the kernel sub-build
# (driver-shim/kernel/), which links chimshim.sys without any C runtime.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(CT_MINGW_TRIPLE x86_64-w64-mingw32)

find_program(CMAKE_C_COMPILER NAMES ${CT_MINGW_TRIPLE}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${CT_MINGW_TRIPLE}-windres)
find_program(CT_MINGW_OBJDUMP NAMES ${CT_MINGW_TRIPLE}-objdump)

set(CMAKE_FIND_ROOT_PATH /usr/${CT_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# The compiler checks must not need a C runtime: compile them, do not link them.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
