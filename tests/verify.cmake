# tests/verify.cmake: the contract checker (replay/verify). Whole recordings verify clean and
# injected IM faults are caught (verify_test), one broken trace per rule (verify_rules_test,
# verify_contract_test), and `chimtrace verify` end to end with its JSON checked by python3
# (verify_cli_test). helpers/verify_fixture.[ch] records, loads, mutates and re-writes traces.
add_library(ct_verify_fixture STATIC "${CMAKE_CURRENT_LIST_DIR}/helpers/verify_fixture.c")
target_include_directories(ct_verify_fixture PUBLIC "${CMAKE_CURRENT_LIST_DIR}/helpers")
target_link_libraries(ct_verify_fixture PUBLIC ct_verify ct_record_run ct_tf_helpers
                                               PkgConfig::CRITERION)

foreach(t verify verify_rules verify_contract)
  ct_add_test(${t}_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/${t}_test.c"
              LIBS ct_verify_fixture LABELS unit verify)
endforeach()

ct_add_test(verify_cli_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/e2e/verify_cli_test.c"
            LIBS ct_verify_fixture LABELS e2e verify)
add_dependencies(verify_cli_test chimtrace)
