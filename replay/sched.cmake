# replay/sched.cmake: the clock/scheduler (sched.h): virtual time for reproducible replays,
# one thread per lane for real-time recording. Installs itself as the platform clock.
find_package(Threads REQUIRED)
add_library(ct_sched STATIC
  "${CMAKE_CURRENT_LIST_DIR}/sched/sched.c"
  "${CMAKE_CURRENT_LIST_DIR}/sched/sched_real.c"
  "${CMAKE_CURRENT_LIST_DIR}/sched/sched_heap.c")
target_include_directories(ct_sched PUBLIC "${CMAKE_CURRENT_LIST_DIR}/sched")
target_link_libraries(ct_sched PUBLIC ct_tracefile ct_platform Threads::Threads)
