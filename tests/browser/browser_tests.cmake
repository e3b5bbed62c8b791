# The dashboard in a real browser: tests/browser/dashboard_test.py starts `maintd serve` and a
# headless Chromium (Debian package `chromium`, driven over the DevTools Protocol with
# python3-websocket), logs in, runs tasks, and checks what the pages show against the state
# database: the strips of runs, a failed run, an update without a reload, the charts, the
# timeline, the layout at 800 px, a lost connection. Screenshots of every page at 1400 and 800 px
# are saved in build/<preset>/artifacts/ (CI keeps them). Included from tests/CMakeLists.txt, so
# CMAKE_CURRENT_SOURCE_DIR is tests/.
#
# The system interpreter, as python3-websocket is a Debian package. The script looks for Chromium
# when it runs; without it the test is reported as skipped (exit 77) with the reason.
# scripts/install-deps.sh installs both, so it runs in CI.
set(maintd_browser_test "browser: dashboard login, runs shown as in the database, live, charts")
add_test(NAME "${maintd_browser_test}"
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/browser/dashboard_test.py
                 --maintd $<TARGET_FILE:maintd>
                 --screenshots ${PROJECT_BINARY_DIR}/artifacts)
set_tests_properties("${maintd_browser_test}" PROPERTIES
  SKIP_RETURN_CODE 77
  TIMEOUT 90
  LABELS "browser"
  COST 20)  # ~10 s: started early (see e2e_tests.cmake)
