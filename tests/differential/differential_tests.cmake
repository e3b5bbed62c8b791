# Differential test of `maintd cron next` against croniter (python3-croniter, Debian 12).
# Included from tests/CMakeLists.txt, so CMAKE_CURRENT_SOURCE_DIR is tests/. The script runs with
# the system interpreter: croniter is a Debian package that a pyenv `python3` on PATH does not see.
# It exits 77 when croniter is not importable, which CTest reports as skipped.
# Every case starts the maintd binary once. Under ASan+UBSan a start costs ~4x more, and the full
# 600 cases ran past the timeout on a loaded CI machine (stop 13); the sanitizer build is there to
# find memory errors, which 150 cases exercise as well, while the release build keeps all 600.
set(maintd_differential_test "differential: croniter vs maintd cron next")
if(MAINTD_SANITIZE)
  set(maintd_differential_cases 150)
else()
  set(maintd_differential_cases 600)
endif()
add_test(NAME "${maintd_differential_test}"
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/differential/croniter_diff.py
                 --maintd $<TARGET_FILE:maintd> --cases ${maintd_differential_cases})
set_tests_properties("${maintd_differential_test}" PROPERTIES
  SKIP_RETURN_CODE 77
  TIMEOUT 240
  LABELS "differential"
  COST 100)  # the longest test (~1 min, 600 cases): started first (see e2e_tests.cmake)
