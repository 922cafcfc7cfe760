# The platform layer's user-mode backend (the only driver-shim code that uses libc).
add_library(ct_platform STATIC platform/platform_user.c)
target_include_directories(ct_platform PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/platform")
target_link_libraries(ct_platform PUBLIC ct_chimney_types)
find_package(Threads REQUIRED)
target_link_libraries(ct_platform PUBLIC Threads::Threads)
