# The trace shim and its rings: freestanding code built for the model.
add_library(ct_shim STATIC shim/ring.c shim/shim.c shim/shim_walk.c shim/shim_ctl.c)
target_include_directories(ct_shim PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/shim")
target_link_libraries(ct_shim PUBLIC ct_platform ct_chimney_types)
target_compile_options(ct_shim PRIVATE -ffreestanding)
