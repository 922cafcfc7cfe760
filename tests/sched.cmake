# tests/sched.cmake: the clock/scheduler suite (virtual order and time, real-time lanes,
# termination detection, stop, platform clock and ring index).
if(TARGET ct_sched)
  ct_add_test(sched_test SOURCES unit/sched_test.c LIBS ct_sched LABELS replay)
endif()
