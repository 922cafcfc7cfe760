# tests/kernel_drain.cmake: the kernel control device's READ path run in the model
# (shim_ctl_read, the driver's own copy-out code) decoded by the user-mode reader
# (recorder/record/kdrain.c) with the model recorder's encoder. Needs no cross compiler.
ct_add_test(kernel_drain_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/kernel_drain_test.c"
  LIBS ct_kdrain ct_record ct_im_harness ct_tf_helpers
  LABELS unit kernel record)
