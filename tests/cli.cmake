# tests/cli.cmake: end-to-end tests of the chimtrace binary (tests/e2e/cli_test.c). They run
# the real executable, so it must be built first; python3 checks the JSON output.
ct_add_test(cli_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/cli_test.c" LABELS e2e)
add_dependencies(cli_test chimtrace)
