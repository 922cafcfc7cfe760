# tests/imdriver.cmake: the NDIS model (ndm_test) and the chimney IM driver (imdriver_test),
# both wired through the im_harness helper: host protocol -> ndm -> [IM ->] ndm -> target.
add_library(ct_im_harness STATIC "${CMAKE_CURRENT_LIST_DIR}/helpers/im_harness.c")
target_include_directories(ct_im_harness PUBLIC "${CMAKE_CURRENT_LIST_DIR}/helpers")
target_link_libraries(ct_im_harness PUBLIC ct_imdriver ct_ndm)

ct_add_test(ndm_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/ndm_test.c"
  LIBS ct_im_harness
  LABELS unit imdriver)

ct_add_test(imdriver_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/imdriver_test.c"
  LIBS ct_im_harness
  LABELS unit imdriver)

ct_add_test(imdriver_fault_test
  SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/imdriver_fault_test.c"
  LIBS ct_im_harness
  LABELS unit imdriver)
