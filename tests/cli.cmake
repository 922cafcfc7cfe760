# tests/cli.cmake: end-to-end tests of the chimtrace binary (tests/e2e/cli_test.c). They run
# the real executable, so it must be built first; python3 checks the JSON output.
# helpers/cli_run.[ch] (scratch directory, running chimtrace with its output captured) is
# shared by every *_cli_test.
add_library(ct_cli_testkit STATIC "${CMAKE_CURRENT_LIST_DIR}/helpers/cli_run.c")
target_link_libraries(ct_cli_testkit PUBLIC PkgConfig::CRITERION)
target_include_directories(ct_cli_testkit PUBLIC "${CMAKE_CURRENT_LIST_DIR}/helpers")
target_compile_definitions(ct_cli_testkit PUBLIC CT_TEST_BINARY_DIR="${CMAKE_BINARY_DIR}")

ct_add_test(cli_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/cli_test.c"
            LIBS ct_cli_testkit LABELS e2e)
add_dependencies(cli_test chimtrace)
