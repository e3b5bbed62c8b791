# The dashboard in a real browser: tests/browser/dashboard_test.py starts `maintd serve` and a
# headless Chromium (Debian package `chromium`, driven over the DevTools Protocol with
# python3-websocket), logs in, runs a task and waits for its run to complete; the screenshot is
# saved as build/<preset>/artifacts/dashboard.png (CI keeps it). Included from
# tests/CMakeLists.txt, so CMAKE_CURRENT_SOURCE_DIR is tests/.
#
# The system interpreter, as python3-websocket is a Debian package. The script looks for Chromium
# when it runs; without it the test is reported as skipped (exit 77) with the reason.
# scripts/install-deps.sh installs both, so it runs in CI.
set(maintd_browser_test "browser: dashboard login, run now, run completes")
add_test(NAME "${maintd_browser_test}"
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/browser/dashboard_test.py
                 --maintd $<TARGET_FILE:maintd>
                 --screenshot ${PROJECT_BINARY_DIR}/artifacts/dashboard.png)
set_tests_properties("${maintd_browser_test}" PROPERTIES
  SKIP_RETURN_CODE 77
  TIMEOUT 90
  LABELS "browser"
  COST 20)  # ~10 s: started early (see e2e_tests.cmake)
