# recorder/record: draining the shim's rings into a trace, pcap output, `chimtrace record`.
add_library(ct_record STATIC record/drain.c record/pcap_out.c record/record_meta.c
            record/record_stack.c)
target_include_directories(ct_record PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/record")
target_link_libraries(ct_record PUBLIC ct_encode ct_tracefile ct_shim ct_ndm ct_imdriver
                      PkgConfig::PCAP)
target_compile_definitions(ct_record PRIVATE CT_VERSION="${CT_VERSION_STRING}")

# The whole recording pipeline: the model stack (replay/) plus the drain. Linked by the CLI.
add_library(ct_record_run STATIC record/record.c record/record_out.c record/record_summary.c)
target_link_libraries(ct_record_run PUBLIC ct_record ct_host ct_nic ct_ndm ct_imdriver ct_sched)
target_compile_definitions(ct_record_run PRIVATE CT_VERSION="${CT_VERSION_STRING}")

# The kernel driver's READ buffers (driver-shim/KERNEL.md), decoded with the same encoder.
add_library(ct_kdrain STATIC record/kdrain.c)
target_include_directories(ct_kdrain PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/record")
target_link_libraries(ct_kdrain PUBLIC ct_encode ct_shim)
