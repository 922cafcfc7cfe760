# tests/report.cmake: `chimtrace report`. report_test checks the page as text (one chart
# and one table row per latency group, loss banner, escaping, atomic write);
# report_render_* open it in headless Chromium (Debian's chromium, installed by ./run
# tests) and check the screenshot's pixels and the rendered DOM's SVG elements.
ct_add_test(report_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/unit/report_test.c"
            LIBS ct_report ct_diff_testkit LABELS report)

find_program(CT_CHROMIUM chromium)
find_package(Python3 COMPONENTS Interpreter)
if(CT_CHROMIUM AND Python3_Interpreter_FOUND)
  foreach(src golden:mixed-rt3 golden:storm record:mixed)
    string(REPLACE ":" "_" tname "${src}")
    if(src MATCHES "^golden:(.*)")
      set(input "${CMAKE_SOURCE_DIR}/traces/${CMAKE_MATCH_1}.ctrace")
    else()
      set(input "${src}")
    endif()
    add_test(NAME report_render_${tname}
             COMMAND ${Python3_EXECUTABLE} "${CMAKE_CURRENT_LIST_DIR}/e2e/report_render.py"
                     $<TARGET_FILE:chimtrace> "${input}"
                     "${CMAKE_BINARY_DIR}/report_render/${tname}")
    set_tests_properties(report_render_${tname} PROPERTIES LABELS "report;e2e" TIMEOUT 300)
  endforeach()
else()
  message(WARNING "chromium or python3 not found: the report rendering tests are skipped "
                  "(./run tests installs Debian's chromium)")
endif()
