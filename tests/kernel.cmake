# tests/kernel.cmake: the Windows kernel build (issue 6). The PE check of chimshim.sys
# (native subsystem, imports only from ndis.sys / ntoskrnl.exe / hal.dll, the chimney
# imports present), its negative self-test, and the kernel-drain decode test.
set(CT_PE_CHECK "${CMAKE_CURRENT_LIST_DIR}/kernel/check_pe.sh")

if(CT_KERNEL_ENABLED)
  add_test(NAME kernel_pe_check
    COMMAND sh "${CT_PE_CHECK}" "${CT_MINGW_OBJDUMP}" "${CT_CHIMSHIM_SYS}")
  set_tests_properties(kernel_pe_check PROPERTIES LABELS "kernel")

  # The check must be able to fail: an image importing msvcrt.dll (and no chimney
  # function) is linked here and must be rejected for exactly those reasons.
  set(ct_probe_src "${CMAKE_CURRENT_LIST_DIR}/kernel/pe_reject_probe.c")
  set(ct_probe_sys "${CMAKE_CURRENT_BINARY_DIR}/pe_reject_probe.sys")
  add_custom_command(OUTPUT "${ct_probe_sys}"
    COMMAND "${CT_MINGW_GCC}" -std=c11 -ffreestanding -Wall -Wextra -Werror -nostdlib
            -Wl,--subsystem,native -Wl,--entry,DriverEntry
            "${ct_probe_src}" -o "${ct_probe_sys}" -lntoskrnl -lmsvcrt
    DEPENDS "${ct_probe_src}"
    COMMENT "Linking the PE check's negative probe (imports msvcrt.dll)")
  add_custom_target(kernel_pe_reject_probe ALL DEPENDS "${ct_probe_sys}")
  add_test(NAME kernel_pe_check_rejects_user_dll
    COMMAND sh "${CT_PE_CHECK}" --expect-reject "${CT_MINGW_OBJDUMP}" "${ct_probe_sys}")
  set_tests_properties(kernel_pe_check_rejects_user_dll PROPERTIES LABELS "kernel")
endif()
