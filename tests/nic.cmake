# tests/nic.cmake: the simulated NIC. nic_frames_test covers its pure pieces (frame builder,
# latency parser, PRNG) without the NDIS model; nic_test (block statuses, the five
# operations, completion timing) and nic_traffic_test (frames, determinism, real time) drive
# the NIC through the model with a small test protocol driver (unit/nic_test_proto.c).
if(TARGET ct_nic_wire)
  ct_add_test(nic_frames_test SOURCES unit/nic_frames_test.c unit/nic_wire_check.c
              LIBS ct_nic_wire LABELS replay)
endif()
if(TARGET ct_nic AND TARGET ct_ndm)
  foreach(t nic_test nic_traffic_test)
    ct_add_test(${t} SOURCES unit/${t}.c unit/nic_test_proto.c unit/nic_wire_check.c
                LIBS ct_nic ct_ndm LABELS replay)
  endforeach()
endif()
